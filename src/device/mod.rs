//! Device knowledge, one sub-module per accelerator: limits, memory maps, placement.
//!
//! The IR carries a device's placement data in the typed annexes defined here; everything
//! else about a device stays inside its own sub-module.

pub mod max78000;

/// Per-node device placement.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum DeviceAnnex {
    /// Not placed on any device (training graph).
    #[default]
    None,
    Max78000(Box<max78000::Placement>),
}

impl DeviceAnnex {
    pub fn max78000(&self) -> Option<&max78000::Placement> {
        match self {
            DeviceAnnex::Max78000(p) => Some(p),
            DeviceAnnex::None => None,
        }
    }
}

/// Whole-network device settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum GraphAnnex {
    #[default]
    None,
    Max78000(Box<max78000::NetworkPlacement>),
}

impl GraphAnnex {
    pub fn max78000(&self) -> Option<&max78000::NetworkPlacement> {
        match self {
            GraphAnnex::Max78000(p) => Some(p),
            GraphAnnex::None => None,
        }
    }
}
