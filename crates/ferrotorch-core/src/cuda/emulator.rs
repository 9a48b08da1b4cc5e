//! A host stand-in for the CUDA driver, for testing without a GPU.
//!
//! With `FERROTORCH_CUDA_EMULATOR=<library>` (tests/kernels_host.cpp built
//! for the host), the backend reports one device whose memory is host
//! memory and whose kernel launches call the kernels' host build through
//! `launch_<kernel>(params)`. Everything above the driver calls (allocator,
//! launch parameter blocks, dispatch, the Python layer) then runs as on a
//! GPU, so CPU-only CI exercises it end to end. Matmuls run through the CPU
//! GEMM. Timings mean nothing here.

use crate::{Error, Result};
use std::ffi::{c_void, CString};
use std::sync::OnceLock;

pub(crate) struct Emulator {
    lib: usize, // dlopen handle
}

/// Pretend total memory of the emulated device.
pub(crate) const TOTAL_MEMORY: usize = 16 << 30;

/// The emulator, when the environment asks for it (checked once).
pub(crate) fn get() -> Option<&'static Emulator> {
    static EMU: OnceLock<Option<Emulator>> = OnceLock::new();
    EMU.get_or_init(|| {
        let path = std::env::var_os("FERROTORCH_CUDA_EMULATOR")?;
        let c = CString::new(path.to_string_lossy().as_bytes()).ok()?;
        // SAFETY: loading a shared library the user pointed at, for testing.
        let lib = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        (!lib.is_null()).then_some(Emulator { lib: lib as usize })
    })
    .as_ref()
}

type Thunk = unsafe extern "C" fn(*mut *mut c_void);

impl Emulator {
    /// The host entry point of kernel `name`, as an opaque function handle.
    pub(crate) fn function(&self, name: &str) -> Result<*mut c_void> {
        let sym = CString::new(format!("launch_{name}")).expect("kernel names have no NUL bytes");
        // SAFETY: looking a symbol up in a library kept open for the process.
        let f = unsafe { libc::dlsym(self.lib as *mut c_void, sym.as_ptr()) };
        if f.is_null() {
            return Err(Error::runtime(format!("CUDA emulator: no kernel {name}")));
        }
        Ok(f)
    }

    /// Runs kernel `f` (from `function`) over its whole index space.
    ///
    /// # Safety
    /// `args` must be the kernel's parameters, as for `cuLaunchKernel`.
    pub(crate) unsafe fn launch(&self, f: *mut c_void, args: &mut [*mut c_void]) {
        let thunk: Thunk = std::mem::transmute(f);
        thunk(args.as_mut_ptr());
    }

    pub(crate) fn malloc(&self, size: usize) -> Option<u64> {
        // SAFETY: plain allocation; 256-byte alignment like cuMemAlloc.
        let mut p: *mut c_void = std::ptr::null_mut();
        let rc = unsafe { libc::posix_memalign(&mut p, 256, size) };
        (rc == 0 && !p.is_null()).then_some(p as u64)
    }

    /// # Safety
    /// `ptr` must come from `malloc` and be unused.
    pub(crate) unsafe fn free(&self, ptr: u64) {
        libc::free(ptr as *mut c_void)
    }
}
