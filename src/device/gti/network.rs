//! What a loaded GTI graph keeps in its annex: the chip network it came from, qtool's
//! extras and the full model of its host layers (for `inspect` and `convert`).

use super::chip::Chip;
use crate::netdesc::gti::{ChipExtras, ChipNetwork, FullModel};

/// The chip network a loaded graph came from (and its full model), kept in the graph's annex.
#[derive(Debug, Clone, PartialEq)]
pub struct GtiNetwork {
    pub chip: Chip,
    pub network: ChipNetwork,
    pub extras: ChipExtras,
    pub full_model: Option<FullModel>,
}
