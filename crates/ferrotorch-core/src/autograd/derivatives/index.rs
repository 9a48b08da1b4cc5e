//! Index ops: gather/scatter, index_select/index_add, advanced indexing and
//! index_put, masked_fill/masked_select, take, and the values of sort, topk
//! and max/min(dim).
//! Each formula is the adjoint op applied to the grad (gather <-> scatter_add,
//! index <-> index_put with accumulate), so double backward works too.
//! Index tensors are saved (version-checked) and never get grads.

use super::view::{embed, ViewFn};
use crate::autograd::{no_grad, op, record, Save};
use crate::{Result, Scalar, Tensor};
use std::sync::Arc;

fn zero() -> Scalar {
    Scalar::Float(0.0)
}

/// Zeros of `shape` with `g` in its leading corner: the grad of a `src` that
/// is larger than the index that reads from it (only that corner is read).
fn pad_to(g: Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g);
    }
    if g.ndim() != shape.len() {
        // 0-d src with a one-element index (or the reverse)
        let s: Vec<i64> = shape.iter().map(|&x| x as i64).collect();
        return g.reshape(&s);
    }
    let sizes = g.shape().to_vec();
    let corner: ViewFn = Arc::new(move |t: &Tensor| {
        sizes
            .iter()
            .enumerate()
            .try_fold(t.clone(), |t, (d, &n)| t.narrow(d as i64, 0, n as i64))
    });
    embed(&g, shape, corner)
}

pub(crate) fn gather(x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    op(
        "GatherBackward0",
        &[x],
        || x.gather(dim, index),
        || vec![Save::T(index.clone())],
        move |s, g, _| {
            let z = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
            Ok(vec![Some(z.scatter_add(dim, &s[0], g)?)])
        },
    )
}

/// Out-of-place scatter of `src` (or of `value`), overwriting or adding.
pub(crate) fn scatter(
    x: &Tensor,
    dim: i64,
    index: &Tensor,
    src: Option<&Tensor>,
    value: Option<Scalar>,
    accumulate: bool,
    name: &str,
) -> Result<Tensor> {
    let node = match (src.is_some(), accumulate) {
        (true, false) => "ScatterBackward0",
        (true, true) => "ScatterAddBackward0",
        (false, _) => "ScatterBackward1",
    };
    let inputs: Vec<&Tensor> = std::iter::once(x).chain(src).collect();
    let src_shape = src.map(|t| t.shape().to_vec());
    op(
        node,
        &inputs,
        || x.scatter_impl(dim, index, src, value, accumulate, name),
        || vec![Save::T(index.clone())],
        move |s, g, needs| {
            let idx = &s[0];
            let mut out = vec![if !needs[0] {
                None
            } else if accumulate {
                Some(g.clone())
            } else {
                // overwritten positions do not depend on self
                Some(g.scatter_value(dim, idx, zero())?)
            }];
            if let Some(shape) = &src_shape {
                out.push(if needs[1] {
                    Some(pad_to(g.gather(dim, idx)?, shape)?)
                } else {
                    None
                });
            }
            Ok(out)
        },
    )
}

pub(crate) fn index_select(x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    op(
        "IndexSelectBackward0",
        &[x],
        || x.index_select(dim, index),
        || vec![Save::T(index.clone())],
        move |s, g, _| {
            let z = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
            Ok(vec![Some(z.index_add(dim, &s[0], g, Scalar::Int(1))?)])
        },
    )
}

pub(crate) fn index_add(
    x: &Tensor,
    dim: i64,
    index: &Tensor,
    source: &Tensor,
    alpha: Scalar,
) -> Result<Tensor> {
    let src_shape: Vec<i64> = source.shape().iter().map(|&s| s as i64).collect();
    op(
        "IndexAddBackward0",
        &[x, source],
        || x.index_add(dim, index, source, alpha),
        || vec![Save::T(index.clone())],
        move |s, g, needs| {
            let gs = if needs[1] {
                let r = g.index_select(dim, &s[0])?.reshape(&src_shape)?;
                Some(if alpha.to_f64() == 1.0 {
                    r
                } else {
                    super::scale(&r, alpha.to_f64())?
                })
            } else {
                None
            };
            Ok(vec![needs[0].then(|| g.clone()), gs])
        },
    )
}

/// Splits optional index tensors into saved tensors and the pattern to rebuild them.
fn save_indices(indices: &[Option<Tensor>]) -> (Vec<Save>, Vec<bool>) {
    let save = indices
        .iter()
        .flatten()
        .map(|t| Save::T(t.clone()))
        .collect();
    (save, indices.iter().map(Option::is_some).collect())
}

fn load_indices(saved: &[Tensor], pattern: &[bool]) -> Vec<Option<Tensor>> {
    let mut it = saved.iter();
    pattern
        .iter()
        .map(|&some| if some { it.next().cloned() } else { None })
        .collect()
}

/// Advanced indexing `x[indices]`.
pub(crate) fn index(x: &Tensor, indices: &[Option<Tensor>]) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    let (save, pattern) = save_indices(indices);
    op(
        "IndexBackward0",
        &[x],
        || x.index(indices),
        move || save,
        move |s, g, _| {
            let z = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
            // duplicate indices read one element several times: their grads add
            Ok(vec![Some(z.index_put(
                &load_indices(s, &pattern),
                g,
                true,
            )?)])
        },
    )
}

