//! Joining and reordering copies (cat, stack, flip, roll, repeat, tril/triu)
//! and the norm-style reductions (vector_norm, logsumexp). Ops built only
//! from differentiable ops (hstack, meshgrid, outer, addmm, einsum, ...)
//! need nothing here: their grads follow.

use super::reduce::unreduce;
use super::{cmp, div, mask_of, mul, sub};
use crate::autograd::{no_grad, op, Save};
use crate::ops::binary::where_;
use crate::ops::unary::FloatOp;
use crate::{Arg, BinaryOp, Result, Scalar, Tensor};

/// `cat`: each input's grad is its slice of `g` along the joined dim.
pub(crate) fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    let refs: Vec<&Tensor> = tensors.iter().collect();
    let out = no_grad(|| crate::ops::shape::cat(tensors, dim))?;
    let d = crate::layout::wrap_dim(dim, out.ndim())? as i64;
    // (offset, length) of each input in the output; `None` for the 1-D empty
    // inputs that cat skips (they get an empty grad, like PyTorch).
    let mut off = 0;
    let spans: Vec<Option<(i64, i64)>> = tensors
        .iter()
        .map(|t| {
            if t.ndim() != out.ndim() {
                return None;
            }
            let len = t.shape()[d as usize] as i64;
            off += len;
            Some((off - len, len))
        })
        .collect();
    op(
        "CatBackward0",
        &refs,
        || Ok(out),
        Vec::new,
        move |_, g, needs| {
            spans
                .iter()
                .zip(needs)
                .map(|(span, &need)| match (span, need) {
                    (_, false) => Ok(None),
                    (Some((o, n)), true) => g.narrow(d, *o, *n).map(Some),
                    (None, true) => Ok(Some(Tensor::zeros_on(&[0], g.dtype(), g.device())?)),
                })
                .collect()
        },
    )
}

/// `stack`: input `i`'s grad is `g.select(dim, i)`.
pub(crate) fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    let refs: Vec<&Tensor> = tensors.iter().collect();
    let out = no_grad(|| crate::ops::shape::stack(tensors, dim))?;
    let d = crate::layout::wrap_dim(dim, out.ndim())? as i64;
    op(
        "StackBackward0",
        &refs,
        || Ok(out),
        Vec::new,
        move |_, g, needs| {
            (0..needs.len() as i64)
                .map(|i| {
                    if needs[i as usize] {
                        g.select(d, i).map(Some)
                    } else {
                        Ok(None)
                    }
                })
                .collect()
        },
    )
}

