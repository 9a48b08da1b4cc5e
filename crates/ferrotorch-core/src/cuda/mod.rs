//! CUDA backend: devices, caching allocator, PTX kernels and cuBLAS, driven
//! through `cudarc` with run-time loading of the driver libraries. A machine
//! without a driver builds and runs everything on CPU; `is_available()` is
//! then false and CUDA calls return PyTorch's "no driver" error.

pub mod alloc;
pub mod blas;
pub(crate) mod conv;
pub mod device;
pub mod elementwise;
mod emulator;
pub mod compact;
pub mod index;
pub(crate) mod optim;
mod kernels;
pub(crate) mod pool;
pub mod random;
pub mod reduce;
pub mod softmax;
pub mod sort;
pub mod transfer;

pub use device::{current_device, device_count, device_to_host_copies, gpu, is_available, set_device, Event, Gpu};

use crate::Error;
use cudarc::driver::DriverError;

/// What PyTorch raises when CUDA is used on a machine without a driver.
pub(crate) fn no_driver() -> Error {
    Error::runtime(
        "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx",
    )
}

pub(crate) fn driver_err(e: DriverError) -> Error {
    let name = e.error_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let text = e.error_string().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Error::runtime(format!("CUDA error: {text} ({name})"))
}

/// Ops this backend does not implement yet fail cleanly, naming the op.
pub(crate) fn unsupported(op: &str) -> Error {
    Error::not_implemented(format!(
        "Could not run '{op}' with arguments from the 'CUDA' backend. ferrotorch does not implement this operation for CUDA tensors yet; move the tensor to the CPU with .cpu() first."
    ))
}
