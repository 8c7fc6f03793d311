//! Straight-through rounding: the forward pass sees the rounded value, the backward pass passes
//! the incoming gradient unchanged (`∂round(x)/∂x = 1`), and host-side statistics of
//! parameters (maximum magnitude, ai8x's quantile).
//!
//! Owns the rounding rules quantizers share: round half up (`floor(x + ½)`), truncation toward
//! zero and floor. Must not clamp: a clamp's gradient mask belongs to the caller, which applies
//! burn's `clamp` on the rounded value (its gradient passes where `lo ≤ x ≤ hi`, bounds
//! included, as PyTorch's does).

use burn::tensor::Tensor;

/// The rounded value `r` of `x` in the forward pass with `x`'s gradient: `r + (x − x̂)` where
/// `x̂` is `x` detached. `x − x̂` is exactly 0, so the value is `r` to the bit.
pub fn straight_through<const D: usize>(x: Tensor<D>, r: Tensor<D>) -> Tensor<D> {
    if !x.is_tracked() {
        return r;
    }
    r.detach() + (x.clone() - x.detach())
}

/// `floor(x + ½)`: round half toward +∞.
pub fn round_half_up<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let r = x.clone().detach().add_scalar(0.5).floor();
    straight_through(x, r)
}

/// Round toward zero.
pub fn trunc<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let r = x.clone().detach().trunc();
    straight_through(x, r)
}

/// Round toward −∞.
pub fn floor<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let r = x.clone().detach().floor();
    straight_through(x, r)
}

/// Largest magnitude of the values of `tensors` (0 for none).
pub fn max_abs<const D: usize>(tensors: &[Tensor<D>]) -> f32 {
    tensors
        .iter()
        .map(|t| t.clone().detach().abs().max().into_scalar::<f32>())
        .fold(0.0, f32::max)
}

/// The magnitudes of the values of `tensors`, on the host.
pub fn abs_values<const D: usize>(tensors: &[Tensor<D>]) -> Vec<f32> {
    tensors
        .iter()
        .flat_map(|t| {
            t.clone()
                .detach()
                .abs()
                .into_data()
                .try_into_vec_as::<f32>()
                .expect("float tensor data")
        })
        .collect()
}

/// ai8x-training's quantile of `values` (`qat.md` §4.2): `q ≥ 1` is the maximum; otherwise the
/// bracket `[v_i, v_{i+1}]` is chosen on the mid-point grid `(2k+1)/(2n)` and the result
/// interpolated (or extrapolated) with `g = q·(n−1) − i`. Not `torch.quantile`.
pub fn ai8x_quantile(mut values: Vec<f32>, q: f32) -> f32 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    if n == 1 || q >= 1.0 {
        return values[n - 1];
    }
    let j = (0..n)
        .filter(|&k| (2 * k + 1) as f32 / (2 * n) as f32 <= q)
        .count()
        .clamp(1, n - 1);
    let i = j - 1;
    let g = q * (n - 1) as f32 - i as f32;
    values[i] + g * (values[i + 1] - values[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn t(v: &[f32], device: &Device) -> Tensor<1> {
        Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
    }

    fn vals(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_into_vec_as::<f32>().unwrap()
    }

    #[test]
    fn rounding_rules() {
        let d = Device::flex();
        let x = t(&[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51], &d);
        assert_eq!(
            vals(round_half_up(x.clone())),
            [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 0.0, -1.0]
        );
        assert_eq!(
            vals(trunc(x.clone())),
            [-2.0, -1.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0]
        );
        assert_eq!(vals(floor(x)), [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 0.0, -1.0]);
    }

    #[test]
    fn gradient_passes_straight_through() {
        let d = Device::flex().autodiff();
        let x = t(&[0.3, -1.7, 2.5], &d).require_grad();
        let y = round_half_up(x.clone().mul_scalar(3.0)).sum();
        let g = y.backward();
        let gx = x.grad(&g).unwrap();
        assert_eq!(vals(gx), [3.0, 3.0, 3.0]);
    }

    #[test]
    fn clamp_gradient_is_inclusive_like_pytorch() {
        // qat.md §3.4: clamp(−1.0) passes the gradient, clamp(−1.0001) does not.
        let d = Device::flex().autodiff();
        let x = t(&[-1.0, -1.0001, 127.0 / 128.0, 0.9922], &d).require_grad();
        let g = x.clone().clamp(-1.0, 127.0 / 128.0).sum().backward();
        assert_eq!(vals(x.grad(&g).unwrap()), [1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn ai8x_quantile_matches_measured_values() {
        // qat.md §4.2: n=4, q=0.35 → 0.2159 (torch.quantile: 0.2275) on this data shape;
        // the maximum for q = 1.
        let v = vec![0.1, 0.25, 0.4, 0.9];
        assert_eq!(ai8x_quantile(v.clone(), 1.0), 0.9);
        // j = #{1/8, 3/8, 5/8, 7/8 ≤ 0.5} = 2 → i = 1, g = 0.5·3 − 1 = 0.5 → 0.25 + 0.5·0.15.
        assert!((ai8x_quantile(v.clone(), 0.5) - 0.325).abs() < 1e-6);
        // q = 0.35: j = 1 → i = 0, g = 1.05 → extrapolates past v₁.
        let q = ai8x_quantile(v, 0.35);
        assert!((q - (0.1 + 1.05 * 0.15)).abs() < 1e-6, "{q}");
        assert_eq!(ai8x_quantile(vec![], 0.5), 0.0);
        assert_eq!(ai8x_quantile(vec![3.0], 0.1), 3.0);
    }

    #[test]
    fn max_abs_of_several_tensors() {
        let d = Device::flex();
        assert_eq!(max_abs(&[t(&[0.1, -0.7], &d), t(&[0.3], &d)]), 0.7);
        assert_eq!(max_abs::<1>(&[]), 0.0);
    }
}
