//! Factory functions: full/zeros/ones/empty, ranges, eye.

use crate::{bail, dispatch, DType, Device, Element, Result, Scalar, Tensor};

impl Tensor {
    pub fn full(shape: &[usize], value: Scalar, dtype: DType) -> Tensor {
        let n: usize = shape.iter().product();
        dispatch!(dtype, T => Tensor::from_vec_unchecked(vec![T::from_scalar(value); n], shape))
    }
    /// `full` on any device (CUDA tensors are filled by a kernel, not copied).
    pub fn full_on(shape: &[usize], value: Scalar, dtype: DType, device: Device) -> Result<Tensor> {
        match device {
            Device::Cpu => Ok(Tensor::full(shape, value, dtype)),
            Device::Cuda(_) => crate::cuda::elementwise::full(shape, value, dtype, device),
        }
    }
    /// Zeros on `device` (backward formulas build their grads where the inputs live).
    pub fn zeros_on(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::full_on(shape, Scalar::Int(0), dtype, device)
    }
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, Scalar::Int(0), dtype)
    }
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, Scalar::Int(1), dtype)
    }

    /// `torch.arange(start, end, step)`; values computed in f64 like PyTorch's accumulate type.
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 {
            bail!(runtime, "step must be nonzero");
        }
        if !(start.is_finite() && end.is_finite()) {
            bail!(runtime, "unsupported range: {} -> {}", start, end);
        }
        if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
            bail!(
                runtime,
                "upper bound and larger bound inconsistent with step sign"
            );
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        Ok(dispatch!(dtype, T => {
            let v: Vec<T> = if dtype.is_floating_point() {
                (0..n).map(|i| T::from_f64(start + i as f64 * step)).collect()
            } else {
                let (s, st) = (start as i64, step as i64);
                (0..n).map(|i| T::from_i64(s + i as i64 * st)).collect()
            };
            Tensor::from_vec_unchecked(v, &[n])
        }))
    }

    /// `torch.linspace`: symmetric evaluation (from both ends) as PyTorch does.
    pub fn linspace(start: f64, end: f64, steps: i64, dtype: DType) -> Result<Tensor> {
        if steps < 0 {
            bail!(runtime, "number of steps must be non-negative");
        }
        let n = steps as usize;
        let step = if n > 1 {
            (end - start) / (n - 1) as f64
        } else {
            0.0
        };
        let half = n / 2;
        let vals = (0..n).map(|i| {
            if i < half {
                start + step * i as f64
            } else {
                end - step * (n - 1 - i) as f64
            }
        });
        Ok(dispatch!(dtype, T => {
            let v: Vec<T> = if dtype.is_floating_point() {
                vals.map(T::from_f64).collect()
            } else {
                vals.map(|x| T::from_i64(x as i64)).collect()
            };
            Tensor::from_vec_unchecked(v, &[n])
        }))
    }

    pub fn logspace(start: f64, end: f64, steps: i64, base: f64, dtype: DType) -> Result<Tensor> {
        let lin = Tensor::linspace(start, end, steps, DType::F64)?;
        let v: Vec<f64> = lin
            .to_vec::<f64>()?
            .into_iter()
            .map(|e| base.powf(e))
            .collect();
        Tensor::from_vec_unchecked(v, &[steps as usize]).to_dtype(dtype)
    }

    pub fn eye(n: i64, m: Option<i64>, dtype: DType) -> Result<Tensor> {
        let m = m.unwrap_or(n);
        if n < 0 || m < 0 {
            bail!(runtime, "n must be greater or equal to 0, got {}", n.min(m));
        }
        let (n, m) = (n as usize, m as usize);
        Ok(dispatch!(dtype, T => {
            let mut v = vec![T::default(); n * m];
            for i in 0..n.min(m) {
                v[i * m + i] = T::from_bool(true);
            }
            Tensor::from_vec_unchecked(v, &[n, m])
        }))
    }
}
