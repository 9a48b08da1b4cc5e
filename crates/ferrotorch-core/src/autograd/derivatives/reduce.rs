//! Reductions and scans: sum, prod, amax/amin, cumsum/cumprod.

use super::{cmp, div, mask_of, mul};
use crate::autograd::{no_grad, op, Save};
use crate::{Arg, BinaryOp, DType, Result, Tensor};

/// Reinserts the reduced `dims` of `shape` into `g` and broadcasts it back.
pub(crate) fn unreduce(
    g: &Tensor,
    shape: &[usize],
    dims: &[usize],
    keepdim: bool,
) -> Result<Tensor> {
    let kept: Vec<i64> = (0..shape.len())
        .map(|d| {
            if dims.contains(&d) {
                1
            } else {
                shape[d] as i64
            }
        })
        .collect();
    let g = if keepdim {
        g.clone()
    } else {
        g.reshape(&kept)?
    };
    let full: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
    g.expand(&full)
}

pub(crate) fn sum(
    x: &Tensor,
    dims: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let d = x.reduction_dims(dims)?;
    let name = if dims.is_none() {
        "SumBackward0"
    } else {
        "SumBackward1"
    };
    let shape = x.shape().to_vec();
    op(
        name,
        &[x],
        || x.sum(dims, keepdim, dtype),
        Vec::new,
        move |_, g, _| Ok(vec![Some(unreduce(g, &shape, &d, keepdim)?)]),
    )
}

pub(crate) fn prod(
    x: &Tensor,
    dims: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let d = x.reduction_dims(dims)?;
    let name = if dims.is_none() {
        "ProdBackward0"
    } else {
        "ProdBackward1"
    };
    let shape = x.shape().to_vec();
    op(
        name,
        &[x],
        || x.prod(dims, keepdim, dtype),
        || vec![Save::T(x.clone()), Save::Out(0)],
        move |s, g, _| {
            let (x, out) = (&s[0], &s[1]);
            let g = unreduce(g, &shape, &d, keepdim)?;
            if !has_zero(x)? {
                // d prod / dx_i = prod / x_i
                return Ok(vec![Some(div(
                    &mul(&g, &unreduce(out, &shape, &d, keepdim)?)?,
                    x,
                )?)]);
            }
            Ok(vec![Some(mul(&g, &prod_of_others(x, &d)?)?)])
        },
    )
}

/// For each element, the product of the other elements in its reduction
/// group, without dividing (exact when the group contains zeros).
fn prod_of_others(x: &Tensor, dims: &[usize]) -> Result<Tensor> {
    // Move the reduced dims last and flatten them to one axis of length n.
    let nd = x.ndim();
    let keep: Vec<usize> = (0..nd).filter(|k| !dims.contains(k)).collect();
    let perm: Vec<i64> = keep.iter().chain(dims).map(|&k| k as i64).collect();
    let xp = x.permute(&perm)?;
    let outer: Vec<i64> = keep.iter().map(|&k| x.shape()[k] as i64).collect();
    let n: usize = dims.iter().map(|&k| x.shape()[k]).product();
    let mut flat = outer.clone();
    flat.push(n as i64);
    let xf = xp.reshape(&flat)?;
    // [.., n] -> [.., n, n] with the diagonal replaced by ones, then prod over the last axis.
    let mut rep = flat.clone();
    rep.insert(rep.len() - 1, n as i64);
    let m = xf.unsqueeze(-2)?.expand(&rep)?;
    let eye = Tensor::eye(n as i64, None, DType::Bool)?.to_device(x.device())?;
    let others = crate::ops::binary::where_(&eye, Arg::S(crate::Scalar::Int(1)), Arg::T(&m))?
        .prod(Some(&[-1]), false, None)?;
    let permuted_shape: Vec<i64> = perm.iter().map(|&k| x.shape()[k as usize] as i64).collect();
    let mut inv = vec![0i64; nd];
    for (i, &p) in perm.iter().enumerate() {
        inv[p as usize] = i as i64;
    }
    others.reshape(&permuted_shape)?.permute(&inv)
}

