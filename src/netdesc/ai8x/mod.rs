//! ai8x network descriptions (MAX78000, MAX78002): the YAML "sidecar" ai8x-synthesis (izer) accepts, read
//! with every key, alias, default and propagation rule izer applies, and turned into the IR
//! together with a quantized checkpoint. qtool also reads a few training keys izer does not
//! know (per layer `bias`, `batchnorm`, `dropout`; globally `input`), which describe the float
//! model ai8x-training would build and change nothing izer derives.

mod derive;
mod desc;
mod error;
mod features;
mod layer;
mod layer_desc;
mod layer_keys;
mod load;
mod node;
mod value;
mod weights;

use crate::device::ai8x::ChipId;
pub use derive::{Built, InputSpec};
pub use desc::{
    GLOBAL_KEYS, NetworkDesc, TRAINING_GLOBAL_KEYS, load, load_with_layers, parse,
    parse_with_layers,
};
pub use error::DescError;
pub use features::{FeatureUse, check_features, feature_uses};
pub use layer::{LAYER_KEYS, TRAINING_LAYER_KEYS};
pub use layer_desc::{DescBatchNorm, DescOp, DescQuant, LayerDesc};
pub use load::{LoadError, LoadRequest, build, load_desc, load_for, load_max78000, sample_shape};
pub use weights::{CheckpointMap, LayerWeights, MapOptions, map_checkpoint};

/// Build the IR of `desc` for the MAX78000 ([`build_graph_for`]).
pub fn build_graph(
    desc: &NetworkDesc,
    weights: Option<&CheckpointMap>,
    input: InputSpec,
) -> Result<Built, DescError> {
    build_graph_for(desc, weights, input, ChipId::Max78000)
}

/// Build the IR of `desc` placed on `chip`, with weights from `weights` if given (without
/// them, channel counts must come from the YAML's `in_channels`/`out_channels`); every node
/// carries the ai8x training rules (`crate::device::ai8x::training`).
pub fn build_graph_for(
    desc: &NetworkDesc,
    weights: Option<&CheckpointMap>,
    input: InputSpec,
    chip: ChipId,
) -> Result<Built, DescError> {
    let mut built = derive::build_graph(desc, weights, input, chip)?;
    crate::device::ai8x::training::stamp(&mut built.graph);
    Ok(built)
}
