//! MAX78000 network descriptions: the YAML "sidecar" ai8x-synthesis (izer) accepts, read
//! with every key, alias, default and propagation rule izer applies, and turned into the IR
//! together with a quantized checkpoint.

mod desc;
mod error;
mod layer;
mod value;

pub use desc::{GLOBAL_KEYS, NetworkDesc, load, parse};
pub use error::DescError;
pub use layer::{DescOp, DescQuant, LAYER_KEYS, LayerDesc};
