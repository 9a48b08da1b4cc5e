//! Matrix products. `matmul`, `dot`, `addmm` and `einsum` are built from these
//! and views, so their grads follow.

use crate::autograd::{op, Save};
use crate::{Result, Tensor};

pub(crate) fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let save = || vec![Save::T(a.clone()), Save::T(b.clone())];
    op(
        "MmBackward0",
        &[a, b],
        || a.mm(b),
        save,
        |s, g, needs| {
            Ok(vec![
                if needs[0] {
                    Some(g.mm(&s[1].t()?)?)
                } else {
                    None
                },
                if needs[1] {
                    Some(s[0].t()?.mm(g)?)
                } else {
                    None
                },
            ])
        },
    )
}

/// `[B,m,k] @ [B,k,n]`; `forward` is the kernel (shared by `bmm` and batched `matmul`).
pub(crate) fn bmm(
    a: &Tensor,
    b: &Tensor,
    forward: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    let save = || vec![Save::T(a.clone()), Save::T(b.clone())];
    op("BmmBackward0", &[a, b], forward, save, |s, g, needs| {
        Ok(vec![
            if needs[0] {
                Some(g.bmm(&s[1].transpose(1, 2)?)?)
            } else {
                None
            },
            if needs[1] {
                Some(s[0].transpose(1, 2)?.bmm(g)?)
            } else {
                None
            },
        ])
    })
}
