//! MAX78000 network descriptions: the YAML "sidecar" ai8x-synthesis (izer) accepts, read
//! with every key, alias, default and propagation rule izer applies, and turned into the IR
//! together with a quantized checkpoint. qtool also reads a few training keys izer does not
//! know (per layer `bias`, `batchnorm`, `dropout`; globally `input`), which describe the float
//! model ai8x-training would build and change nothing izer derives.

mod derive;
mod desc;
mod error;
mod layer;
mod layer_keys;
mod node;
mod value;
mod weights;

pub use derive::{Built, InputSpec, build_graph};
pub use desc::{GLOBAL_KEYS, NetworkDesc, TRAINING_GLOBAL_KEYS, load, parse};
pub use error::DescError;
pub use layer::{DescBatchNorm, DescOp, DescQuant, LAYER_KEYS, LayerDesc, TRAINING_LAYER_KEYS};
pub use weights::{CheckpointMap, LayerWeights, MapOptions, map_checkpoint};
