//! Reading data inside a model's layers — calibration at the QAT switch, per-step statistics
//! of a scheme, analysis: a stage wrapped around a node's fake quantization (or around none,
//! the float layer) that records what passes its tap points, and the sink it records into.
//!
//! Input points (layer input, operator input) record the data as it arrives, before the
//! wrapped stage; the raw-sum point records the sum of products after the wrapped stage's own
//! quantizer, before the bias. Output points are the model's node outputs
//! ([`super::model::TrainModel::forward_all`]) and are not wrapped. Must not change values:
//! a tapped model computes what the untapped one does (a float layer's bias is added after its
//! sum of products, the same sum).

use crate::ir::Activation;
use crate::quant::{FakeQuant, ModelQuant, OperatorParams, Tap, TapPoint, activate};
use burn::tensor::Tensor;
use std::sync::{Arc, Mutex};

/// What a sink keeps of each tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapMode {
    /// Every value (calibration, analysis).
    Values,
    /// The largest magnitude (training statistics; shards of one step fold into one).
    MaxAbs,
}

/// Recorded data, one slot per tap.
#[derive(Debug)]
pub struct TapSink {
    mode: TapMode,
    values: Mutex<Vec<Vec<Tensor<4>>>>,
    max: Mutex<Vec<f32>>,
}

impl TapSink {
    fn new(mode: TapMode, taps: usize) -> Self {
        TapSink {
            mode,
            values: Mutex::new(vec![Vec::new(); taps]),
            max: Mutex::new(vec![0.0; taps]),
        }
    }

    fn record(&self, k: usize, x: &Tensor<4>) {
        match self.mode {
            TapMode::Values => {
                let mut v = self.values.lock().unwrap_or_else(|e| e.into_inner());
                v[k].push(x.clone().detach());
            }
            TapMode::MaxAbs => {
                let m = x.clone().detach().abs().max().into_scalar::<f32>();
                let mut v = self.max.lock().unwrap_or_else(|e| e.into_inner());
                if m > v[k] || m.is_nan() {
                    v[k] = m;
                }
            }
        }
    }

    /// The values recorded at tap `k` since the last call (in recording order), as flat f32.
    pub fn take_values(&self, k: usize) -> Vec<f32> {
        let mut v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut v[k])
            .into_iter()
            .flat_map(|t| t.into_data().try_into_vec_as::<f32>().expect("float data"))
            .collect()
    }

    /// The recorded tensors of tap `k` since the last call.
    pub fn take_tensors(&self, k: usize) -> Vec<Tensor<4>> {
        let mut v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut v[k])
    }

    /// The largest magnitudes since the last call, one per tap (reset to 0).
    pub fn take_max(&self) -> Vec<f32> {
        let mut v = self.max.lock().unwrap_or_else(|e| e.into_inner());
        let out = v.clone();
        v.iter_mut().for_each(|m| *m = 0.0);
        out
    }
}

/// A node's stage with tap points.
#[derive(Debug)]
struct Tapped {
    inner: Option<Arc<dyn FakeQuant>>,
    /// `(point, tap index)` pairs of this node.
    points: Vec<(TapPoint, usize)>,
    sink: Arc<TapSink>,
}

impl Tapped {
    fn record(&self, point: TapPoint, x: &Tensor<4>) {
        for &(p, k) in &self.points {
            if p == point {
                self.sink.record(k, x);
            }
        }
    }

    fn taps(&self, point: TapPoint) -> bool {
        self.points.iter().any(|&(p, _)| p == point)
    }
}

impl FakeQuant for Tapped {
    fn operator_params(&self, weight: Tensor<4>, bias: Option<Tensor<1>>) -> OperatorParams {
        match &self.inner {
            Some(q) => q.operator_params(weight, bias),
            None => OperatorParams {
                weight,
                bias,
                output_scale: 1.0,
            },
        }
    }

    fn layer_input(&self, x: Tensor<4>) -> Tensor<4> {
        self.record(TapPoint::LayerInput, &x);
        match &self.inner {
            Some(q) => q.layer_input(x),
            None => x,
        }
    }

    fn operator_input(&self, x: Tensor<4>) -> Tensor<4> {
        self.record(TapPoint::OperatorInput, &x);
        match &self.inner {
            Some(q) => q.operator_input(x),
            None => x,
        }
    }

    fn quantizes_raw_sum(&self) -> bool {
        self.taps(TapPoint::RawSum) || self.inner.as_ref().is_some_and(|q| q.quantizes_raw_sum())
    }

    fn raw_sum(&self, x: Tensor<4>) -> Tensor<4> {
        let y = match &self.inner {
            Some(q) if q.quantizes_raw_sum() => q.raw_sum(x),
            _ => x,
        };
        self.record(TapPoint::RawSum, &y);
        y
    }

    fn keeps_output_range(&self) -> bool {
        self.inner.as_ref().is_none_or(|q| q.keeps_output_range())
    }

    fn output(&self, x: Tensor<4>, output_scale: f32, activation: Activation) -> Tensor<4> {
        match &self.inner {
            Some(q) => q.output(x, output_scale, activation),
            None => activate(x, activation),
        }
    }

    fn average_pooled(&self, x: Tensor<4>) -> Tensor<4> {
        match &self.inner {
            Some(q) => q.average_pooled(x),
            None => x,
        }
    }

    fn data(&self, x: Tensor<4>) -> Tensor<4> {
        match &self.inner {
            Some(q) => q.data(x),
            None => x,
        }
    }
}

/// `base` with tap points on the nodes `taps` name (output taps excepted), recording into the
/// returned sink at the taps' indices. A node wrapped without a stage of its own computes as
/// its float layer does; batch norm of a tapped model is frozen (its running statistics, as
/// on an evaluation device), so tap training models only under schemes that freeze it.
pub fn tapped(base: ModelQuant, taps: &[Tap], mode: TapMode) -> (ModelQuant, Arc<TapSink>) {
    let sink = Arc::new(TapSink::new(mode, taps.len()));
    let mut quant = base;
    let mut wrapped = false;
    for (node, layer) in quant.layers.iter_mut().enumerate() {
        let points: Vec<(TapPoint, usize)> = taps
            .iter()
            .enumerate()
            .filter(|(_, t)| t.node == node && t.point != TapPoint::Output)
            .map(|(k, t)| (t.point, k))
            .collect();
        if points.is_empty() {
            continue;
        }
        wrapped = true;
        *layer = Some(Arc::new(Tapped {
            inner: layer.take(),
            points,
            sink: sink.clone(),
        }));
    }
    quant.frozen_batchnorm |= wrapped;
    (quant, sink)
}