/// amax/amin (and full `max()`/`min()`): the grad is shared evenly by ties.
pub(crate) fn extreme(
    x: &Tensor,
    dims: Option<&[i64]>,
    keepdim: bool,
    max: bool,
) -> Result<Tensor> {
    let d = x.reduction_dims(dims)?;
    let name = match (dims.is_none(), max) {
        (true, true) => "MaxBackward1",
        (true, false) => "MinBackward1",
        (false, true) => "AmaxBackward0",
        (false, false) => "AminBackward0",
    };
    let shape = x.shape().to_vec();
    op(
        name,
        &[x],
        || x.extreme(dims, keepdim, max),
        || vec![Save::T(x.clone()), Save::Out(0)],
        move |s, g, _| {
            let out = unreduce(&s[1], &shape, &d, keepdim)?;
            let hit = mask_of(cmp(BinaryOp::Eq, Arg::T(&s[0]), Arg::T(&out)), g)?;
            let di: Vec<i64> = d.iter().map(|&k| k as i64).collect();
            let count = if di.is_empty() {
                hit.clone()
            } else {
                hit.sum(Some(&di), true, None)?
            };
            let g = unreduce(g, &shape, &d, keepdim)?;
            Ok(vec![Some(div(&mul(&g, &hit)?, &count)?)])
        },
    )
}

pub(crate) fn cumulative(x: &Tensor, dim: i64, dtype: Option<DType>, prod: bool) -> Result<Tensor> {
    let d = crate::layout::wrap_dim(dim, x.ndim())? as i64;
    if !prod {
        return op(
            "CumsumBackward0",
            &[x],
            || x.cumulative(dim, dtype, false),
            Vec::new,
            move |_, g, _| Ok(vec![Some(reverse_cumsum(g, d)?)]),
        );
    }
    op(
        "CumprodBackward0",
        &[x],
        || x.cumulative(dim, dtype, true),
        || vec![Save::T(x.clone()), Save::Out(0)],
        move |s, g, _| {
            let (x, out) = (&s[0], &s[1]);
            if !has_zero(x)? {
                // dL/dx_i = sum_{k>=i} g_k out_k / x_i
                return Ok(vec![Some(div(&reverse_cumsum(&mul(g, out)?, d)?, x)?)]);
            }
            // With zeros: dL/dx_i = sum_{k>=i} g_k * prod_{j<=k, j!=i} x_j, built from
            // masked products (quadratic in the scanned length, exact).
            let n = x.shape()[d as usize] as i64;
            let mut parts = Vec::with_capacity(n as usize);
            for i in 0..n {
                let ones = Tensor::full_on(&x.narrow(d, i, 1)?.shape().to_vec(), crate::Scalar::Int(1), x.dtype(), x.device())?;
                let xi = crate::ops::shape::cat(
                    &[x.narrow(d, 0, i)?, ones, x.narrow(d, i + 1, n - i - 1)?],
                    d,
                )?;
                let c = xi.cumulative(d, None, true)?;
                let tail = mul(&g.narrow(d, i, n - i)?, &c.narrow(d, i, n - i)?)?;
                parts.push(tail.sum(Some(&[d]), true, None)?);
            }
            Ok(vec![Some(crate::ops::shape::cat(&parts, d)?)])
        },
    )
}

/// Products divide by the input, which only works without zeros.
fn has_zero(x: &Tensor) -> Result<bool> {
    no_grad(|| cmp(BinaryOp::Eq, Arg::T(x), Arg::S(crate::Scalar::Int(0)))?.any(None, false)?.item()).map(|s| s.to_bool())
}

/// `flip(cumsum(flip(g)))` along `d`: the adjoint of cumsum.
fn reverse_cumsum(g: &Tensor, d: i64) -> Result<Tensor> {
    g.flip(&[d])?.cumulative(d, None, false)?.flip(&[d])
}
