//! Backward formulas, one module per op family. Each public op checks
//! `needs_grad` and, when an input needs a grad, calls its function here,
//! which runs the op with grad mode off and records a node whose formula is
//! written with differentiable ops (so `create_graph=True` works).

pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod index;
pub(crate) mod inplace;
pub(crate) mod linalg;
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
pub(crate) mod view;

use crate::ops::unary::FloatOp;
use crate::{Arg, BinaryOp, Result, Scalar, Tensor};

/// Small differentiable helpers so formulas read like math.
pub(crate) fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    crate::binary(BinaryOp::Mul, Arg::T(a), Arg::T(b))
}
pub(crate) fn div(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    crate::binary(BinaryOp::Div, Arg::T(a), Arg::T(b))
}
pub(crate) fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    crate::binary(BinaryOp::Add, Arg::T(a), Arg::T(b))
}
pub(crate) fn sub(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    crate::binary(BinaryOp::Sub, Arg::T(a), Arg::T(b))
}
pub(crate) fn scale(a: &Tensor, s: f64) -> Result<Tensor> {
    crate::binary(BinaryOp::Mul, Arg::T(a), Arg::S(Scalar::Float(s)))
}
pub(crate) fn add_s(a: &Tensor, s: f64) -> Result<Tensor> {
    crate::binary(BinaryOp::Add, Arg::T(a), Arg::S(Scalar::Float(s)))
}
pub(crate) fn rsub_s(s: f64, a: &Tensor) -> Result<Tensor> {
    crate::binary(BinaryOp::Sub, Arg::S(Scalar::Float(s)), Arg::T(a))
}
pub(crate) fn f(a: &Tensor, op: FloatOp) -> Result<Tensor> {
    a.float_op(op)
}
/// A constant (no history) boolean mask as the grad's dtype, for masking grads.
pub(crate) fn mask_of(cond: Result<Tensor>, like: &Tensor) -> Result<Tensor> {
    cond?.to_dtype(like.dtype())
}
/// `op(a, b)` as a boolean tensor, computed without recording.
pub(crate) fn cmp(op: BinaryOp, a: Arg, b: Arg) -> Result<Tensor> {
    crate::autograd::no_grad(|| crate::binary(op, a, b))
}
pub(crate) fn zeros_like(t: &Tensor) -> Result<Tensor> {
    Tensor::zeros_on(t.shape(), t.dtype(), t.device())
}
