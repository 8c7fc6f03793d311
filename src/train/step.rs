//! One optimizer step at a time: cross-entropy loss, backward pass, parameter update, with the
//! batch optionally split into two shards computed on two threads.
//!
//! Owns the loss, the conversion of plain image/label buffers into tensors, and data-parallel
//! steps: each shard runs forward and backward on its own replica of the parameters (fresh
//! autodiff leaves with the same values, so the two graphs are independent), and the shard
//! gradients are combined in a fixed order, `(n₀·g₀ + n₁·g₁)/n`, so the result does not
//! depend on how many threads ran them. Only models whose samples do not interact (no batch
//! statistics, no random masks) are sharded: for them the sharded step is the full-batch step
//! up to float summation order. The update rule is [`super::optim`]; epochs, data order and
//! learning-rate schedules belong to the caller.

use super::model::{TrainError, TrainModel};
use super::optim::{Optimizer, OptimizerConfig, OptimizerKind};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rayon::ThreadPool;

/// A batch of images `[N, C, H, W]` from row-major `values` (one-dimensional data as
/// `[N, C, L, 1]`).
pub fn images_tensor(values: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Class indices as the integer tensor the loss expects.
pub fn labels_tensor(labels: &[usize], device: &Device) -> Tensor<1, Int> {
    let v: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    Tensor::from_data(TensorData::new(v, [labels.len()]), device)
}

/// What one step measured, before its update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// Mean cross-entropy of the batch.
    pub loss: f32,
    /// Samples whose highest logit is their label.
    pub correct: usize,
}

/// Flattened gradients, one per parameter in visiting order.
type Grads = Vec<Option<Tensor<1>>>;

/// Fresh autodiff leaves holding the same values: a replica with a graph of its own.
struct Replicate;

impl ModuleMapper for Replicate {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let mut fresh = Tensor::from_inner(tensor.inner());
        if require_grad {
            fresh = fresh.require_grad();
        }
        Param::from_mapped_value(id, fresh, mapper)
    }
}

/// The gradients of a module's parameters in visiting order.
struct Collect {
    grads: GradientsParams,
    out: Grads,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let g = self.grads.remove::<D>(param.id).map(|g| {
            let n = g.shape().num_elements();
            g.reshape([n])
        });
        self.out.push(g);
    }
}

/// Two thread pools, one per shard.
struct ShardPools([ThreadPool; 2]);

/// Mean cross-entropy training with an [`Optimizer`].
pub struct Stepper {
    pub optim: Optimizer,
    loss: CrossEntropyLoss,
    shards: Option<ShardPools>,
}

impl Stepper {
    pub fn new(config: OptimizerConfig, device: &Device) -> Self {
        Stepper {
            optim: Optimizer::new(config),
            loss: CrossEntropyLossConfig::new().init(device),
            shards: None,
        }
    }

    /// Plain SGD with PyTorch's momentum (0 for none) and no weight decay.
    pub fn sgd(momentum: f64, device: &Device) -> Self {
        Self::new(
            OptimizerConfig {
                kind: OptimizerKind::Sgd,
                momentum,
                weight_decay: 0.0,
            },
            device,
        )
    }

    /// Split [`Stepper::step_batch`]'s batches into two shards, run on two pools sharing
    /// `threads` threads (both shards on one thread when `threads` is 1). The caller decides
    /// whether the model allows it ([`TrainModel::samples_independent`]).
    pub fn with_shards(mut self, threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let per = (threads / 2).max(1);
        let pool = || rayon::ThreadPoolBuilder::new().num_threads(per).build();
        self.shards = Some(ShardPools([pool()?, pool()?]));
        Ok(self)
    }

    /// Mean cross-entropy of `model` on a batch, without updating anything.
    pub fn loss(
        &self,
        model: &TrainModel,
        images: Tensor<4>,
        labels: Tensor<1, Int>,
    ) -> Result<f32, TrainError> {
        let logits = model.forward(images)?;
        Ok(self.loss.forward(logits, labels).into_scalar::<f32>())
    }

    /// Forward and backward of one shard on a replica of `model`.
    fn gradients(
        &self,
        model: &TrainModel,
        images: Tensor<4>,
        labels: Tensor<1, Int>,
    ) -> Result<(Grads, StepStats), TrainError> {
        let replica = model.clone().map(&mut Replicate);
        let logits = replica.forward(images)?;
        let predicted = logits.clone().detach().argmax(1).flatten::<1>(0, 1);
        let correct = predicted
            .equal(labels.clone())
            .int()
            .sum()
            .into_scalar::<i64>();
        let loss = self.loss.forward(logits, labels);
        let value = loss.clone().detach().into_scalar::<f32>();
        let mut collect = Collect {
            grads: GradientsParams::from_grads(loss.backward(), &replica),
            out: Vec::new(),
        };
        replica.visit(&mut collect);
        let stats = StepStats {
            loss: value,
            correct: correct.max(0) as usize,
        };
        Ok((collect.out, stats))
    }

    /// One step with learning rate `lr`: forward, loss, backward, update. Returns the updated
    /// model and the batch's statistics before the update. `model` must live on an autodiff
    /// device.
    pub fn step(
        &mut self,
        model: TrainModel,
        images: Tensor<4>,
        labels: Tensor<1, Int>,
        lr: f64,
    ) -> Result<(TrainModel, StepStats), TrainError> {
        let (grads, stats) = self.gradients(&model, images, labels)?;
        Ok((self.optim.step(lr, model, grads), stats))
    }

    /// One step on a batch given as host data (`values` row-major `shape`, `labels`), in two
    /// shards when [`Stepper::with_shards`] was called and the batch has at least two samples.
    pub fn step_batch(
        &mut self,
        model: TrainModel,
        values: &[f32],
        shape: [usize; 4],
        labels: &[usize],
        lr: f64,
        device: &Device,
    ) -> Result<(TrainModel, StepStats), TrainError> {
        let [n, c, h, w] = shape;
        let (p0, p1) = match &self.shards {
            Some(ShardPools([p0, p1])) if n >= 2 => (p0, p1),
            _ => {
                let x = images_tensor(values.to_vec(), shape, device);
                return self.step(model, x, labels_tensor(labels, device), lr);
            }
        };
        let n0 = n.div_ceil(2);
        let per = c * h * w;
        let shard = |range: std::ops::Range<usize>| {
            let x = images_tensor(
                values[range.start * per..range.end * per].to_vec(),
                [range.len(), c, h, w],
                device,
            );
            self.gradients(&model, x, labels_tensor(&labels[range], device))
        };
        let (r0, r1) = std::thread::scope(|s| {
            let second = s.spawn(|| p1.install(|| shard(n0..n)));
            let first = p0.install(|| shard(0..n0));
            (first, second.join())
        });
        let (g0, s0) = r0?;
        let (g1, s1) = match r1 {
            Ok(r) => r?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let (w0, w1) = (n0 as f64 / n as f64, (n - n0) as f64 / n as f64);
        let grads = g0
            .into_iter()
            .zip(g1)
            .map(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => Some(a.mul_scalar(w0) + b.mul_scalar(w1)),
                (a, b) => a.or(b),
            })
            .collect();
        let stats = StepStats {
            loss: (f64::from(s0.loss) * w0 + f64::from(s1.loss) * w1) as f32,
            correct: s0.correct + s1.correct,
        };
        Ok((self.optim.step(lr, model, grads), stats))
    }
}
