//! dtype conversion and copies.

use crate::cpu::map::{assign, map1};
use crate::{dispatch, DType, Device, Element, Result, Tensor};

/// Same storage region? (conservative overlap test for in-place writes)
fn may_overlap(a: &Tensor, b: &Tensor) -> bool {
    if !a.storage().ptr_eq(b.storage()) {
        return false;
    }
    let span = |t: &Tensor| {
        let sz = t.dtype().size();
        (t.offset() * sz, t.layout().storage_span() * sz)
    };
    let ((a0, a1), (b0, b1)) = (span(a), span(b));
    a0 < b1 && b0 < a1
}

impl Tensor {
    /// Converts to `dtype`; returns `self` unchanged when it already has it.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::passthrough("ToCopyBackward0", self, || {
                self.to_dtype(dtype)
            })
        );
        cast_copy(self, dtype)
    }

    /// `Tensor.to(device)`: a copy on `device` (self when already there);
    /// gradients flow back to this tensor's device.
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.clone());
        }
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::passthrough("ToCopyBackward0", self, || {
                self.to_device(device)
            })
        );
        crate::cuda::transfer::to_device(self, device)
    }

    /// Contiguous version (a copy only when needed).
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        self.deep_clone()
    }

    /// A new contiguous tensor with the same values (`Tensor.clone`).
    pub fn deep_clone(&self) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::passthrough("CloneBackward0", self, || self
                .deep_clone())
        );
        cast_copy(self, self.dtype())
    }

    /// An in-place op written as `self.copy_(f(self))`, with PyTorch's check
    /// that the result casts to `self`'s dtype. When autograd records the
    /// write, `f` reads a snapshot of `self`, so values its formula saves are
    /// not clobbered by the write (PyTorch saves `original_self` likewise).
    pub fn update_(&self, others: &[&Tensor], f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
        let snapshot = if crate::autograd::derivatives::inplace::needs_grad(self, others) {
            Some(self.deep_clone()?)
        } else {
            None
        };
        let r = f(snapshot.as_ref().unwrap_or(self))?;
        if !r.dtype().can_cast_to(self.dtype()) {
            crate::bail!(
                runtime,
                "result type {} can't be cast to the desired output type {}",
                r.dtype().legacy_name(),
                self.dtype().legacy_name()
            );
        }
        self.copy_(&r)
    }

    /// `self.copy_(src)`: broadcasts and casts `src` into this tensor's memory.
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        if crate::autograd::derivatives::inplace::needs_grad(self, &[src]) {
            return crate::autograd::derivatives::inplace::copy_(self, src);
        }
        // copy_ is the one op that moves data between devices.
        let src = &src.to_device(self.device())?;
        crate::layout::broadcast_shapes(self.shape(), src.shape()).and_then(|s| {
            if s != self.shape() {
                crate::bail!(
                    runtime,
                    "output with shape {} doesn't match the broadcast shape {}",
                    crate::layout::fmt_shape(self.shape()),
                    crate::layout::fmt_shape(&s)
                );
            }
            Ok(())
        })?;
        // Reading and writing overlapping memory in one pass is unsafe; go through a temporary.
        let src = if may_overlap(self, src) {
            src.deep_clone()?
        } else {
            src.clone()
        };
        if self.is_cuda() {
            crate::cuda::elementwise::copy_into(self, &src)?;
        } else {
            dispatch!(src.dtype(), S => dispatch!(self.dtype(), D => assign::<S, D>(self, &src, D::cast_from)));
        }
        self.bump_version();
        Ok(())
    }
}

/// A contiguous copy of `t` converted to `dtype`.
pub(crate) fn cast_copy(t: &Tensor, dtype: DType) -> Result<Tensor> {
    if t.is_cuda() {
        return crate::cuda::elementwise::cast(t, dtype);
    }
    Ok(dispatch!(t.dtype(), S => dispatch!(dtype, D => map1::<S, D>(t, D::cast_from))))
}
