//! Classification accuracy of any model on labelled inputs: top-1 and top-k, the confusion
//! matrix, per-sample predictions and throughput, computed in parallel.
//!
//! Owns scoring and the report (JSON via serde, a text table, `.npy` predictions). Must not
//! know how a model computes its scores (the caller's predictor) nor read data files
//! (`crate::data`).

mod report;
mod simulator;
#[cfg(test)]
mod tests;

pub use report::write_predictions;
pub use simulator::{SIM_BLOCK, evaluate_simulator};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use thiserror::Error;

/// Whether [`evaluate`] draws a progress bar on stderr (it stays hidden when stderr is not a
/// terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Quiet,
    Bar,
}

/// The result of an evaluation. Accuracies are fractions in `[0, 1]`, not percents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub samples: usize,
    pub classes: usize,
    /// Fraction of samples whose prediction (see [`EvalReport::predictions`]) is the label.
    pub top1: f64,
    /// Fraction of samples whose label is among the `top5_k` best-ranked classes.
    pub top5: f64,
    /// The k of `top5`: 5, or the number of classes when there are fewer.
    pub top5_k: usize,
    /// `confusion[true][predicted]` sample counts.
    pub confusion: Vec<Vec<u64>>,
    /// Predicted class per sample, in input order: the index of the highest score, the lowest
    /// such index on ties. Not in the JSON (see [`write_predictions`]).
    #[serde(skip)]
    pub predictions: Vec<i64>,
    pub images_per_s: f64,
    /// Wall-clock seconds of the predictions.
    pub seconds: f64,
}

