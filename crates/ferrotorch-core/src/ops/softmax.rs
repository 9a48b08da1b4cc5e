//! softmax / log_softmax along one dim: a fused, numerically stable pass per
//! row (max, then sum of exp(x - max), then the output), rows in parallel.

use crate::cpu::SendPtr;
use crate::iter::parallel_ranges;
use crate::layout::wrap_dim;
use crate::{bail, DType, Element, Result, Tensor};

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

fn kernel<T: Element>(x: &Tensor, d: usize, log: bool) -> Tensor {
    let shape = x.shape().to_vec();
    let n = shape.get(d).copied().unwrap_or(1);
    let inner: usize = shape.iter().skip(d + 1).product();
    let rows = if n == 0 { 0 } else { x.numel() / n };
    let (out, p) = Tensor::uninit::<T>(&shape);
    let (src, dst) = (SendPtr(unsafe { x.ptr::<T>() }), SendPtr(p));
    parallel_ranges(rows, |a, b| {
        for r in a..b {
            let base = (r / inner) * n * inner + r % inner;
            // SAFETY: row r reads and writes only its own n elements.
            let at = |k: usize| unsafe { (*src.get().add(base + k * inner)).to_f64() };
            let max = (0..n).map(at).fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = (0..n).map(|k| (at(k) - max).exp()).sum();
            let lse = max + sum.ln();
            for k in 0..n {
                let v = if log { at(k) - lse } else { (at(k) - max).exp() / sum };
                unsafe { *dst.get().add(base + k * inner) = T::from_f64(v) };
            }
        }
    });
    out
}
