//! `qtool sample`: one test image as the integer sample input (`sample_<dataset>.npy`) that
//! `convert` and `sim` read for the known-answer test.
//!
//! Must not parse flags or print.

use super::{DataSource, JobError, refuse_existing};
use crate::data::{Normalization, Split, load_dataset};
use crate::io::npy;
use std::path::PathBuf;

/// Which image to write where.
#[derive(Debug, Clone)]
pub struct SampleJob {
    pub data: DataSource,
    pub index: usize,
    pub out: PathBuf,
    pub overwrite: bool,
}

/// Write test image `index` ai8x-normalized as int64 `.npy`; returns its label.
pub fn sample(job: &SampleJob) -> Result<u8, JobError> {
    refuse_existing(&job.out, job.overwrite)?;
    let src = &job.data;
    let test = load_dataset(src.kind, &src.dir, Split::Test)?;
    if job.index >= test.len() {
        return Err(JobError::Input {
            file: src.dir.display().to_string(),
            message: format!(
                "--index {}: the test split has {} images",
                job.index,
                test.len()
            ),
        });
    }
    let codes = Normalization::Ai8x
        .codes(test.image(job.index))
        .expect("ai8x normalization has integer codes");
    npy::write_i64(&job.out, &codes.into_dyn())?;
    Ok(test.labels[job.index])
}
