//! The three Lightspeeur chips as data (gti.md §1.1): which coefficient masks each supports,
//! the weight and bias widths behind every mask, the memory compression of a mask, and the
//! chip's layer and size limits.

use std::fmt;

/// A Lightspeeur chip (`--chip`, the dat JSON's `ChipType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chip {
    C2801,
    C2803,
    C5801,
}

/// Coefficient precision of a major layer (`coef_bits`, the "mask bit"): 1, 2, 3, 5, 8 or 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MaskBits(u8);

impl MaskBits {
    /// Every mask some chip supports.
    pub const ALL: [u8; 6] = [1, 2, 3, 5, 8, 12];

    /// `bits` if some chip supports it.
    pub fn new(bits: u8) -> Option<Self> {
        Self::ALL.contains(&bits).then_some(MaskBits(bits))
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    /// How many filters share one filter's worth of coefficient memory (1-, 2-bit: 4;
    /// 3-, 5-bit: 2; wider: 1).
    pub fn compression(self) -> u32 {
        match self.0 {
            1 | 2 => 4,
            3 | 5 => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for MaskBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Signed integer widths of a layer's weights and biases on the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoefWidths {
    pub weight_bits: u8,
    pub bias_bits: u8,
}

/// What one chip allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipLimits {
    /// `(mask, weight bits, bias bits)` for every supported mask.
    pub masks: &'static [(u8, u8, u8)],
    pub max_major_layers: usize,
    pub max_sublayers: usize,
    /// Input sizes (H = W) a major layer may have.
    pub layer_sizes: &'static [usize],
    /// Network input sizes.
    pub input_sizes: &'static [usize],
    /// Smallest channel count of a layer list entry (the first layer's input may be 3).
    pub min_channels: usize,
    /// Σ in·out / compression must stay below this (only the 5801 publishes one).
    pub filter_budget: Option<u64>,
    /// The largest shift (`scaling`) the MDK uses.
    pub max_shift: u8,
}

const SIZES_2801: &[usize] = &[448, 224, 112, 56, 28, 14];
const SIZES_2803: &[usize] = &[448, 224, 112, 56, 28, 14, 7];
const SIZES_5801: &[usize] = &[896, 448, 224, 112, 56, 28, 14, 7];
const INPUTS_2801: &[usize] = &[224, 448];
const INPUTS_LATER: &[usize] = &[224, 448, 320, 640];

impl Chip {
    pub const ALL: [Chip; 3] = [Chip::C2801, Chip::C2803, Chip::C5801];

    /// The chip named by its number (`2801`, `2803`, `5801`).
    pub fn from_number(n: u32) -> Option<Self> {
        match n {
            2801 => Some(Chip::C2801),
            2803 => Some(Chip::C2803),
            5801 => Some(Chip::C5801),
            _ => None,
        }
    }

    /// The chip a `--chip` value names (`"2803"`), if any.
    pub fn parse(text: &str) -> Option<Self> {
        text.trim().parse::<u32>().ok().and_then(Chip::from_number)
    }

    pub fn number(self) -> u32 {
        match self {
            Chip::C2801 => 2801,
            Chip::C2803 => 2803,
            Chip::C5801 => 5801,
        }
    }

    pub fn limits(self) -> ChipLimits {
        match self {
            Chip::C2801 => ChipLimits {
                masks: &[(1, 12, 12), (3, 12, 18)],
                max_major_layers: 6,
                max_sublayers: 12,
                layer_sizes: SIZES_2801,
                input_sizes: INPUTS_2801,
                min_channels: 16,
                filter_budget: None,
                max_shift: 12,
            },
            Chip::C2803 => ChipLimits {
                masks: &[(2, 12, 12), (5, 12, 16), (12, 12, 20)],
                max_major_layers: 6,
                max_sublayers: 12,
                layer_sizes: SIZES_2803,
                input_sizes: INPUTS_LATER,
                min_channels: 16,
                filter_budget: None,
                max_shift: 12,
            },
            Chip::C5801 => ChipLimits {
                masks: &[(1, 8, 20), (3, 8, 20), (8, 8, 20)],
                max_major_layers: 7,
                max_sublayers: 12,
                layer_sizes: SIZES_5801,
                input_sizes: INPUTS_LATER,
                min_channels: 4,
                filter_budget: Some(489_216),
                max_shift: 12,
            },
        }
    }

    /// The masks this chip supports, narrowest first.
    pub fn masks(self) -> Vec<MaskBits> {
        self.limits()
            .masks
            .iter()
            .map(|(m, _, _)| MaskBits(*m))
            .collect()
    }

    /// Weight and bias widths of `mask` on this chip; `None` if the chip lacks the mask.
    pub fn widths(self, mask: MaskBits) -> Option<CoefWidths> {
        self.limits()
            .masks
            .iter()
            .find(|(m, _, _)| *m == mask.0)
            .map(|&(_, weight_bits, bias_bits)| CoefWidths {
                weight_bits,
                bias_bits,
            })
    }
}

impl fmt::Display for Chip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_widths_per_chip() {
        let masks = |c: Chip| c.masks().iter().map(|m| m.bits()).collect::<Vec<_>>();
        assert_eq!(masks(Chip::C2801), [1, 3]);
        assert_eq!(masks(Chip::C2803), [2, 5, 12]);
        assert_eq!(masks(Chip::C5801), [1, 3, 8]);
        let w = |c: Chip, m: u8| c.widths(MaskBits::new(m).unwrap());
        assert_eq!(
            w(Chip::C2803, 5).map(|w| (w.weight_bits, w.bias_bits)),
            Some((12, 16))
        );
        assert_eq!(w(Chip::C2801, 3).map(|w| w.bias_bits), Some(18));
        assert_eq!(w(Chip::C2801, 8), None);
        assert_eq!(MaskBits::new(4), None);
        let ratio = |m: u8| MaskBits::new(m).unwrap().compression();
        assert_eq!([1, 2, 3, 5, 8, 12].map(ratio), [4, 4, 2, 2, 1, 1]);
        assert_eq!(Chip::from_number(5801), Some(Chip::C5801));
        assert_eq!(Chip::from_number(2802), None);
    }
}
