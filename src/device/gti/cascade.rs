//! Cascades (gti.md §1.4): a network too large for one chip (`"ChipNumber": N > 1`) split
//! into N chip-sized pieces in major-layer order, each piece a chip network of its own
//! (major layers renumbered from 1, `ChipNumber` 1), with where its coefficients start in
//! `filter.txt` and `bias.txt`.
//!
//! GTI's own tools hard-code the split points per model; qtool chooses them (a choice the
//! README records): every chip takes as many consecutive major layers as its major-layer
//! count and coefficient budget allow, leaving at least one for each chip after it.

use super::budget::effective_filters as effective;
use super::chip::Chip;
use crate::netdesc::gti::{ChipNetwork, MajorLayer};
use std::ops::Range;

/// One chip's share of a cascade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// 0-based major layers of the whole network.
    pub layers: Range<usize>,
    /// Index of the piece's first value in `filter.txt`.
    pub filter_start: u64,
    /// Index of the piece's first value in `bias.txt`.
    pub bias_start: u64,
}

/// Values a major layer writes to `filter.txt` and `bias.txt`: `in·out·9` for the first
/// sub-layer plus `out·out·9` for each further one (3×3 kernels, as GTI's split counts
/// them), and `out` biases per sub-layer.
pub fn coefficient_counts(l: &MajorLayer) -> (u64, u64) {
    let (i, o, n) = (
        l.input_channels as u64,
        l.output_channels as u64,
        l.sublayer_number as u64,
    );
    (9 * (i * o + n.saturating_sub(1) * o * o), o * n)
}

/// Split `layers` over `chips` chips; `Err` says why they do not fit.
pub fn split(layers: &[MajorLayer], chip: Chip, chips: usize) -> Result<Vec<Piece>, String> {
    let limits = chip.limits();
    let budget = limits.filter_budget.unwrap_or(u64::MAX);
    if chips == 0 || chips > layers.len() {
        return Err(format!(
            "{} major layers cannot fill {chips} chips (at least one each)",
            layers.len()
        ));
    }
    let mut pieces = Vec::with_capacity(chips);
    let (mut start, mut filters, mut biases) = (0, 0u64, 0u64);
    for k in 0..chips {
        let keep_for_rest = chips - k - 1;
        let mut end = start;
        let mut used = 0;
        while end < layers.len() - keep_for_rest
            && end - start < limits.max_major_layers
            && used + effective(&layers[end]) < budget
        {
            used += effective(&layers[end]);
            end += 1;
        }
        if end == start {
            return Err(format!(
                "major layer {} alone exceeds one {chip}'s coefficient budget ({budget})",
                start + 1
            ));
        }
        if k + 1 == chips && end < layers.len() {
            return Err(format!(
                "{chips} chips hold major layers 1 to {end} of {}",
                layers.len()
            ));
        }
        pieces.push(Piece {
            layers: start..end,
            filter_start: filters,
            bias_start: biases,
        });
        for l in &layers[start..end] {
            let (f, b) = coefficient_counts(l);
            filters += f;
            biases += b;
        }
        start = end;
    }
    Ok(pieces)
}

/// The chip network of each piece: its major layers renumbered from 1, one chip each.
pub fn piece_networks(net: &ChipNetwork, pieces: &[Piece]) -> Vec<ChipNetwork> {
    pieces
        .iter()
        .map(|p| {
            let mut layer = net.layer[p.layers.clone()].to_vec();
            for (i, l) in layer.iter_mut().enumerate() {
                l.major_layer = i as u32 + 1;
            }
            let mut model = net.model.clone();
            for m in &mut model {
                m.chip_number = Some(1);
                m.major_layer_number = Some(layer.len());
            }
            ChipNetwork {
                layer,
                model,
                qtool: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(i: usize, o: usize, n: usize, mask: u8) -> MajorLayer {
        MajorLayer::new(1, 56, (i, o), n, mask)
    }

    #[test]
    fn coefficient_offsets_follow_the_running_totals() {
        let l = layer(64, 128, 2, 3);
        assert_eq!(coefficient_counts(&l), (9 * (64 * 128 + 128 * 128), 256));
        // Nine small layers on 2803s (six major layers per chip): 6 + 3.
        let layers: Vec<MajorLayer> = (0..9).map(|_| layer(16, 16, 1, 2)).collect();
        let pieces = split(&layers, Chip::C2803, 2).unwrap();
        assert_eq!(pieces[0].layers, 0..6);
        assert_eq!(pieces[1].layers, 6..9);
        assert_eq!(pieces[1].filter_start, 6 * 9 * 256);
        assert_eq!(pieces[1].bias_start, 6 * 16);
        // Three chips: the first two full, one layer left for the last... here 6, 2, 1.
        let three = split(&layers, Chip::C2803, 3).unwrap();
        assert_eq!(
            three.iter().map(|p| p.layers.len()).collect::<Vec<_>>(),
            [6, 2, 1]
        );
        assert!(
            split(&layers, Chip::C2803, 1)
                .unwrap_err()
                .contains("1 to 6 of 9")
        );
        assert!(split(&layers, Chip::C2803, 10).is_err());
    }

    #[test]
    fn the_5801_budget_cuts_pieces() {
        // Each 512→512 ×3 layer at 8 bits is 786432 effective filters: over one chip alone.
        let big = vec![layer(512, 512, 3, 8)];
        assert!(
            split(&big, Chip::C5801, 1)
                .unwrap_err()
                .contains("alone exceeds")
        );
        // At 1 bit each is 196608: two fit one 5801 (393216), three do not.
        let layers: Vec<MajorLayer> = (0..4).map(|_| layer(512, 512, 3, 1)).collect();
        let pieces = split(&layers, Chip::C5801, 2).unwrap();
        assert_eq!(pieces[0].layers, 0..2);
        assert_eq!(pieces[1].layers, 2..4);
        let net = ChipNetwork {
            layer: layers,
            model: vec![crate::netdesc::gti::ModelEntry {
                chip_type: 5801,
                major_layer_number: Some(4),
                sampling_method: None,
                chip_number: Some(2),
                activation_bit_mode: None,
            }],
            qtool: None,
        };
        let nets = piece_networks(&net, &pieces);
        assert_eq!(nets.len(), 2);
        assert_eq!(nets[1].layer[0].major_layer, 1);
        assert_eq!(nets[1].model[0].chip_number, Some(1));
        assert_eq!(nets[1].model[0].major_layer_number, Some(2));
    }
}
