//! The chip network JSON of GTI's MDKs (`network*.json`, `*_dat.json`, gti.md §4.1): major
//! layers and one model entry, read and written with GTI's key names. Keys GTI's tools do
//! not know are refused; qtool's own training extras live under `"qtool"`, which the
//! emitters leave out.

use super::GtiJson;
use serde::{Deserialize, Serialize};

/// A whole chip network file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipNetwork {
    pub layer: Vec<MajorLayer>,
    pub model: Vec<ModelEntry>,
    /// qtool's training extras (batch norm, layer names); never written for the chip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qtool: Option<serde_json::Value>,
}

/// One major layer: 1–12 conv sub-layers at one image size and one coefficient mask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MajorLayer {
    /// 1-based index (the converter rewrites it).
    pub major_layer: u32,
    /// Input height (= width) of the major layer, before any upsampling.
    pub image_size: usize,
    pub input_channels: usize,
    pub output_channels: usize,
    pub sublayer_number: usize,
    /// Coefficient mask bits of every sub-layer.
    pub coef_bits: u8,
    /// Shift of each sub-layer (filled by conversion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Vec<u8>>,
    /// 2×2 downsampling at the end (max or sample pooling per the model's `SamplingMethod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooling: Option<bool>,
    /// Output every sub-layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning: Option<bool>,
    /// Output the last sub-layer, before pooling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_layer_out: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_enable: Option<bool>,
    /// 1 where a sub-layer is 1×1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_coef: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upsample_enable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ten_bits_enable: Option<bool>,
    /// 1-based sub-layers that start a residual pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resnet_shortcut_start_layers: Option<Vec<usize>>,
}

impl MajorLayer {
    /// A major layer with only the required keys (1-based `major_layer`).
    pub fn new(
        major_layer: u32,
        image_size: usize,
        (input_channels, output_channels): (usize, usize),
        sublayer_number: usize,
        coef_bits: u8,
    ) -> Self {
        MajorLayer {
            major_layer,
            image_size,
            input_channels,
            output_channels,
            sublayer_number,
            coef_bits,
            scaling: None,
            pooling: None,
            learning: None,
            last_layer_out: None,
            depth_enable: None,
            one_coef: None,
            upsample_enable: None,
            ten_bits_enable: None,
            resnet_shortcut_start_layers: None,
        }
    }

    pub fn pooling(&self) -> bool {
        self.pooling.unwrap_or(false)
    }

    pub fn learning(&self) -> bool {
        self.learning.unwrap_or(false)
    }

    pub fn last_layer_out(&self) -> bool {
        self.last_layer_out.unwrap_or(false)
    }

    pub fn upsample(&self) -> bool {
        self.upsample_enable.unwrap_or(false)
    }

    pub fn ten_bits(&self) -> bool {
        self.ten_bits_enable.unwrap_or(false)
    }

    pub fn depthwise(&self) -> bool {
        self.depth_enable.unwrap_or(false)
    }
}

/// The model entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    #[serde(rename = "ChipType")]
    pub chip_type: u32,
    #[serde(
        rename = "MajorLayerNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub major_layer_number: Option<usize>,
    /// 1: sample (top-left) pooling; 0 or absent: max pooling.
    #[serde(
        rename = "SamplingMethod",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sampling_method: Option<u8>,
    /// Chips in a cascade (split at conversion).
    #[serde(
        rename = "ChipNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub chip_number: Option<u32>,
    #[serde(
        rename = "ActivationBitMode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub activation_bit_mode: Option<u8>,
}

impl GtiJson for ChipNetwork {
    fn without_extras(&self) -> Self {
        ChipNetwork {
            qtool: None,
            ..self.clone()
        }
    }
}

