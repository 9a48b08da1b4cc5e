//! softmax / log_softmax along one dim: a fused, numerically stable pass per
//! row (max, then sum of exp(x - max), then the output), rows in parallel;
//! on CUDA the fused kernels of `cuda::softmax`.

use crate::cpu::{Real, SendPtr};
use crate::layout::wrap_dim;
use crate::{bail, DType, Result, Tensor};

impl Tensor {
    pub fn softmax(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.softmax_impl(dim, dtype, false)
    }
    pub fn log_softmax(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.softmax_impl(dim, dtype, true)
    }

    fn softmax_impl(&self, dim: i64, dtype: Option<DType>, log: bool) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::softmax::softmax(self, dim, dtype, log)
        );
        let x = match dtype {
            Some(d) => self.to_dtype(d)?,
            None => self.clone(),
        };
        let d = wrap_dim(dim, x.ndim().max(1))?;
        let dt = x.dtype();
        if x.is_cuda() && dt.is_floating_point() {
            return crate::cuda::softmax::forward(&x.contiguous()?, d, log);
        }
        match dt {
            DType::F32 => Ok(kernel::<f32>(&x.contiguous()?, d, log)),
            DType::F64 => Ok(kernel::<f64>(&x.contiguous()?, d, log)),
            DType::F16 | DType::BF16 => x.to_dtype(DType::F32)?.softmax_impl(d as i64, None, log)?.to_dtype(dt),
            _ => bail!(
                runtime,
                "\"{}_lastdim_kernel_impl\" not implemented for '{}'",
                if log { "log_softmax" } else { "softmax" },
                dt.legacy_name()
            ),
        }
    }
}


/// Rows are split across threads once the whole tensor is large.
fn kernel<T: Real>(x: &Tensor, d: usize, log: bool) -> Tensor {
    use rayon::prelude::*;
    let shape = x.shape().to_vec();
    let n = shape.get(d).copied().unwrap_or(1);
    let inner: usize = shape.iter().skip(d + 1).product();
    let rows = if n == 0 { 0 } else { x.numel() / n };
    let (out, p) = Tensor::uninit::<T>(&shape);
    let (src, dst) = (SendPtr(unsafe { x.ptr::<T>() }), SendPtr(p));
    let row = |r: usize| {
        let base = (r / inner) * n * inner + r % inner;
        // SAFETY: row r reads and writes only its own n elements.
        let at = |k: usize| unsafe { *src.get().add(base + k * inner) };
        let put = |k: usize, v: T| unsafe { *dst.get().add(base + k * inner) = v };
        let mut max = T::NEG_INF;
        for k in 0..n {
            let v = at(k);
            if v > max || v.is_nan() {
                max = v;
            }
        }
        let mut sum = T::ZERO;
        for k in 0..n {
            let e = (at(k) - max).exp();
            if !log {
                put(k, e);
            }
            sum = sum + e;
        }
        if log {
            let lse = max + sum.ln();
            for k in 0..n {
                put(k, at(k) - lse);
            }
        } else {
            for k in 0..n {
                put(k, unsafe { *dst.get().add(base + k * inner) } / sum);
            }
        }
    };
    if x.numel() < crate::iter::PARALLEL_THRESHOLD || !crate::iter::parallel() {
        (0..rows).for_each(row);
    } else {
        let per_task = (crate::iter::PARALLEL_THRESHOLD / n.max(1)).max(1);
        (0..rows).into_par_iter().with_min_len(per_task).for_each(row);
    }
    out
}
