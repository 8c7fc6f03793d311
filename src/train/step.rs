//! One optimizer step at a time: cross-entropy loss, backward pass, parameter update.
//!
//! Owns the loss and the conversion of plain image/label buffers into tensors. The update rule
//! is [`super::optim`]; epochs, data order and learning-rate schedules belong to the caller.

use super::model::{TrainError, TrainModel};
use super::optim::{Optimizer, OptimizerConfig, OptimizerKind};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};

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

/// Mean cross-entropy training with an [`Optimizer`].
pub struct Stepper {
    pub optim: Optimizer,
    loss: CrossEntropyLoss,
}

impl Stepper {
    pub fn new(config: OptimizerConfig, device: &Device) -> Self {
        Stepper {
            optim: Optimizer::new(config),
            loss: CrossEntropyLossConfig::new().init(device),
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
        let logits = model.forward(images)?;
        let predicted = logits.clone().detach().argmax(1).flatten::<1>(0, 1);
        let correct = predicted
            .equal(labels.clone())
            .int()
            .sum()
            .into_scalar::<i64>();
        let loss = self.loss.forward(logits, labels);
        let value = loss.clone().detach().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let model = self.optim.step(lr, model, grads);
        Ok((
            model,
            StepStats {
                loss: value,
                correct: correct.max(0) as usize,
            },
        ))
    }
}