/// The spec's chip network examples (tests here and in `device::gti`).
#[cfg(test)]
pub(crate) mod examples {
    /// gti.md §4.1 example 1.
    pub(crate) const EXAMPLE_1: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 224, "input_channels": 3,   "output_channels": 64,
     "sublayer_number": 2, "coef_bits": 3, "scaling": [12, 11], "pooling": true,
     "learning": false, "last_layer_out": false},
    {"major_layer": 2, "image_size": 112, "input_channels": 64,  "output_channels": 128,
     "sublayer_number": 2, "coef_bits": 3, "scaling": [11, 11], "pooling": true,
     "learning": false, "last_layer_out": true},
    {"major_layer": 3, "image_size": 56,  "input_channels": 128, "output_channels": 256,
     "sublayer_number": 3, "coef_bits": 1, "scaling": [10, 10, 9], "pooling": true,
     "learning": false, "last_layer_out": false}
  ],
  "model": [{"ChipType": 5801, "MajorLayerNumber": 3, "SamplingMethod": 0}]
}"#;

    /// gti.md §4.1 example 2.
    pub(crate) const EXAMPLE_2: &str = r#"{
  "layer": [
    {"major_layer": 1, "image_size": 224, "input_channels": 3, "output_channels": 32,
     "sublayer_number": 1, "coef_bits": 12, "scaling": [11], "pooling": true},
    {"major_layer": 2, "image_size": 112, "input_channels": 32, "output_channels": 64,
     "sublayer_number": 2, "coef_bits": 12, "scaling": [10, 11], "pooling": true,
     "depth_enable": true, "one_coef": [0, 1]},
    {"major_layer": 3, "image_size": 56, "input_channels": 64, "output_channels": 64,
     "sublayer_number": 4, "coef_bits": 2, "scaling": [9, 9, 10, 10], "pooling": true,
     "resnet_shortcut_start_layers": [1, 3], "learning": true},
    {"major_layer": 4, "image_size": 28, "input_channels": 64, "output_channels": 64,
     "sublayer_number": 1, "coef_bits": 5, "scaling": [11], "upsample_enable": true},
    {"major_layer": 5, "image_size": 56, "input_channels": 64, "output_channels": 32,
     "sublayer_number": 1, "coef_bits": 12, "scaling": [8], "ten_bits_enable": true}
  ],
  "model": [{"ChipType": 2803, "MajorLayerNumber": 5, "SamplingMethod": 1}]
}"#;
}

#[cfg(test)]
mod tests {
    use super::examples::{EXAMPLE_1, EXAMPLE_2};
    use super::*;

    #[test]
    fn examples_round_trip_byte_identical() {
        for text in [EXAMPLE_1, EXAMPLE_2] {
            let net = ChipNetwork::from_json(text).unwrap();
            let first = net.to_json();
            let again = ChipNetwork::from_json(&first).unwrap();
            assert_eq!(again, net);
            assert_eq!(again.to_json(), first);
        }
        let net = ChipNetwork::from_json(EXAMPLE_2).unwrap();
        assert_eq!(net.layer[2].resnet_shortcut_start_layers, Some(vec![1, 3]));
        assert_eq!(net.model[0].sampling_method, Some(1));
        assert!(net.layer[3].upsample() && !net.layer[3].pooling());
    }

    #[test]
    fn unknown_keys_are_refused_and_extras_stay_out_of_the_chip_file() {
        let bad = EXAMPLE_1.replace(
            "\"pooling\": true,\n     \"learning\": false, \"last_layer_out\": true",
            "\"pooling\": true, \"poolin\": 1,\n     \"learning\": false, \"last_layer_out\": true",
        );
        let err = ChipNetwork::from_json(&bad).unwrap_err().to_string();
        assert!(err.contains("unknown field `poolin`"), "{err}");
        let mut net = ChipNetwork::from_json(EXAMPLE_1).unwrap();
        net.qtool = Some(serde_json::json!({"names": ["conv1"]}));
        assert!(net.to_json().contains("\"qtool\""));
        assert!(!net.to_gti_json().contains("qtool"));
        let back = ChipNetwork::from_json(&net.to_json()).unwrap();
        assert_eq!(back, net);
    }
}