/// A copy whose grad is another reordering of `g` (flip, roll, tril/triu).
fn reorder(
    name: &'static str,
    x: &Tensor,
    forward: impl FnOnce() -> Result<Tensor>,
    back: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Result<Tensor> {
    op(name, &[x], forward, Vec::new, move |_, g, _| {
        Ok(vec![Some(back(g)?)])
    })
}

/// Flipping is its own inverse.
pub(crate) fn flip(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let d = dims.to_vec();
    reorder("FlipBackward0", x, || x.flip(dims), move |g| g.flip(&d))
}

/// Rolled back by the opposite shifts.
pub(crate) fn roll(x: &Tensor, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
    let back: Vec<i64> = shifts.iter().map(|s| -s).collect();
    let d = dims.to_vec();
    reorder(
        "RollBackward0",
        x,
        || x.roll(shifts, dims),
        move |g| g.roll(&back, &d),
    )
}

/// The same triangle of `g`: the masked-out elements get no grad.
pub(crate) fn tri(x: &Tensor, diagonal: i64, lower: bool) -> Result<Tensor> {
    let name = if lower {
        "TrilBackward0"
    } else {
        "TriuBackward0"
    };
    reorder(
        name,
        x,
        || x.tri(diagonal, lower),
        move |g| g.tri(diagonal, lower),
    )
}

/// `repeat`: every input element appears once per tile; sum the tiles.
pub(crate) fn repeat(x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
    let lead = sizes.len().saturating_sub(x.ndim());
    let src = std::iter::repeat_n(1, lead).chain(x.shape().iter().map(|&s| s as i64));
    // g viewed as [r0, s0, r1, s1, ...]: the tile index of each dim is a separate axis.
    let split: Vec<i64> = sizes.iter().zip(src).flat_map(|(&r, s)| [r, s]).collect();
    let tiles: Vec<i64> = (0..sizes.len() as i64).map(|k| 2 * k).collect();
    let shape: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
    reorder(
        "RepeatBackward0",
        x,
        || x.repeat(sizes),
        move |g| {
            if tiles.is_empty() {
                return Ok(g.clone());
            }
            g.reshape(&split)?
                .sum(Some(&tiles), false, None)?
                .reshape(&shape)
        },
    )
}

/// `linalg.vector_norm(x, ord, dims, keepdim)` on a floating `x`, with
/// PyTorch's subgradients (0 where the norm is 0; ties of the max share).
pub(crate) fn vector_norm(
    x: &Tensor,
    ord: f64,
    dims: Option<&[i64]>,
    keepdim: bool,
) -> Result<Tensor> {
    let d = x.reduction_dims(dims)?;
    let shape = x.shape().to_vec();
    op(
        "LinalgVectorNormBackward0",
        &[x],
        || x.vector_norm(ord, dims, keepdim, None),
        || vec![Save::T(x.clone()), Save::Out(0)],
        move |s, g, _| {
            let g = unreduce(g, &shape, &d, keepdim)?;
            let norm = unreduce(&s[1], &shape, &d, keepdim)?;
            Ok(vec![Some(norm_grad(&s[0], &norm, &g, ord, &d)?)])
        },
    )
}

/// d‖x‖_p/dx · g, with `norm` and `g` broadcast back to `x`'s shape.
fn norm_grad(x: &Tensor, norm: &Tensor, g: &Tensor, p: f64, d: &[usize]) -> Result<Tensor> {
    let sgn = no_grad(|| x.sign())?;
    let abs_pow = |e: f64| pow_s(&x.abs()?, e);
    if p == 0.0 {
        return Ok(super::zeros_like(x)?);
    }
    if p == 1.0 {
        return mul(g, &sgn);
    }
    if p == 2.0 {
        return mul(g, &zero_where_eq0(norm, &div(x, norm)?)?);
    }
    if p.is_infinite() {
        // Evenly shared by the elements whose |x| attains the norm.
        let abs = no_grad(|| x.abs())?;
        let hit = mask_of(cmp(BinaryOp::Eq, Arg::T(&abs), Arg::T(norm)), g)?;
        let di: Vec<i64> = d.iter().map(|&k| k as i64).collect();
        let count = if di.is_empty() {
            hit.clone()
        } else {
            hit.sum(Some(&di), true, None)?
        };
        return mul(&sgn, &mul(&div(g, &count)?, &hit)?);
    }
    if p < 1.0 {
        // |x|^(p-1) is infinite at 0, where the subgradient is 0.
        let scaled = mul(&sgn, &zero_where_eq0(x, &abs_pow(p - 1.0)?)?)?;
        return mul(&mul(&scaled, g)?, &pow_s(norm, 1.0 - p)?);
    }
    let scaled = if p < 2.0 {
        mul(&sgn, &abs_pow(p - 1.0)?)?
    } else {
        mul(x, &abs_pow(p - 2.0)?)?
    };
    let scale = zero_where_eq0(norm, &div(g, &pow_s(norm, p - 1.0)?)?)?;
    mul(&scaled, &scale)
}

fn pow_s(t: &Tensor, e: f64) -> Result<Tensor> {
    crate::binary(BinaryOp::Pow, Arg::T(t), Arg::S(Scalar::Float(e)))
}

/// `v`, with 0 wherever `t == 0`.
fn zero_where_eq0(t: &Tensor, v: &Tensor) -> Result<Tensor> {
    let z = cmp(BinaryOp::Eq, Arg::T(t), Arg::S(Scalar::Int(0)))?;
    where_(&z, Arg::S(Scalar::Int(0)), Arg::T(v))
}

/// `logsumexp(x, dims, keepdim)` on a floating `x`: the grad is `g * softmax(x)`,
/// i.e. `g * exp(x - out)`.
pub(crate) fn logsumexp(x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    let d = x.reduction_dims(Some(dims))?;
    let shape = x.shape().to_vec();
    op(
        "LogsumexpBackward0",
        &[x],
        || x.logsumexp(dims, keepdim),
        || vec![Save::T(x.clone()), Save::Out(0)],
        move |s, g, _| {
            let out = unreduce(&s[1], &shape, &d, keepdim)?;
            let e = sub(&s[0], &out)?.float_op(FloatOp::Exp)?;
            Ok(vec![Some(mul(&unreduce(g, &shape, &d, keepdim)?, &e)?)])
        },
    )
}
