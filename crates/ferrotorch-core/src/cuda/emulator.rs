//! A host stand-in for the CUDA driver, for testing without a GPU.
//!
//! With `FERROTORCH_CUDA_EMULATOR=<library>` (tests/kernels_host.cpp built
//! for the host), the backend reports one device whose memory is host
//! memory and whose kernel launches call the kernels' host build through
//! `launch_<kernel>(params)` (one thread visits every element of a
//! grid-stride kernel) or, for kernels whose threads cooperate (shared
//! memory, barriers, warp shuffles), `coop_<kernel>(params, grid, block)`,
//! which runs the real grid and block sizes (see tests/kernels_host.h). Everything above the driver calls (allocator,
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
type CoopThunk = unsafe extern "C" fn(*mut *mut c_void, u32, u32);

/// What `function` hands out as a kernel handle.
struct Kernel {
    thunk: *mut c_void,
    cooperative: bool,
}

impl Emulator {
    /// The host entry point of kernel `name`, as an opaque function handle
    /// (leaked: the device caches one per kernel for the process).
    pub(crate) fn function(&self, name: &str) -> Result<*mut c_void> {
        for (prefix, cooperative) in [("coop_", true), ("launch_", false)] {
            let sym = CString::new(format!("{prefix}{name}")).expect("kernel names have no NUL bytes");
            // SAFETY: looking a symbol up in a library kept open for the process.
            let thunk = unsafe { libc::dlsym(self.lib as *mut c_void, sym.as_ptr()) };
            if !thunk.is_null() {
                return Ok(Box::into_raw(Box::new(Kernel { thunk, cooperative })) as *mut c_void);
            }
        }
        Err(Error::runtime(format!("CUDA emulator: no kernel {name}")))
    }

    /// Runs kernel `f` (from `function`) on `grid` x `block` threads; plain
    /// kernels as one thread that visits their whole index space.
    ///
    /// # Safety
    /// `args` must be the kernel's parameters, as for `cuLaunchKernel`.
    pub(crate) unsafe fn launch(&self, f: *mut c_void, grid: u32, block: u32, args: &mut [*mut c_void]) {
        let k = &*(f as *const Kernel);
        if k.cooperative {
            let thunk: CoopThunk = std::mem::transmute(k.thunk);
            thunk(args.as_mut_ptr(), grid, block);
        } else {
            let thunk: Thunk = std::mem::transmute(k.thunk);
            thunk(args.as_mut_ptr());
        }
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
