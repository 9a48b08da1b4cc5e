//! Public tensor operations: validation, type promotion, dispatch to kernels.

pub mod binary;
pub mod cast;
pub mod conv;
pub mod creation;
pub mod index;
pub mod linalg;
pub mod pool;
pub mod reduce;
pub mod shape;
pub mod softmax;
pub mod sort;
pub mod unary;
pub mod view;

use crate::{bail, Result, Tensor};

/// PyTorch's cross-device error for any op mixing devices.
pub(crate) fn check_same_device(ts: &[&Tensor]) -> Result<()> {
    if let Some(first) = ts.first() {
        let d = first.device();
        for t in &ts[1..] {
            // 0-d CPU tensors act like scalars and may join any device.
            if t.device() != d && !(t.ndim() == 0 && t.device() == crate::Device::Cpu) {
                bail!(
                    runtime,
                    "Expected all tensors to be on the same device, but found at least two devices, {} and {}!",
                    d,
                    t.device()
                );
            }
        }
    }
    Ok(())
}
