//! `qtool analyze`: looking inside a network, one mode per question. Each mode is a request
//! type and one function in a file of its own; the command line picks exactly one mode.
//!
//! Modes:
//!
//! * [`compare_sim`] (`--compare-sim`): a quantized checkpoint on the first test images through
//!   the bit-exact simulator and through the fake-quant model of `eval --quantized`, layer by
//!   layer, with the cosine between the fake-quant model and the float model of the same
//!   weights.
//! * [`checkpoint`]: a float or quantization-aware checkpoint (or a float one under
//!   `--scheme`) as `eval` runs it, in any combination of the range table ([`ranges`], the
//!   default), `--extract` ([`extract`]), `--histograms` ([`histograms`]) and `--compare`
//!   ([`compare`]), all from one pass over the images ([`collect`]).
//!
//! Owns what the modes share: which images they read ([`AnalysisData`], the first `images` of a
//! data set's test split), the model a checkpoint becomes (`crate::jobs::model`) and the layout of their
//! text tables ([`columns`]). Must not parse flags or print; reaches a device only through
//! [`crate::device::Target`].

pub mod checkpoint;
mod collect;
pub mod compare;
pub mod compare_sim;
pub mod extract;
mod files;
pub mod histograms;
mod layer_stats;
pub mod quantiles;
pub mod ranges;
mod table;

pub use crate::jobs::model::ModelSource;
pub use checkpoint::{
    CheckpointJob, CheckpointReport, CompareRequest, DEFAULT_PERCENTILES, analyze_checkpoint,
};
pub use compare_sim::{CompareSimJob, CompareSimReport, compare_sim};
pub use layer_stats::{Difference, LayerComparison};
pub use table::columns;

use super::{DataSource, JobError};
use crate::data::{ImageSet, Split, load_dataset};

/// Images analysed by default: the first 100 of the test split.
pub const DEFAULT_IMAGES: usize = 100;

/// The images a mode reads: the first `images` of the test split of `source` (all of them
/// when the split has fewer).
#[derive(Debug, Clone)]
pub struct AnalysisData {
    pub source: DataSource,
    pub images: usize,
}

impl AnalysisData {
    /// Load the test split and keep its first images; a request for none is refused.
    pub fn load(&self) -> Result<ImageSet, JobError> {
        if self.images == 0 {
            return Err(JobError::Other(
                "--images 0: at least one image is needed".into(),
            ));
        }
        let set = load_dataset(self.source.kind, &self.source.dir, Split::Test)?;
        if set.is_empty() {
            return Err(JobError::Input {
                file: self.source.dir.display().to_string(),
                message: "the test split has no images".into(),
            });
        }
        let n = self.images.min(set.len());
        if n == set.len() {
            return Ok(set);
        }
        Ok(set.subset(&(0..n).collect::<Vec<_>>()))
    }
}
