//! Copies between host and device memory.

use super::device::gpu;
use super::elementwise::{cast, dptr, empty};
use crate::{Device, Result, Tensor};

/// A contiguous copy of CPU tensor `t` on CUDA device `device`.
pub fn to_cuda(t: &Tensor, device: usize) -> Result<Tensor> {
    let src = t.contiguous()?;
    let out = empty(t.shape(), t.dtype(), Device::Cuda(device))?;
    let nbytes = src.numel() * src.dtype().size();
    if nbytes > 0 {
        let g = gpu(device)?;
        // SAFETY: `src` is contiguous on CPU with `nbytes` readable bytes.
        let host = unsafe { std::slice::from_raw_parts(src.storage().cpu_ptr()?.add(src.offset() * src.dtype().size()), nbytes) };
        // Synchronous on the default stream: ordered after queued kernels,
        // and the host buffer may be freed once it returns.
        unsafe { g.copy_to_device(dptr(&out)?, host) }?;
    }
    Ok(out)
}

/// A contiguous CPU copy of CUDA tensor `t` (waits for queued work).
pub fn to_cpu(t: &Tensor) -> Result<Tensor> {
    let src = if t.is_contiguous() { t.clone() } else { cast(t, t.dtype())? };
    let nbytes = src.numel() * src.dtype().size();
    let out = crate::dispatch!(t.dtype(), T => {
        let (out, p) = Tensor::uninit::<T>(t.shape());
        if nbytes > 0 {
            let g = gpu(src.device().index().unwrap_or(0))?;
            // SAFETY: `p` has room for numel elements of T = nbytes bytes.
            let host = unsafe { std::slice::from_raw_parts_mut(p as *mut u8, nbytes) };
            unsafe { g.copy_to_host(host, dptr(&src)?) }?;
            g.check_errors()?;
        }
        out
    });
    Ok(out)
}

/// `t` on `device` (a copy unless it already is there).
pub fn to_device(t: &Tensor, device: Device) -> Result<Tensor> {
    match (t.device(), device) {
        (a, b) if a == b => Ok(t.clone()),
        (Device::Cpu, Device::Cuda(i)) => to_cuda(t, i),
        (Device::Cuda(_), Device::Cpu) => to_cpu(t),
        // between devices through the host: peer copies are not wired up
        (Device::Cuda(_), Device::Cuda(i)) => to_cuda(&to_cpu(t)?, i),
        (Device::Cpu, Device::Cpu) => unreachable!(),
    }
}
