//! `qtool sample`: one test image as the integer sample input (`sample_<dataset>.npy`) that
//! `convert` and `sim` read for the known-answer test, in the device's input codes.
//!
//! Must not parse flags or print.

use super::load::load;
use super::train::fit_data;
use super::{DataSource, JobError, refuse_existing};
use crate::data::{Normalization, Split, load_dataset};
use crate::device::{LoadRequest, Target};
use crate::io::npy;
use std::path::PathBuf;
use std::sync::Arc;

/// Which image to write where.
#[derive(Debug, Clone)]
pub struct SampleJob {
    /// The device whose input codes are written.
    pub target: Arc<dyn Target>,
    /// Fit the image to this network's input (GTI: grey replicated, enlarged).
    pub network: Option<PathBuf>,
    pub data: DataSource,
    pub index: usize,
    pub out: PathBuf,
    pub overwrite: bool,
}

/// Write test image `index` in the device's input codes (ai8x: int64 in [-128, 127]; GTI:
/// uint8 5-bit codes); returns its label and the normalization used.
pub fn sample(job: &SampleJob) -> Result<(u8, Normalization), JobError> {
    refuse_existing(&job.out, job.overwrite)?;
    let src = &job.data;
    let mut test = load_dataset(src.kind, &src.dir, Split::Test)?;
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
    let image = test.subset(&[job.index]);
    test = match &job.network {
        Some(net) => {
            let req = LoadRequest {
                network: net.clone(),
                ..Default::default()
            };
            let graph = load(job.target.as_ref(), &req)?.graph;
            fit_data(&image, &graph, net)?
        }
        None => image,
    };
    let norm = job.target.input_normalization();
    let codes = norm
        .codes(test.image(0))
        .ok_or_else(|| JobError::Other(format!("{} has no integer codes", norm.name())))?;
    if let Some(bytes) = codes
        .iter()
        .map(|&v| u8::try_from(v).ok())
        .collect::<Option<Vec<u8>>>()
        .filter(|_| norm == Normalization::Gti)
    {
        let a = ndarray::ArrayD::from_shape_vec(codes.shape(), bytes).expect("same shape");
        npy::write_u8(&job.out, &a)?;
    } else {
        npy::write_i64(&job.out, &codes.into_dyn())?;
    }
    Ok((test.labels[0], norm))
}
