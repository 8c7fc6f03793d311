//! GTI Lightspeeur description front end: the chip network JSON (gti.md §4.1) and the
//! full-model JSON (§4.2), read and written, and qtool's training extras of a chip network
//! (its `"qtool"` object). The device loader (`crate::device::gti`) builds the IR from them.

use serde::Serialize;
use serde::de::DeserializeOwned;

pub mod chip_network;
mod extras;
pub mod full_model;

pub use chip_network::{ChipNetwork, MajorLayer, ModelEntry};
pub use extras::ChipExtras;
pub use full_model::{CnnDevice, FullModel, ModelLayer, Operation, TensorIn, TensorOut};

/// A GTI JSON file: parsed from text, written pretty-printed with or without qtool's
/// `"qtool"` extras (GTI's tools get the file without them).
pub trait GtiJson: Serialize + DeserializeOwned + Clone {
    /// The same file without qtool's extras.
    fn without_extras(&self) -> Self;

    /// Parse a file's text (`serde_json`'s message names line and column).
    fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The file with qtool's extras.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serializes") + "\n"
    }

    /// The file as GTI's tools read it.
    fn to_gti_json(&self) -> String {
        self.without_extras().to_json()
    }
}