pub(crate) fn index_put(
    x: &Tensor,
    indices: &[Option<Tensor>],
    values: &Tensor,
    accumulate: bool,
) -> Result<Tensor> {
    let (save, pattern) = save_indices(indices);
    op(
        "IndexPutBackward0",
        &[x, values],
        || x.index_put(indices, values, accumulate),
        move || save,
        move |s, g, needs| {
            let idx = load_indices(s, &pattern);
            let gx = if !needs[0] {
                None
            } else if accumulate {
                Some(g.clone())
            } else {
                let z = Tensor::zeros_on(&[], g.dtype(), g.device())?;
                Some(g.index_put(&idx, &z, false)?)
            };
            // the engine sums this down to the shape values broadcast from
            let gv = if needs[1] { Some(g.index(&idx)?) } else { None };
            Ok(vec![gx, gv])
        },
    )
}

/// `masked_fill(x, mask, value)`: the value's grad is the sum of the filled grads.
pub(crate) fn masked_fill(x: &Tensor, mask: &Tensor, value: &Tensor) -> Result<Tensor> {
    let name = if value.requires_grad() {
        "MaskedFillBackward1"
    } else {
        "MaskedFillBackward0"
    };
    op(
        name,
        &[x, value],
        || x.masked_fill(mask, value),
        || vec![Save::T(mask.clone())],
        move |s, g, needs| {
            let m = &s[0];
            let gx = if needs[0] {
                Some(g.masked_fill(m, &Tensor::zeros_on(&[], g.dtype(), g.device())?)?)
            } else {
                None
            };
            let gv = if needs[1] {
                Some(g.masked_select(m)?.sum(None, false, None)?)
            } else {
                None
            };
            Ok(vec![gx, gv])
        },
    )
}

/// `masked_select(x, mask)`: the grad goes back to the selected positions of
/// the broadcast shape (the engine reduces it if `x` was broadcast).
pub(crate) fn masked_select(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let x_shape = x.shape().to_vec();
    op(
        "MaskedSelectBackward0",
        &[x],
        || x.masked_select(mask),
        || vec![Save::T(mask.clone())],
        move |s, g, _| {
            // masked_scatter into zeros: no count read back from a device
            let shape = crate::layout::broadcast_shapes(&x_shape, s[0].shape())?;
            let z = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
            Ok(vec![Some(z.masked_scatter(&s[0], g)?)])
        },
    )
}

/// `masked_scatter(x, mask, source)`: x's grad is zero where the mask took
/// source; source's is the grad at those positions (zeros for the unused tail).
pub(crate) fn masked_scatter(x: &Tensor, mask: &Tensor, source: &Tensor) -> Result<Tensor> {
    let src_shape: Vec<i64> = source.shape().iter().map(|&s| s as i64).collect();
    let src_n = source.numel();
    op(
        "MaskedScatterBackward0",
        &[x, source],
        || x.masked_scatter(mask, source),
        || vec![Save::T(mask.clone())],
        move |s, g, needs| {
            let m = s[0].broadcast_to(g.shape())?;
            let gx = if needs[0] {
                Some(g.masked_fill(&m, &Tensor::zeros_on(&[], g.dtype(), g.device())?)?)
            } else {
                None
            };
            let gs = if needs[1] {
                Some(g.masked_select_padded(&m, src_n)?.reshape(&src_shape)?)
            } else {
                None
            };
            Ok(vec![gx, gs])
        },
    )
}

/// `take(x, index)`: indexes the flattened tensor, so its grad is an
/// accumulating put into flattened zeros.
pub(crate) fn take(x: &Tensor, index: &Tensor) -> Result<Tensor> {
    let shape: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
    let numel = x.numel();
    op(
        "TakeBackward0",
        &[x],
        || x.take(index),
        || vec![Save::T(index.clone())],
        move |s, g, _| {
            let z = Tensor::zeros_on(&[numel], g.dtype(), g.device())?;
            let idx = s[0].reshape(&[-1])?;
            let flat = z.index_put(&[Some(idx)], &g.reshape(&[-1])?, true)?;
            Ok(vec![Some(flat.reshape(&shape)?)])
        },
    )
}

/// Ops that return (values picked along `dim`, their int64 indices), like
/// sort, topk and max/min(dim): the values' grad is scattered back to where
/// they came from (`keepdim = false`: `dim` was reduced away).
pub(crate) fn select_along(
    name: &'static str,
    x: &Tensor,
    dim: i64,
    keepdim: bool,
    forward: impl FnOnce() -> Result<(Tensor, Tensor)>,
) -> Result<(Tensor, Tensor)> {
    let (values, indices) = no_grad(forward)?;
    let shape = x.shape().to_vec();
    let reduced = !keepdim && !shape.is_empty();
    let d = if shape.is_empty() {
        0
    } else {
        crate::layout::wrap_dim(dim, shape.len())? as i64
    };
    record(
        name,
        &[x],
        &[&values, &indices],
        vec![Save::T(indices.clone())],
        move |s, g, _| {
            let g = g[0].as_ref().expect("only the values carry grads");
            let (g, i) = if reduced {
                (g.unsqueeze(d)?, s[0].unsqueeze(d)?)
            } else {
                (g.clone(), s[0].clone())
            };
            let z = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
            Ok(vec![Some(z.scatter(d, &i, &g)?)])
        },
    )?;
    Ok((values, indices))
}
