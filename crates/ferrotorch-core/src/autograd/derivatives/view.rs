//! Views: their grads reshape, permute, reduce (expand) or scatter back into
//! a zero tensor of the input's shape (narrow, select, diagonal, as_strided).

use crate::autograd::{op, sum_to};
use crate::{Result, Tensor};
use std::sync::Arc;

/// Applies a view op to a tensor of the viewed input's shape.
pub(crate) type ViewFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// Views that only change the shape (view, reshape, squeeze, unsqueeze, ...).
pub(crate) fn reshape_like(
    name: &'static str,
    x: &Tensor,
    forward: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    let shape: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
    op(name, &[x], forward, Vec::new, move |_, g, _| {
        Ok(vec![Some(g.reshape(&shape)?)])
    })
}

pub(crate) fn permute(
    name: &'static str,
    x: &Tensor,
    perm: Vec<usize>,
    forward: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    let mut inv = vec![0i64; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i as i64;
    }
    op(name, &[x], forward, Vec::new, move |_, g, _| {
        Ok(vec![Some(g.permute(&inv)?)])
    })
}

pub(crate) fn expand(x: &Tensor, forward: impl FnOnce() -> Result<Tensor>) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    op(
        "ExpandBackward0",
        &[x],
        forward,
        Vec::new,
        move |_, g, _| Ok(vec![Some(sum_to(g, &shape)?)]),
    )
}

/// Views that pick a subset of elements: the grad is scattered back by
/// applying the same view to zeros of the input's shape.
pub(crate) fn subset(name: &'static str, x: &Tensor, view: ViewFn) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    let v = view.clone();
    op(
        name,
        &[x],
        || view(x),
        Vec::new,
        move |_, g, _| Ok(vec![Some(embed(g, &shape, v.clone())?)]),
    )
}

/// Zeros of `shape` with `view(zeros)` set to `g`: the adjoint of `view`.
pub(crate) fn embed(g: &Tensor, shape: &[usize], view: ViewFn) -> Result<Tensor> {
    let v = view.clone();
    op(
        "ViewScatterBackward0",
        &[g],
        || {
            let z = Tensor::zeros_on(shape, g.dtype(), g.device())?;
            view(&z)?.copy_(g)?;
            Ok(z)
        },
        Vec::new,
        move |_, gg, _| Ok(vec![Some(v(gg)?)]),
    )
}
