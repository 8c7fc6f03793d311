//! Quantization-aware training of a run: the QAT settings stored with the run, the switch at
//! the start epoch, and building a model in the right mode for a checkpoint.
//!
//! Owns the switch (`qat.md` §6–§7): fold batch norm into the operators, record the policy's
//! widths in the graph, rebuild the model with the device's fake-quantization and carry the
//! optimizer's per-parameter state over to the new parameter list (matched in order by shape,
//! skipping one-element tensors, as ai8x-training's `update_optimizer` does), and calibrate the
//! activation ranges a scheme needs first ([`calibrate`]: GTI's ReLU caps). The arithmetic is
//! the device's [`QatScheme`]; the loop that calls this is [`super::run`].

use super::model::{ModelOptions, TrainError, TrainModel};
use super::progressive::Progressive;
use super::step::images_tensor;
use super::taps::{TapMode, tapped};
use crate::data::rng::Rng;
use crate::fuse::{FuseError, fold_batchnorm};
use crate::ir::Graph;
use crate::quant::registry::qat_scheme;
use crate::quant::{
    CalibrationSettings, ModelQuant, PolicyError, QatParts, QatPolicy, QatScheme, SchemeSettings,
    TapPoint, operator_nodes,
};
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum QatError {
    #[error(transparent)]
    Model(#[from] TrainError),
    #[error("quantization-aware training: {0}")]
    Fuse(#[from] FuseError),
    #[error("quantization-aware training: the device has no fake-quantization scheme")]
    NoScheme,
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// The QAT settings of a run, stored in its checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Qat {
    /// Bit widths (default and per layer) and the output-shift quantile.
    pub policy: QatPolicy,
    /// Epoch (0-based) at whose start QAT begins (0: from the first step).
    pub start_epoch: usize,
    /// Fake-quantize weights and biases (`--quant-w`).
    pub weights: bool,
    /// Round activations to the 8-bit grid (`--quant-act`).
    pub activations: bool,
    /// Whether QAT has begun: the checkpoint's parameters are folded and quantization-aware.
    #[serde(default)]
    pub active: bool,
    /// How activation ranges are calibrated, for schemes that calibrate them (GTI's ReLU
    /// caps).
    #[serde(default)]
    pub calibration: CalibrationSettings,
    /// A device-independent scheme (`--scheme`) instead of the device's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<SchemeSettings>,
    /// Quantize one layer at a time (`--progressive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progressive: Option<Progressive>,
    /// Where the policy came from (for error messages; not stored).
    #[serde(skip)]
    pub policy_file: String,
}

/// The QAT of a run from command-line choices: on when any of them is given; `--quant-w` and
/// `--quant-act` pick the parts (both when neither is given); the start epoch is `start` or
/// the policy's. `policy` is the policy file (the built-in `configs/qat_policy.yaml` if
/// `None`).
pub fn configure(
    policy: Option<&Path>,
    start: Option<usize>,
    weights: bool,
    activations: bool,
) -> Result<Option<Qat>, PolicyError> {
    if policy.is_none() && start.is_none() && !weights && !activations {
        return Ok(None);
    }
    let (policy, file) = match policy {
        Some(p) => (QatPolicy::read(p)?, p.display().to_string()),
        None => (
            QatPolicy::default_policy(),
            "configs/qat_policy.yaml (built in)".to_string(),
        ),
    };
    let start_epoch = start
        .or(policy.start_epoch)
        .ok_or_else(|| PolicyError::Value {
            file: file.clone(),
            key: "start_epoch".into(),
            message: "missing (or pass --qat-start)".into(),
        })?;
    let both = !weights && !activations;
    Ok(Some(Qat {
        policy,
        start_epoch,
        weights: weights || both,
        activations: activations || both,
        active: false,
        calibration: CalibrationSettings::default(),
        scheme: None,
        progressive: None,
        policy_file: file,
    }))
}

impl Qat {
    /// Training with a device-independent scheme from `start_epoch` (inactive until then).
    pub fn with_scheme(
        settings: SchemeSettings,
        start_epoch: usize,
        progressive: Option<Progressive>,
    ) -> Qat {
        Qat {
            policy: QatPolicy::default_policy(),
            start_epoch,
            weights: true,
            activations: true,
            active: false,
            calibration: CalibrationSettings::default(),
            scheme: Some(settings),
            progressive,
            policy_file: format!("--scheme {}", settings.name()),
        }
    }

    /// The scheme this run trains with: its own (`--scheme`), else the device's.
    pub fn resolve(&self, device: Option<&Arc<dyn QatScheme>>) -> Option<Arc<dyn QatScheme>> {
        match &self.scheme {
            Some(s) => Some(qat_scheme(s)),
            None => device.cloned(),
        }
    }

    /// Whether QAT begins at the start of `epoch`.
    pub fn starts_at(&self, epoch: usize) -> bool {
        !self.active && epoch >= self.start_epoch
    }

    /// Fold batch norm and record the policy's widths in `graph` (once the scheme has accepted
    /// them); returns the folded count.
    pub fn prepare_graph(
        &self,
        graph: &mut Graph,
        scheme: &dyn QatScheme,
    ) -> Result<usize, QatError> {
        let file = if self.policy_file.is_empty() {
            "the QAT policy recorded in the checkpoint"
        } else {
            &self.policy_file
        };
        scheme.check_policy(&self.policy, graph, file)?;
        let folded = if scheme.folds_batchnorm() {
            fold_batchnorm(graph)?
        } else {
            0
        };
        scheme.apply_policy(graph, &self.policy);
        Ok(folded)
    }

    /// The model of a prepared graph in QAT mode.
    pub fn model(
        &self,
        graph: &Graph,
        scheme: &dyn QatScheme,
        opts: &ModelOptions,
        device: &Device,
    ) -> Result<TrainModel, TrainError> {
        let mut model = TrainModel::new(graph, opts, device)?;
        model.set_quant(self.stages(graph, scheme, None))?;
        Ok(model)
    }

    /// The fake-quantization stages of a prepared graph; with `layers`, only the first that
    /// many quantized nodes keep theirs (progressive quantization).
    pub fn stages(
        &self,
        graph: &Graph,
        scheme: &dyn QatScheme,
        layers: Option<usize>,
    ) -> ModelQuant {
        let parts = QatParts {
            weights: self.weights,
            activations: self.activations,
        };
        let mut quant = scheme.qat(graph, parts, &self.policy);
        if let Some(j) = layers {
            let mut seen = 0;
            for q in quant.layers.iter_mut().filter(|q| q.is_some()) {
                seen += 1;
                if seen > j {
                    *q = None;
                }
            }
        }
        quant
    }
}

/// Training images for a calibration: the first `batches` batches in order, or `count`
/// images drawn with `seed` (in one pass, batch by batch).
fn calibration_batches(
    n: usize,
    batch: usize,
    batches: usize,
    sample: Option<usize>,
    seed: u64,
) -> Vec<Vec<usize>> {
    let batch = batch.max(1);
    let order: Vec<usize> = match sample {
        Some(count) => {
            let mut all: Vec<usize> = (0..n).collect();
            Rng::new(seed ^ CALIBRATION_SEED).shuffle(&mut all);
            all.truncate(count.min(n));
            all
        }
        None => (0..n.min(batch * batches.max(1))).collect(),
    };
    order.chunks(batch).map(<[usize]>::to_vec).collect()
}

/// Mixed into the run's seed for the calibration sample.
const CALIBRATION_SEED: u64 = 0x5ca1_ab1e;

/// Calibrate what `scheme` needs before quantized activations start (GTI's ReLU caps,
/// quantclip's msb values, GFPQ's data coefficients): the graph is prepared (folded, policy
/// applied), the calibrator's model — float, or weights-only quantization-aware — runs over
/// its images of `images` (normalized values of `[C, H, W]` images; `batch` per batch; a
/// sample drawn with `seed` when the calibrator asks for one), and the scheme records what
/// it saw. Returns the number of taps read (0 when nothing needed calibrating).
#[allow(clippy::too_many_arguments)]
pub fn calibrate(
    graph: &mut Graph,
    q: &Qat,
    scheme: &dyn QatScheme,
    opts: &ModelOptions,
    images: (&[f32], [usize; 3]),
    batch: usize,
    seed: u64,
    device: &Device,
) -> Result<usize, QatError> {
    if !q.activations && q.scheme.is_none() {
        return Ok(0);
    }
    q.prepare_graph(graph, scheme)?;
    let Some(mut cal) = scheme.calibrator(graph, q.calibration) else {
        return Ok(0);
    };
    let mut model = TrainModel::new(graph, opts, device)?;
    let base = if cal.on_float_model() {
        ModelQuant {
            layers: vec![None; graph.nodes.len()],
            ..ModelQuant::default()
        }
    } else {
        let parts = QatParts {
            weights: q.weights,
            activations: false,
        };
        scheme.qat(graph, parts, &q.policy)
    };
    let taps = cal.taps().to_vec();
    let (quant, sink) = tapped(base, &taps, TapMode::Values);
    model.set_quant(quant)?;
    let (values, [c, h, w]) = images;
    let per = c * h * w;
    let n = values.len() / per.max(1);
    let batches = calibration_batches(n, batch, q.calibration.batches, cal.images(), seed);
    for indices in batches {
        let x: Vec<f32> = indices
            .iter()
            .flat_map(|&i| &values[i * per..(i + 1) * per])
            .copied()
            .collect();
        let outs = model.forward_all(images_tensor(x, [indices.len(), c, h, w], device))?;
        for (k, tap) in taps.iter().enumerate() {
            let v = if tap.point == TapPoint::Output {
                outs[tap.node]
                    .clone()
                    .into_data()
                    .try_into_vec_as::<f32>()
                    .expect("float outputs")
            } else {
                sink.take_values(k)
            };
            cal.observe(k, &v);
        }
    }
    cal.finish(graph);
    Ok(taps.len())
}

/// The model of `graph` in the mode `qat` says for `epoch` (the epoch about to run, or the
/// last one run): float, or (once QAT is active) prepared and fake-quantized with the run's
/// scheme (its own, else the device's `scheme`) as far as progressive quantization has got.
/// `graph` is prepared in place when QAT is active.
pub fn build_model(
    graph: &mut Graph,
    qat: Option<&Qat>,
    scheme: Option<&Arc<dyn QatScheme>>,
    epoch: usize,
    opts: &ModelOptions,
    device: &Device,
) -> Result<TrainModel, QatError> {
    match qat {
        Some(q) if q.active => {
            let scheme = q.resolve(scheme).ok_or(QatError::NoScheme)?;
            q.prepare_graph(graph, scheme.as_ref())?;
            let mut model = TrainModel::new(graph, opts, device)?;
            q.configure(&mut model, graph, scheme.as_ref(), epoch)?;
            Ok(model)
        }
        _ => Ok(TrainModel::new(graph, opts, device)?),
    }
}

impl Qat {
    /// Set `model`'s stages (and locks) for `epoch` from a prepared `graph`; returns the
    /// number of quantized layers when progressive quantization has not reached them all.
    pub fn configure(
        &self,
        model: &mut TrainModel,
        graph: &Graph,
        scheme: &dyn QatScheme,
        epoch: usize,
    ) -> Result<Option<usize>, TrainError> {
        let Some(p) = self.progressive else {
            model.set_quant(self.stages(graph, scheme, None))?;
            return Ok(None);
        };
        let nodes = operator_nodes(graph);
        let phase = p.phase(self.start_epoch, epoch, nodes.len());
        let partial = (phase.quantized < nodes.len()).then_some(phase.quantized);
        model.set_quant(self.stages(graph, scheme, partial))?;
        let mut locked = vec![false; graph.nodes.len()];
        for &i in &nodes[..phase.locked] {
            locked[i] = true;
        }
        model.lock(&locked);
        Ok(partial)
    }
}

/// Parameter shapes in visiting order (the optimizer's slot order).
pub fn param_shapes<M: Module>(module: &M) -> Vec<Vec<usize>> {
    struct Shapes(Vec<Vec<usize>>);
    impl ModuleVisitor for Shapes {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.dims().to_vec());
        }
    }
    let mut v = Shapes(Vec::new());
    module.visit(&mut v);
    v.0
}

