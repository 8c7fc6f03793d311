//! Renderings of an [`EvalReport`]: a one-line summary, the confusion table, and the
//! predictions as an int64 `.npy` file.
//!
//! Owns only presentation and output. Must not compute any statistic (that is `super`).

use super::EvalReport;
use crate::io::npy::{NpyError, write_i64};
use ndarray::Array1;
use std::fmt::{self, Write as _};
use std::path::Path;

impl fmt::Display for EvalReport {
    /// `2000 samples: top-1 99.15%, top-5 100.00%, 1234.5 images/s (1.62 s)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} samples: top-1 {:.2}%, top-{} {:.2}%, {:.1} images/s ({:.2} s)",
            self.samples,
            100.0 * self.top1,
            self.top5_k,
            100.0 * self.top5,
            self.images_per_s,
            self.seconds
        )
    }
}

impl EvalReport {
    /// The confusion matrix as text: one row per true class, one column per predicted class,
    /// right-aligned.
    ///
    /// ```text
    /// true\pred  0  1
    ///         0  3  1
    ///         1  0  2
    /// ```
    pub fn confusion_table(&self) -> String {
        let corner = "true\\pred";
        let widest = self.confusion.iter().flatten().max().copied().unwrap_or(0);
        let w = widest
            .to_string()
            .len()
            .max(self.classes.saturating_sub(1).to_string().len());
        // Writing to a String cannot fail.
        let mut out = corner.to_string();
        for c in 0..self.classes {
            let _ = write!(out, " {c:>w$}");
        }
        for (t, row) in self.confusion.iter().enumerate() {
            let _ = write!(out, "\n{t:>0$}", corner.len());
            for n in row {
                let _ = write!(out, " {n:>w$}");
            }
        }
        out.push('\n');
        out
    }
}

/// Writes the predicted class of every sample as a 1-D int64 `.npy` file, atomically.
pub fn write_predictions(path: &Path, report: &EvalReport) -> Result<(), NpyError> {
    write_i64(path, &Array1::from(report.predictions.clone()).into_dyn())
}
