//! Parameter updates: SGD (with momentum and weight decay, PyTorch semantics) and Adam.
//!
//! Owns the update rules and their state (momentum buffers, Adam moments), kept in parameter
//! visiting order so a checkpoint can save and restore it exactly. burn computes the gradients;
//! the update is ours so that the state is plain tensors we can write to disk, and so the
//! arithmetic is PyTorch's (`torch.optim.SGD`: `g += wd·p; b = m·b + g; p -= lr·b`; Adam with
//! L2 weight decay added to the gradient, bias-corrected moments). Learning-rate schedules and
//! the loss belong to the caller.

use burn::module::{ModuleMapper, Param};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// The update rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Sgd,
    Adam,
}

impl OptimizerKind {
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
        }
    }
}

/// Hyper-parameters of the update (the learning rate comes with each step).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    pub kind: OptimizerKind,
    /// SGD momentum (0: none).
    pub momentum: f64,
    /// L2 penalty added to the gradient (PyTorch's `weight_decay`).
    pub weight_decay: f64,
}

/// Adam's constants (PyTorch defaults).
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const ADAM_EPS: f64 = 1e-8;

/// Per-parameter state, flattened. SGD uses `first` as its momentum buffer; Adam uses both
/// moments.
#[derive(Debug, Clone)]
struct Slot {
    first: Option<Tensor<1>>,
    second: Option<Tensor<1>>,
}

/// An optimizer with its state.
#[derive(Debug, Clone)]
pub struct Optimizer {
    pub config: OptimizerConfig,
    /// Steps taken so far (Adam's bias correction).
    pub steps: u64,
    slots: Vec<Slot>,
}

pub use crate::checkpoint::graph::StateTensor;

impl Optimizer {
    pub fn new(config: OptimizerConfig) -> Self {
        Optimizer {
            config,
            steps: 0,
            slots: Vec::new(),
        }
    }

    /// Apply one update with learning rate `lr` to the parameters of `module`: `grads` holds
    /// one flattened gradient per parameter in visiting order (`None`: not trained).
    pub fn step<M: burn::module::Module>(
        &mut self,
        lr: f64,
        module: M,
        grads: Vec<Option<Tensor<1>>>,
    ) -> M {
        self.steps += 1;
        let mut mapper = Update {
            opt: self,
            grads,
            lr,
            index: 0,
        };
        module.map(&mut mapper)
    }

    /// The state as flat vectors, for a checkpoint.
    pub fn state(&self) -> Vec<StateTensor> {
        let mut out = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            for (which, t) in [(0u8, &slot.first), (1, &slot.second)] {
                if let Some(t) = t {
                    out.push((i, which, flat_values(t.clone())));
                }
            }
        }
        out
    }

    /// Re-key the state after the parameter list changed: new parameter `i` takes the state of
    /// old parameter `from[i]` (none if `None`).
    pub fn carry_over(&mut self, from: &[Option<usize>]) {
        let mut old = std::mem::take(&mut self.slots);
        self.slots = from
            .iter()
            .map(|k| {
                k.and_then(|k| old.get_mut(k))
                    .map(|s| Slot {
                        first: s.first.take(),
                        second: s.second.take(),
                    })
                    .unwrap_or(Slot {
                        first: None,
                        second: None,
                    })
            })
            .collect();
    }

    /// Restore a state saved by [`Optimizer::state`] on `device`.
    pub fn restore(&mut self, steps: u64, state: Vec<StateTensor>, device: &burn::tensor::Device) {
        self.steps = steps;
        self.slots.clear();
        for (i, which, values) in state {
            if self.slots.len() <= i {
                self.slots.resize(
                    i + 1,
                    Slot {
                        first: None,
                        second: None,
                    },
                );
            }
            let n = values.len();
            let t = Tensor::from_data(burn::tensor::TensorData::new(values, [n]), device);
            if which == 0 {
                self.slots[i].first = Some(t);
            } else {
                self.slots[i].second = Some(t);
            }
        }
    }
}

fn flat_values(t: Tensor<1>) -> Vec<f32> {
    t.into_data()
        .try_into_vec_as::<f32>()
        .expect("float tensor data")
}

struct Update<'a> {
    opt: &'a mut Optimizer,
    grads: Vec<Option<Tensor<1>>>,
    lr: f64,
    index: usize,
}

impl Update<'_> {
    /// The new value of a flattened parameter `p` with gradient `g`, updating slot `i`.
    fn update(&mut self, i: usize, p: Tensor<1>, mut g: Tensor<1>) -> Tensor<1> {
        let c = self.opt.config;
        if self.opt.slots.len() <= i {
            self.opt.slots.resize(
                i + 1,
                Slot {
                    first: None,
                    second: None,
                },
            );
        }
        if c.weight_decay != 0.0 {
            g = g + p.clone().mul_scalar(c.weight_decay);
        }
        let slot = &mut self.opt.slots[i];
        match c.kind {
            OptimizerKind::Sgd => {
                let dir = if c.momentum != 0.0 {
                    let b = match slot.first.take() {
                        // PyTorch: the first buffer is the gradient itself.
                        None => g,
                        Some(b) => b.mul_scalar(c.momentum) + g,
                    };
                    slot.first = Some(b.clone());
                    b
                } else {
                    g
                };
                p - dir.mul_scalar(self.lr)
            }
            OptimizerKind::Adam => {
                let t = self.opt.steps as i32;
                let m = match slot.first.take() {
                    None => g.clone().mul_scalar(1.0 - BETA1),
                    Some(m) => m.mul_scalar(BETA1) + g.clone().mul_scalar(1.0 - BETA1),
                };
                let v = match slot.second.take() {
                    None => (g.clone() * g).mul_scalar(1.0 - BETA2),
                    Some(v) => v.mul_scalar(BETA2) + (g.clone() * g).mul_scalar(1.0 - BETA2),
                };
                slot.first = Some(m.clone());
                slot.second = Some(v.clone());
                let bc1 = 1.0 - BETA1.powi(t);
                let bc2 = 1.0 - BETA2.powi(t);
                let denom = v.div_scalar(bc2).sqrt().add_scalar(ADAM_EPS);
                p - (m / denom).mul_scalar(self.lr / bc1)
            }
        }
    }
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let i = self.index;
        self.index += 1;
        let Some(g) = self.grads.get_mut(i).and_then(Option::take) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let shape = tensor.shape();
        let n = shape.num_elements();
        let p = tensor.inner().reshape([n]);
        let updated = self.update(i, p, g).reshape(shape);
        let mut value = Tensor::from_inner(updated);
        if require_grad {
            value = value.require_grad();
        }
        Param::from_mapped_value(id, value, mapper)
    }
}
