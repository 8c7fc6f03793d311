//! Coefficient memory (gti.md §1.3): each conv sub-layer holds in·out 3×3 filters, a major
//! layer's mask shares memory between `compression` filters, and the 5801 limits the sum.

use super::chip::MaskBits;

/// One major layer as the budget sees it: channels, sub-layer count and mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLayer {
    pub input_channels: u64,
    pub output_channels: u64,
    pub sublayers: u64,
    pub mask: MaskBits,
}

impl BudgetLayer {
    /// Filters of the major layer: in·out for the first sub-layer, out·out for each further one.
    pub fn filters(&self) -> u64 {
        self.input_channels * self.output_channels
            + self.sublayers.saturating_sub(1) * self.output_channels * self.output_channels
    }

    /// Filters after compression (what the budget counts).
    pub fn effective_filters(&self) -> u64 {
        self.filters() / u64::from(self.mask.compression())
    }
}

/// Σ effective filters over `layers`.
pub fn effective_filters(layers: &[BudgetLayer]) -> u64 {
    layers.iter().map(BudgetLayer::effective_filters).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vgg16(masks: [u8; 5]) -> Vec<BudgetLayer> {
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
            .map(|(&(i, o, n), m)| BudgetLayer {
                input_channels: i,
                output_channels: o,
                sublayers: n,
                mask: MaskBits::new(m).unwrap(),
            })
            .collect()
    }

    /// gti.md §5 vector 20 (and the §1.3 VGG example, the §4.1 example 1 budget).
    #[test]
    fn vector_20_budgets() {
        let v = vgg16([3, 3, 3, 1, 1]);
        let per: Vec<u64> = v.iter().map(BudgetLayer::effective_filters).collect();
        assert_eq!(per, [2144, 12288, 81920, 163840, 196608]);
        assert_eq!(effective_filters(&v), 456_800);
        assert!(effective_filters(&v) < 489_216);
        assert_eq!(effective_filters(&vgg16([2; 5])), 408_624);
        // Ten convolutions (two per block) at 12 bits: ratio 1.
        let ten: Vec<BudgetLayer> = vgg16([12; 5])
            .into_iter()
            .map(|l| BudgetLayer { sublayers: 2, ..l })
            .collect();
        assert_eq!(effective_filters(&ten), 1_044_672);
        let example1 =
            [(3, 64, 2, 3), (64, 128, 2, 3), (128, 256, 3, 1)].map(|(i, o, n, m)| BudgetLayer {
                input_channels: i,
                output_channels: o,
                sublayers: n,
                mask: MaskBits::new(m).unwrap(),
            });
        assert_eq!(effective_filters(&example1), 55_392);
    }
}
