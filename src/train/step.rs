//! One optimizer step at a time: cross-entropy loss, backward pass, SGD update.
//!
//! Owns the loss and optimizer choice and the conversion of plain image/label buffers into
//! tensors. Epochs, data loading and learning-rate schedules belong to the caller.

use super::model::{TrainError, TrainModel};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
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

/// Plain SGD (optionally with momentum) on the mean cross-entropy of the logits.
pub struct SgdTrainer {
    optim: ModuleOptimizer,
    loss: CrossEntropyLoss,
    /// Learning rate of the next steps.
    pub lr: f64,
}

impl SgdTrainer {
    /// A trainer stepping with learning rate `lr`; `momentum` as in PyTorch's SGD (0 for none).
    pub fn new(lr: f64, momentum: f64, device: &Device) -> Self {
        let mut config = SgdConfig::new();
        if momentum != 0.0 {
            // burn's default dampening is 0.1; PyTorch's (and ai8x-training's) is 0.
            let m = MomentumConfig::new()
                .with_momentum(momentum)
                .with_dampening(0.0);
            config = config.with_momentum(Some(m));
        }
        SgdTrainer {
            optim: config.init(),
            loss: CrossEntropyLossConfig::new().init(device),
            lr,
        }
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

    /// One step: forward, loss, backward, parameter update. Returns the updated model and the
    /// loss before the update. `model` must live on an autodiff device.
    pub fn step(
        &mut self,
        model: TrainModel,
        images: Tensor<4>,
        labels: Tensor<1, Int>,
    ) -> Result<(TrainModel, f32), TrainError> {
        let logits = model.forward(images)?;
        let loss = self.loss.forward(logits, labels);
        let value = loss.clone().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        Ok((self.optim.step(self.lr, model, grads), value))
    }
}
