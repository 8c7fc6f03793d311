//! qtool's training extras in a chip network JSON: the `"qtool"` object GTI's tools never
//! see (the emitters leave it out). Owns their names and defaults; what they mean for
//! training is the device loader's.

use super::ChipNetwork;
use serde::{Deserialize, Serialize};

/// The `"qtool"` object of a chip network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipExtras {
    /// Architecture name recorded in checkpoints (default: the file's stem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The data set the network is made for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Batch norm after every conv sub-layer in float training (default: true, as GTI's conv
    /// blocks have).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_norm: Option<bool>,
    /// One name per conv sub-layer in network order (default `conv<major>_<sub>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// The full-model JSON of the layers the host runs, relative to the chip network's folder
    /// (`--full-model` wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_model: Option<String>,
}

impl ChipExtras {
    /// Whether float training puts batch norm after each conv sub-layer.
    pub fn batch_norm(&self) -> bool {
        self.batch_norm.unwrap_or(true)
    }
}

impl ChipNetwork {
    /// The network's `"qtool"` object (the defaults when absent); the error names the bad key.
    pub fn extras(&self) -> Result<ChipExtras, String> {
        match &self.qtool {
            None => Ok(ChipExtras::default()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("qtool: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netdesc::gti::GtiJson;

    #[test]
    fn defaults_and_unknown_keys() {
        let mut net = ChipNetwork::from_json(r#"{"layer": [], "model": []}"#).unwrap();
        assert!(net.extras().unwrap().batch_norm());
        net.qtool = Some(serde_json::json!({"batch_norm": false, "names": ["a"]}));
        let x = net.extras().unwrap();
        assert!(!x.batch_norm());
        assert_eq!(x.names.as_deref(), Some(&["a".to_string()][..]));
        net.qtool = Some(serde_json::json!({"batchnorm": true}));
        assert!(net.extras().unwrap_err().contains("batchnorm"));
    }
}
