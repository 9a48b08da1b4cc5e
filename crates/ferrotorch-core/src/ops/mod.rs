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

/// Ops without a CUDA kernel yet: a clean NotImplementedError for CUDA inputs.
pub(crate) fn cpu_only(op: &str, ts: &[&Tensor]) -> Result<()> {
    if ts.iter().any(|t| t.device() != crate::Device::Cpu) {
        return Err(crate::cuda::unsupported(op));
    }
    Ok(())
}

/// The device of an op's result: that of its first tensor operand not on the
/// CPU (0-d CPU tensors join CUDA ops as scalars), else the CPU. Allocation-free:
/// every binary op asks.
pub(crate) fn op_device(ts: &[Option<&Tensor>]) -> crate::Device {
    ts.iter().flatten().map(|t| t.device()).find(|d| *d != crate::Device::Cpu).unwrap_or(crate::Device::Cpu)
}

/// PyTorch's cross-device error for any op mixing devices.
pub(crate) fn check_same_device(ts: &[&Tensor]) -> Result<()> {
    // 0-d CPU tensors act like scalars and may join any device.
    let cpu_scalar = |t: &Tensor| t.ndim() == 0 && t.device() == crate::Device::Cpu;
    if let Some(first) = ts.iter().find(|t| !cpu_scalar(t)) {
        let d = first.device();
        for t in ts {
            if t.device() != d && !cpu_scalar(t) {
                // PyTorch names the accelerator first, whatever the operand order
                let (x, y) = if d == crate::Device::Cpu { (t.device(), d) } else { (d, t.device()) };
                bail!(
                    runtime,
                    "Expected all tensors to be on the same device, but found at least two devices, {} and {}!",
                    x,
                    y
                );
            }
        }
    }
    Ok(())
}

/// Runs a float-only kernel on contiguous f32/f64 views of `ts` (no copy when
/// they already are); float16/bfloat16 compute in float32. Returns the
/// kernel's result and the dtype it computed in.
pub(crate) fn float_kernel<R>(
    name: &str,
    ts: &[&Tensor],
    f32k: impl FnOnce(&[&[f32]]) -> R,
    f64k: impl FnOnce(&[&[f64]]) -> R,
) -> Result<(R, crate::DType)> {
    use crate::{DType, Element};
    fn typed<T: Element>(ts: &[&Tensor]) -> Result<Vec<Tensor>> {
        ts.iter().map(|t| t.to_dtype(T::DTYPE)?.contiguous()).collect()
    }
    // SAFETY: each view is contiguous with dtype T and lives until the kernel returns.
    fn slices<T: Element>(ts: &[Tensor]) -> Vec<&[T]> {
        ts.iter().map(|t| unsafe { t.as_slice::<T>() }).collect()
    }
    cpu_only(name, ts)?;
    let dt = ts[0].dtype();
    Ok(match dt {
        DType::F64 => (f64k(&slices(&typed::<f64>(ts)?)), DType::F64),
        DType::F32 | DType::F16 | DType::BF16 => (f32k(&slices(&typed::<f32>(ts)?)), DType::F32),
        _ => bail!(not_implemented, "\"{name}\" not implemented for '{}'", dt.legacy_name()),
    })
}
