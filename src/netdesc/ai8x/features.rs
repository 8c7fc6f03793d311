//! Which optional chip features a described layer relies on (depthwise convolution, binary
//! weights, Conv2d dilation), and the refusal of a description that asks a chip for one it
//! lacks.
//!
//! Owns the link between YAML keys and [`Features`] flags. Must not check numeric limits
//! (`device::ai8x::check` does) nor read checkpoints.

use super::NetworkDesc;
use super::error::DescError;
use super::layer_desc::{DescOp, DescQuant, LayerDesc};
use crate::device::ai8x::{ChipId, Features};

/// One optional feature a layer uses: the key that asks for it, what it is called, and the
/// flag of a chip that has it.
#[derive(Debug, Clone, Copy)]
pub struct FeatureUse {
    pub key: &'static str,
    pub what: &'static str,
    pub supported: fn(&Features) -> bool,
}

/// The optional features layer `l` uses, in key order.
pub fn feature_uses(l: &LayerDesc) -> Vec<FeatureUse> {
    let mut uses = Vec::new();
    if l.conv_groups > 1 {
        uses.push(FeatureUse {
            key: l.conv_groups_key,
            what: "depthwise convolution (groups > 1)",
            supported: |f| f.depthwise,
        });
    }
    if l.op == DescOp::Conv2d && l.dilation != [1, 1] {
        uses.push(FeatureUse {
            key: "dilation",
            what: "Conv2d dilation",
            supported: |f| f.conv2d_dilation,
        });
    }
    if l.quantization == Some(DescQuant::Binary) {
        uses.push(FeatureUse {
            key: "quantization",
            what: "binary (±1) weights",
            supported: |f| f.binary_weights,
        });
    }
    uses
}

/// The parts of the family that have a feature, for messages ("MAX78002").
fn parts_with(supported: fn(&Features) -> bool) -> String {
    [ChipId::Max78000, ChipId::Max78002]
        .iter()
        .map(|id| id.chip())
        .filter(|c| supported(&c.features))
        .map(|c| c.part)
        .collect::<Vec<_>>()
        .join("/")
}

/// Refuse the first layer of `desc` that uses a feature `chip` does not have.
pub fn check_features(desc: &NetworkDesc, chip: ChipId) -> Result<(), DescError> {
    let chip = chip.chip();
    for l in &desc.layers {
        if let Some(u) = feature_uses(l)
            .into_iter()
            .find(|u| !(u.supported)(&chip.features))
        {
            return Err(DescError::new(
                &desc.file,
                Some(l.seq),
                Some(u.key),
                format!(
                    "{} is a {} feature; {} does not support it",
                    u.what,
                    parts_with(u.supported),
                    chip.part
                ),
            ));
        }
    }
    Ok(())
}