#[derive(Debug, Error)]
pub enum EvalError<E> {
    #[error("{inputs} inputs but {labels} labels")]
    LengthMismatch { inputs: usize, labels: usize },
    #[error("nothing to evaluate: no samples or no classes")]
    Empty,
    #[error("input normalization {0} has no integer codes for a simulator")]
    NoCodes(&'static str),
    #[error("label {label} of sample {index} is out of range (classes 0..{classes})")]
    Label {
        index: usize,
        label: u8,
        classes: usize,
    },
    #[error("sample {index}: {error}")]
    Predict { index: usize, error: E },
    #[error("sample {index}: the model gave {got} scores for {classes} classes")]
    ScoreCount {
        index: usize,
        got: usize,
        classes: usize,
    },
}

/// Per sample: the predicted class and the label's rank (see [`rank`]), or its error; `None`
/// when skipped after an earlier failure.
type Outcome<E> = Option<Result<(usize, usize), EvalError<E>>>;

/// How many classes rank ahead of `class`: a higher score, or an equal score and a lower
/// index. Rank 0 is the prediction; `class` is in the top k when its rank is below k.
fn rank<S: PartialOrd + Copy>(scores: &[S], class: usize) -> usize {
    let s = scores[class];
    let ahead = |(j, &t): (usize, &S)| t > s || (t == s && j < class);
    scores.iter().enumerate().filter(|&x| ahead(x)).count()
}

fn bar(progress: Progress, n: usize) -> ProgressBar {
    if progress == Progress::Quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
    match ProgressStyle::with_template("{bar:40} {pos}/{len} images, {per_sec}, ETA {eta}") {
        Ok(style) => bar.with_style(style),
        Err(_) => bar,
    }
}

/// Scores every input with `predict` (one integer score per class, e.g. the final layer's
/// outputs), in parallel, and compares the best-ranked classes with `labels`.
///
/// Ties are broken toward the lower class index, both for the prediction and for top-k. On
/// errors the one of the lowest sample index is returned, whatever the thread timing.
pub fn evaluate<I, S, F, E>(
    inputs: &[I],
    labels: &[u8],
    classes: usize,
    predict: F,
    progress: Progress,
) -> Result<EvalReport, EvalError<E>>
where
    I: Sync,
    S: PartialOrd + Copy + Send,
    F: Fn(&I) -> Result<Vec<S>, E> + Sync,
    E: Send,
{
    let one = |block: &[I]| block.first().map_or(Ok(Vec::new()), &predict);
    evaluate_blocks(inputs, labels, classes, 1, one, progress)
}

/// [`evaluate`] with a predictor that scores `block` inputs per call (the blocks run in
/// parallel; the last one may be shorter) and returns their scores one input after the other
/// (`classes` each). A failing block is scored again input by input, so that the error names
/// the lowest failing sample.
pub fn evaluate_blocks<I, S, F, E>(
    inputs: &[I],
    labels: &[u8],
    classes: usize,
    block: usize,
    predict: F,
    progress: Progress,
) -> Result<EvalReport, EvalError<E>>
where
    I: Sync,
    S: PartialOrd + Copy + Send,
    F: Fn(&[I]) -> Result<Vec<S>, E> + Sync,
    E: Send,
{
    if inputs.len() != labels.len() {
        return Err(EvalError::LengthMismatch {
            inputs: inputs.len(),
            labels: labels.len(),
        });
    }
    if inputs.is_empty() || classes == 0 {
        return Err(EvalError::Empty);
    }
    if let Some(index) = labels.iter().position(|&l| usize::from(l) >= classes) {
        let label = labels[index];
        return Err(EvalError::Label {
            index,
            label,
            classes,
        });
    }
    let k = classes.min(5);
    let block = block.max(1);
    let bar = bar(progress, inputs.len());
    // Blocks after an already failed sample are skipped; the lowest failure always runs.
    let failed = AtomicUsize::new(usize::MAX);
    let start = Instant::now();
    let outcomes: Vec<Outcome<E>> = inputs
        .par_chunks(block)
        .enumerate()
        .flat_map_iter(|(b, chunk)| {
            let first = b * block;
            let outcomes: Vec<Outcome<E>> = if first > failed.load(Ordering::Relaxed) {
                chunk.iter().map(|_| None).collect()
            } else {
                score_block(&predict, chunk, first, classes, &labels[first..])
                    .into_iter()
                    .map(Some)
                    .collect()
            };
            if let Some(index) = outcomes.iter().position(|o| matches!(o, Some(Err(_)))) {
                failed.fetch_min(first + index, Ordering::Relaxed);
            }
            bar.inc(chunk.len() as u64);
            outcomes
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let mut confusion = vec![vec![0u64; classes]; classes];
    let mut predictions = Vec::with_capacity(inputs.len());
    let (mut top1, mut topk) = (0usize, 0usize);
    for (outcome, &label) in outcomes.into_iter().zip(labels) {
        // A skipped sample comes after the failure that caused the skip, returned below.
        let Some(outcome) = outcome else { continue };
        let (pred, label_rank) = outcome?;
        confusion[usize::from(label)][pred] += 1;
        predictions.push(pred as i64);
        top1 += usize::from(label_rank == 0);
        topk += usize::from(label_rank < k);
    }
    let n = inputs.len() as f64;
    Ok(EvalReport {
        samples: inputs.len(),
        classes,
        top1: top1 as f64 / n,
        top5: topk as f64 / n,
        top5_k: k,
        confusion,
        predictions,
        images_per_s: n / seconds.max(1e-9),
        seconds,
    })
}

/// The predicted class and the label's rank for every input of `chunk` (sample indices from
/// `first`): one call for the whole block, judged slice by slice; when it fails or gives the
/// wrong number of scores, one call per input, so that each error names its sample.
fn score_block<I, S, F, E>(
    predict: &F,
    chunk: &[I],
    first: usize,
    classes: usize,
    labels: &[u8],
) -> Vec<Result<(usize, usize), EvalError<E>>>
where
    S: PartialOrd + Copy,
    F: Fn(&[I]) -> Result<Vec<S>, E>,
{
    let judge = |i: usize, s: &[S]| (argmax(s), rank(s, labels[i].into()));
    let result = predict(chunk);
    match result {
        Ok(scores) if scores.len() == chunk.len() * classes => {
            return scores
                .chunks(classes)
                .enumerate()
                .map(|(i, s)| Ok(judge(i, s)))
                .collect();
        }
        Ok(scores) if chunk.len() == 1 => {
            let got = scores.len();
            return vec![Err(EvalError::ScoreCount {
                index: first,
                got,
                classes,
            })];
        }
        Err(error) if chunk.len() == 1 => {
            return vec![Err(EvalError::Predict {
                index: first,
                error,
            })];
        }
        _ => {}
    }
    chunk
        .iter()
        .enumerate()
        .flat_map(|(i, x)| {
            score_block(
                predict,
                std::slice::from_ref(x),
                first + i,
                classes,
                &labels[i..],
            )
        })
        .collect()
}

/// The index of the highest score, the lowest such index on ties.
fn argmax<S: PartialOrd + Copy>(scores: &[S]) -> usize {
    let mut best = 0;
    for (j, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = j;
        }
    }
    best
}
