//! Coefficient memory (gti.md §1.3): every conv sub-layer holds one 3×3 filter per
//! input/output channel pair (one per channel when depthwise), a major layer's mask shares
//! memory between `compression` filters, and the 5801 limits the sum.

use super::chip::MaskBits;
use crate::netdesc::gti::MajorLayer;

/// One conv sub-layer as memory sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubLayer {
    /// 1-based.
    pub sub: usize,
    pub input_channels: usize,
    pub output_channels: usize,
    /// A depthwise 3×3 sub-layer of a `depth_enable` major layer.
    pub depthwise: bool,
    /// A 1×1 sub-layer (`one_coef`).
    pub one_by_one: bool,
    pub filters: u64,
}

/// The conv sub-layers of a major layer, channels flowing from the first to the last.
pub fn sublayers(l: &MajorLayer) -> Vec<SubLayer> {
    let mut channels = l.input_channels;
    (0..l.sublayer_number)
        .map(|i| {
            let one_by_one = l.one_coef.as_ref().and_then(|c| c.get(i)) == Some(&1);
            let depthwise = l.depthwise() && !one_by_one;
            let out = if depthwise {
                channels
            } else {
                l.output_channels
            };
            let filters = if depthwise {
                out as u64
            } else {
                (channels as u64).saturating_mul(out as u64)
            };
            let s = SubLayer {
                sub: i + 1,
                input_channels: channels,
                output_channels: out,
                depthwise,
                one_by_one,
                filters,
            };
            channels = out;
            s
        })
        .collect()
}

/// Filters of a major layer after its mask's compression (0 for an unknown mask).
pub fn effective_filters(l: &MajorLayer) -> u64 {
    let filters: u64 = sublayers(l).iter().map(|s| s.filters).sum();
    MaskBits::new(l.coef_bits).map_or(0, |m| filters / u64::from(m.compression()))
}

/// Σ effective filters of `layers`.
pub fn total_effective_filters(layers: &[MajorLayer]) -> u64 {
    layers.iter().map(effective_filters).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vgg16(masks: [u8; 5], subs: Option<usize>) -> Vec<MajorLayer> {
        // (in, out, sub-layers) of VGG-16's five blocks.
        let blocks = [
            (3, 64, 2),
            (64, 128, 2),
            (128, 256, 3),
            (256, 512, 3),
            (512, 512, 3),
        ];
        blocks
            .iter()
            .zip(masks)
            .map(|(&(i, o, n), m)| MajorLayer::new(1, 224, (i, o), subs.unwrap_or(n), m))
            .collect()
    }

    /// gti.md §5 vector 20 (and the §1.3 VGG example, the §4.1 example 1 budget).
    #[test]
    fn vector_20_budgets() {
        let v = vgg16([3, 3, 3, 1, 1], None);
        let per: Vec<u64> = v.iter().map(effective_filters).collect();
        assert_eq!(per, [2144, 12288, 81920, 163840, 196608]);
        assert_eq!(total_effective_filters(&v), 456_800);
        assert!(total_effective_filters(&v) < 489_216);
        assert_eq!(total_effective_filters(&vgg16([2; 5], None)), 408_624);
        // Ten convolutions (two per block) at 12 bits: ratio 1.
        assert_eq!(total_effective_filters(&vgg16([12; 5], Some(2))), 1_044_672);
        let example1 = [(3, 64, 2, 3), (64, 128, 2, 3), (128, 256, 3, 1)]
            .map(|(i, o, n, m)| MajorLayer::new(1, 224, (i, o), n, m));
        assert_eq!(total_effective_filters(&example1), 55_392);
    }

    #[test]
    fn depthwise_sub_layers_hold_one_filter_per_channel() {
        // gti.md §4.1 example 2, major layer 2: depthwise 3×3 on 32, then 1×1 32→64.
        let mut l = MajorLayer::new(2, 112, (32, 64), 2, 12);
        l.depth_enable = Some(true);
        l.one_coef = Some(vec![0, 1]);
        let s = sublayers(&l);
        assert_eq!(
            (s[0].depthwise, s[0].output_channels, s[0].filters),
            (true, 32, 32)
        );
        assert_eq!(
            (s[1].one_by_one, s[1].input_channels, s[1].filters),
            (true, 32, 2048)
        );
        assert_eq!(effective_filters(&l), 2080);
    }
}
