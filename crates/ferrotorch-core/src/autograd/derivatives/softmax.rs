//! softmax / log_softmax: formulas in terms of the saved output.

use super::{mul, sub};
use crate::autograd::{op, Save};
use crate::{DType, Result, Tensor};

pub(crate) fn softmax(x: &Tensor, dim: i64, dtype: Option<DType>, log: bool) -> Result<Tensor> {
    let name = if log { "LogSoftmaxBackward0" } else { "SoftmaxBackward0" };
    let forward = || if log { x.log_softmax(dim, dtype) } else { x.softmax(dim, dtype) };
    let keep = [dim];
    op(name, &[x], forward, || vec![Save::Out(0)], move |s, g, _| {
        let out = &s[0];
        if out.is_cuda() && g.dtype() == out.dtype() && !crate::autograd::is_grad_enabled() {
            // one fused kernel (a double backward needs the composed graph below)
            let d = crate::layout::wrap_dim(dim, out.ndim().max(1))?;
            return Ok(vec![Some(crate::cuda::softmax::backward(&g.contiguous()?, &out.contiguous()?, d, log)?)]);
        }
        let gx = if log {
            // g - softmax * sum(g)
            sub(g, &mul(&out.float_op(crate::ops::unary::FloatOp::Exp)?, &g.sum(Some(&keep), true, None)?)?)?
        } else {
            // y * (g - sum(g * y))
            mul(out, &sub(g, &mul(g, out)?.sum(Some(&keep), true, None)?)?)?
        };
        Ok(vec![Some(gx)])
    })
}
