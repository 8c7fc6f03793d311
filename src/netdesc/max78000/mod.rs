//! MAX78000 network descriptions: the YAML "sidecar" ai8x-synthesis (izer) accepts, read
//! with every key, alias, default and propagation rule izer applies, and turned into the IR
//! together with a quantized checkpoint.

mod derive;
mod desc;
mod error;
mod layer;
mod value;
mod weights;

pub use derive::{Built, InputSpec, build_graph};
pub use desc::{GLOBAL_KEYS, NetworkDesc, load, parse};
pub use error::DescError;
pub use layer::{DescOp, DescQuant, LAYER_KEYS, LayerDesc};
pub use weights::{CheckpointMap, LayerWeights, MapOptions, map_checkpoint};
