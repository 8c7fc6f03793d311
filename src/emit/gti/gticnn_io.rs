//! The `inputs` and `outputs` of a `GTICNN` entry in the full-model JSON (gti.md §4.2), derived
//! from its chip network: the input tensor of the first major layer, and one output tensor per
//! observed sub-layer (`learning`), per `last_layer_out` major layer, or for the last one.

use crate::netdesc::gti::{MajorLayer, TensorIn, TensorOut};

/// The chip's input: the first major layer's size and channels.
pub fn cnn_inputs(layers: &[MajorLayer]) -> Vec<TensorIn> {
    layers
        .first()
        .map(|l| TensorIn {
            format: "byte".into(),
            prefilter: "interlace_tile_encode".into(),
            shape: vec![l.image_size, l.image_size, l.input_channels],
        })
        .into_iter()
        .collect()
}

/// The chip's outputs; `cascade_middle` for a chip that feeds another chip of a cascade.
pub fn cnn_outputs(layers: &[MajorLayer], cascade_middle: bool) -> Vec<TensorOut> {
    let mut outputs = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let mut t = Tensor::of(l, cascade_middle);
        if l.learning() {
            for sub in 0..l.sublayer_number + usize::from(has_fake_output(l)) {
                let first_depthwise = sub == 0
                    && l.depthwise()
                    && l.one_coef.as_ref().and_then(|c| c.first()) == Some(&0);
                let c = if first_depthwise {
                    l.input_channels
                } else {
                    t.c
                };
                outputs.push(Tensor { c, ..t }.output());
            }
        } else if l.last_layer_out() {
            outputs.push(t.output());
        } else if i + 1 == layers.len() {
            if l.pooling() {
                t.h /= 2;
                t.tile = 7;
            }
            if t.h == 7 {
                t.postfilter = "fc77_decode";
                t.bytes_per_tile = 64;
                t.scaledown = 3;
            }
            outputs.push(t.output());
        }
    }
    outputs
}

/// A learning major layer whose last residual pair ends it before pooling has one more
/// output (the addition's).
fn has_fake_output(l: &MajorLayer) -> bool {
    let last_start = l
        .resnet_shortcut_start_layers
        .as_ref()
        .and_then(|s| s.last());
    matches!(last_start, Some(&s) if l.pooling() && l.sublayer_number == s + 1)
}

#[derive(Debug, Clone, Copy)]
struct Tensor {
    h: usize,
    c: usize,
    tile: usize,
    format: &'static str,
    postfilter: &'static str,
    bytes_per_tile: usize,
    scaledown: i64,
    upsampling: i64,
}

impl Tensor {
    fn of(l: &MajorLayer, cascade_middle: bool) -> Self {
        let (mut h, mut c, mut upsampling) = (l.image_size, l.output_channels, 0);
        if l.upsample() {
            h *= 2;
            c = c.div_ceil(16) * 16;
            upsampling = 1;
        }
        let (format, postfilter) = if l.ten_bits() {
            ("float", "interlace_tile_10bits_decode")
        } else {
            ("byte", "interlace_tile_decode")
        };
        Tensor {
            h,
            c,
            tile: h.min(14),
            format,
            postfilter,
            bytes_per_tile: 32,
            scaledown: if cascade_middle { -3 } else { 0 },
            upsampling,
        }
    }

    fn output(self) -> TensorOut {
        TensorOut {
            format: self.format.into(),
            postfilter: self.postfilter.into(),
            shape: vec![
                self.h,
                self.h,
                self.c,
                self.tile * self.tile,
                self.h * self.h * self.c * self.bytes_per_tile / 49,
            ],
            layer_scaledown: self.scaledown,
            upsampling: self.upsampling,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(image_size: usize, channels: usize, subs: usize) -> MajorLayer {
        MajorLayer::new(1, image_size, (channels, channels), subs, 3)
    }

    /// gti.md §5 vector 21.
    #[test]
    fn vector_21_full_model_output_shapes() {
        let vgg_last = MajorLayer {
            pooling: Some(true),
            ..layer(14, 512, 3)
        };
        let out = cnn_outputs(&[layer(224, 64, 2), vgg_last], false);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].shape, [7, 7, 512, 49, 32768]);
        assert_eq!(out[0].postfilter, "fc77_decode");
        assert_eq!(out[0].layer_scaledown, 3);
        let gnetdet = cnn_outputs(&[layer(14, 256, 1)], false);
        assert_eq!(gnetdet[0].shape, [14, 14, 256, 196, 32768]);
        assert_eq!(gnetdet[0].postfilter, "interlace_tile_decode");
        let learning = MajorLayer {
            learning: Some(true),
            ..layer(56, 128, 3)
        };
        let out = cnn_outputs(&[learning, layer(28, 128, 1)], false);
        assert_eq!(out.len(), 4);
        assert!(
            out[..3]
                .iter()
                .all(|o| o.shape == [56, 56, 128, 196, 262144])
        );
        let up = MajorLayer {
            upsample_enable: Some(true),
            ..layer(28, 64, 1)
        };
        let out = cnn_outputs(&[up], false);
        assert_eq!(out[0].shape, [56, 56, 64, 196, 131072]);
        assert_eq!(out[0].upsampling, 1);
        assert_eq!(cnn_inputs(&[layer(224, 3, 2)])[0].shape, [224, 224, 3]);
        assert_eq!(
            cnn_outputs(&[layer(14, 256, 1)], true)[0].layer_scaledown,
            -3
        );
    }
}
