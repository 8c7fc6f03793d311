//! `qtool sample`: one test image as the integer sample input (`sample_<dataset>.npy`) that
//! `convert` and `sim` read for the known-answer test.

use super::train::DataFlags;
use crate::checkpoint::npy;
use crate::data::{Normalization, Split, load_dataset};
use anyhow::{Result, anyhow};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `qtool sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub data: DataFlags,
    /// Index of the image in the test split.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub index: usize,
    /// Where to write the int64 `[C, H, W]` `.npy`.
    #[arg(long, value_name = "NPY")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: &SampleArgs) -> Result<ExitCode> {
    if a.out.exists() && !a.overwrite {
        return Err(anyhow!(
            "{}: exists (pass --overwrite to replace it)",
            a.out.display()
        ));
    }
    let src = a.data.source();
    let test = load_dataset(src.kind, &src.dir, Split::Test).map_err(|e| anyhow!(e))?;
    if a.index >= test.len() {
        return Err(anyhow!(
            "{}: --index {}: the test split has {} images",
            src.dir.display(),
            a.index,
            test.len()
        ));
    }
    let codes = Normalization::Ai8x
        .codes(test.image(a.index))
        .expect("ai8x normalization has integer codes");
    npy::write_i64(&a.out, &codes.into_dyn()).map_err(|e| anyhow!(e))?;
    super::print_stdout(&format!(
        "{}: test image {} (label {}), ai8x-normalized\n",
        a.out.display(),
        a.index,
        test.labels[a.index]
    ))?;
    Ok(ExitCode::SUCCESS)
}
