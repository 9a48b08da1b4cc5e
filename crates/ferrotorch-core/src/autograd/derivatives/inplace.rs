//! In-place writes under autograd. Every in-place op that needs history is
//! computed out of place and written back through `copy_`, which rebases the
//! history of the written tensor (or, for a view, of its base) like
//! PyTorch's `CopySlices`.

use super::view::{embed, ViewFn};
use crate::autograd::{is_grad_enabled, no_grad, record};
use crate::{bail, Result, Tensor};
use std::sync::Arc;

/// Does writing into `dst` (from `others`) have to update autograd history?
pub(crate) fn needs_grad(dst: &Tensor, others: &[&Tensor]) -> bool {
    (dst.requires_grad()
        || others.iter().any(|t| t.requires_grad())
        || dst.base().is_some_and(|b| b.requires_grad()))
        && is_grad_enabled()
}

fn check_writable(dst: &Tensor) -> Result<()> {
    if let Some(b) = dst.base() {
        if b.is_leaf() && b.requires_grad() {
            bail!(runtime, "a view of a leaf Variable that requires grad is being used in an in-place operation.");
        }
    } else if dst.is_leaf() && dst.requires_grad() {
        bail!(
            runtime,
            "a leaf Variable that requires grad is being used in an in-place operation."
        );
    }
    Ok(())
}

/// `dst.copy_(src)` with history.
pub(crate) fn copy_(dst: &Tensor, src: &Tensor) -> Result<()> {
    check_writable(dst)?;
    no_grad(|| dst.copy_(src))?;
    let Some(base) = dst.base().cloned() else {
        // The whole tensor was overwritten: its grad flows to `src` only.
        if let (Some(f), true) = (
            src.grad_fn(),
            src.shape() == dst.shape() && src.dtype() == dst.dtype(),
        ) {
            // Adopt src's history so `y.add_(1)` reads as AddBackward0, like PyTorch.
            dst.set_history(f, src.output_nr());
            return Ok(());
        }
        return record("CopyBackwards", &[src], &[dst], Vec::new(), |_, g, _| {
            Ok(vec![g[0].clone()])
        });
    };
    if !base.is_contiguous() {
        bail!(
            not_implemented,
            "autograd: in-place write into a view of a non-contiguous tensor is not supported"
        );
    }
    let (shape, strides, off) = (
        dst.shape().to_vec(),
        dst.strides().to_vec(),
        dst.offset() - base.offset(),
    );
    let view: ViewFn = Arc::new(move |t: &Tensor| {
        let t = t.contiguous()?;
        let o = t.offset() + off;
        t.as_strided(&shape, &strides, Some(o))
    });
    let (v1, v2) = (view.clone(), view.clone());
    let base_shape = base.shape().to_vec();
    // The base now holds src in the view's region and its old values elsewhere.
    record(
        "CopySlices",
        &[&base, src],
        &[&base],
        Vec::new(),
        move |_, g, needs| {
            let g = g[0].as_ref().expect("grad");
            let old = if needs[0] {
                let keep = Tensor::full_on(g.shape(), crate::Scalar::Int(1), g.dtype(), g.device())?;
                no_grad(|| v1(&keep)?.copy_(&Tensor::zeros_on(&[], g.dtype(), g.device())?))?;
                Some(super::mul(g, &keep)?)
            } else {
                None
            };
            let new = if needs[1] { Some(v1(g)?) } else { None };
            Ok(vec![old, new])
        },
    )?;
    // dst is now a view of the updated base.
    record(
        "AsStridedBackward0",
        &[&base],
        &[dst],
        Vec::new(),
        move |_, g, _| {
            Ok(vec![Some(embed(
                g[0].as_ref().expect("grad"),
                &base_shape,
                v2.clone(),
            )?)])
        },
    )
}