/// For each new parameter, the old parameter whose state it inherits: walk both lists in
/// order, a new parameter taking the next old one of the same shape; one-element parameters
/// inherit nothing.
pub fn carry_over(old: &[Vec<usize>], new: &[Vec<usize>]) -> Vec<Option<usize>> {
    let mut j = 0;
    new.iter()
        .map(|shape| {
            if shape.iter().product::<usize>() <= 1 {
                return None;
            }
            let k = (j..old.len()).find(|&k| old[k] == *shape)?;
            j = k + 1;
            Some(k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_follows_parameters_by_shape() {
        // conv(w, b) + BN(γ, β), then linear(w, b) → folded conv(w, b), linear(w, b).
        let old = vec![
            vec![8, 1, 3, 3],
            vec![8],
            vec![8],
            vec![8],
            vec![10, 8],
            vec![10],
        ];
        let new = vec![vec![8, 1, 3, 3], vec![8], vec![10, 8], vec![10]];
        assert_eq!(carry_over(&old, &new), [Some(0), Some(1), Some(4), Some(5)]);
        // Unchanged lists map onto themselves; one-element tensors never carry state.
        assert_eq!(carry_over(&new, &new), [Some(0), Some(1), Some(2), Some(3)]);
        assert_eq!(carry_over(&[vec![1]], &[vec![1]]), [None]);
    }
}
