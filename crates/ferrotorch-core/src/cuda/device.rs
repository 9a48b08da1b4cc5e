//! CUDA devices: driver discovery, one primary context per device, lazily
//! loaded PTX modules, kernel launch, events.
//!
//! Everything runs on the legacy default stream of each device, as PyTorch's
//! default does: launches are asynchronous, copies to the host synchronize,
//! and the caching allocator can hand a freed block to the next op at once
//! because that op is ordered after every earlier one on the same stream.

use super::{driver_err, no_driver};
use crate::{Error, Result};
use cudarc::driver::{result, sys};
use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Driver library present, `cuInit` succeeded and at least one device.
pub fn is_available() -> bool {
    device_count() > 0
}

/// Number of CUDA devices; 0 without a driver (never panics or prints).
pub fn device_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        // SAFETY: probing for the shared library has no side effects.
        if !unsafe { sys::is_culib_present() } || result::init().is_err() {
            return 0;
        }
        result::device::get_count().map(|n| n.max(0) as usize).unwrap_or(0)
    })
}

static CURRENT: AtomicUsize = AtomicUsize::new(0);

/// `torch.cuda.current_device()`.
pub fn current_device() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// `torch.cuda.set_device(i)`.
pub fn set_device(ordinal: usize) -> Result<()> {
    gpu(ordinal)?;
    CURRENT.store(ordinal, Ordering::Relaxed);
    Ok(())
}

/// One device: its primary context and the kernels loaded into it.
pub struct Gpu {
    pub ordinal: usize,
    pub(crate) dev: sys::CUdevice,
    ctx: sys::CUcontext,
    modules: Mutex<HashMap<&'static str, sys::CUmodule>>,
    functions: Mutex<HashMap<(&'static str, &'static str), sys::CUfunction>>,
}

// SAFETY: driver handles are plain identifiers, valid from any thread once
// the context is made current there (`Gpu::bind`).
unsafe impl Send for Gpu {}
unsafe impl Sync for Gpu {}

/// The device `ordinal`, initialised on first use and bound to this thread.
pub fn gpu(ordinal: usize) -> Result<&'static Gpu> {
    static GPUS: OnceLock<Vec<OnceLock<std::result::Result<Gpu, Error>>>> = OnceLock::new();
    let n = device_count();
    if n == 0 {
        return Err(no_driver());
    }
    let slots = GPUS.get_or_init(|| (0..n).map(|_| OnceLock::new()).collect());
    let slot = slots.get(ordinal).ok_or_else(|| {
        Error::runtime(
            "CUDA error: invalid device ordinal\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.",
        )
    })?;
    let g = slot.get_or_init(|| Gpu::open(ordinal)).as_ref().map_err(Clone::clone)?;
    g.bind()?;
    Ok(g)
}

impl Gpu {
    fn open(ordinal: usize) -> Result<Gpu> {
        let dev = result::device::get(ordinal as i32).map_err(driver_err)?;
        // SAFETY: `dev` is a valid device; the primary context lives for the process.
        let ctx = unsafe { result::primary_ctx::retain(dev) }.map_err(driver_err)?;
        Ok(Gpu {
            ordinal,
            dev,
            ctx,
            modules: Mutex::new(HashMap::new()),
            functions: Mutex::new(HashMap::new()),
        })
    }

    /// Makes this device's context current on the calling thread.
    pub(crate) fn bind(&self) -> Result<()> {
        if result::ctx::get_current().map_err(driver_err)? != Some(self.ctx) {
            // SAFETY: the primary context was retained in `open` and never released.
            unsafe { result::ctx::set_current(self.ctx) }.map_err(driver_err)?;
        }
        Ok(())
    }

    /// The stream every op of this device is ordered on.
    pub(crate) fn stream(&self) -> sys::CUstream {
        std::ptr::null_mut()
    }

    /// Waits for every queued kernel and copy of this device.
    pub fn synchronize(&self) -> Result<()> {
        result::ctx::synchronize().map_err(driver_err)
    }

    pub fn name(&self) -> Result<String> {
        result::device::get_name(self.dev).map_err(driver_err)
    }

    pub fn total_memory(&self) -> Result<usize> {
        // SAFETY: valid device handle.
        unsafe { result::device::total_mem(self.dev) }.map_err(driver_err)
    }

    pub fn attribute(&self, a: sys::CUdevice_attribute) -> Result<i32> {
        // SAFETY: valid device handle.
        unsafe { result::device::get_attribute(self.dev, a) }.map_err(driver_err)
    }

    /// (major, minor) compute capability.
    pub fn capability(&self) -> Result<(i32, i32)> {
        use sys::CUdevice_attribute::*;
        Ok((
            self.attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?,
            self.attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?,
        ))
    }

    pub fn uuid(&self) -> Result<String> {
        let u = result::device::get_uuid(self.dev).map_err(driver_err)?;
        let b: Vec<u8> = u.bytes.iter().map(|&c| c as u8).collect();
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Ok(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }

    /// Kernel `name` of PTX module `module` (see `kernels::ptx`), loaded on first use.
    pub(crate) fn function(&self, module: &'static str, name: &'static str) -> Result<sys::CUfunction> {
        if let Some(&f) = self.functions.lock().unwrap().get(&(module, name)) {
            return Ok(f);
        }
        let m = {
            let mut mods = self.modules.lock().unwrap();
            match mods.get(module) {
                Some(&m) => m,
                None => {
                    let src = super::kernels::ptx(module)
                        .ok_or_else(|| Error::runtime(format!("no CUDA kernel module '{module}'")))?;
                    let c = CString::new(src).expect("PTX has no NUL bytes");
                    // SAFETY: `c` is a NUL-terminated PTX image; the driver copies it.
                    let m = unsafe { result::module::load_data(c.as_ptr() as *const c_void) }
                        .map_err(driver_err)?;
                    mods.insert(module, m);
                    m
                }
            }
        };
        let cname = CString::new(name).expect("kernel names have no NUL bytes");
        // SAFETY: `m` is a loaded module of this context.
        let f = unsafe { result::module::get_function(m, cname) }.map_err(|e| {
            Error::runtime(format!("CUDA kernel {name} missing from module {module}: {e:?}"))
        })?;
        self.functions.lock().unwrap().insert((module, name), f);
        Ok(f)
    }

    /// Launches `f` on `grid` x `block` threads with `args`: pointers to the
    /// kernel's parameters in declaration order, alive for this call.
    pub(crate) fn launch(
        &self,
        f: sys::CUfunction,
        grid: u32,
        block: u32,
        args: &mut [*mut c_void],
    ) -> Result<()> {
        // SAFETY: the caller passes exactly the kernel's parameters.
        unsafe { result::launch_kernel(f, (grid, 1, 1), (block, 1, 1), 0, self.stream(), args) }
            .map_err(driver_err)
    }
}

/// Pointer to a kernel parameter, as `Gpu::launch` takes them.
pub(crate) fn arg<T>(v: &T) -> *mut c_void {
    v as *const T as *mut c_void
}

/// A CUDA event (`torch.cuda.Event`).
pub struct Event {
    ev: sys::CUevent,
    device: usize,
}
// SAFETY: an event handle may be used from any thread of the process.
unsafe impl Send for Event {}
unsafe impl Sync for Event {}

impl Event {
    pub fn new(device: usize, enable_timing: bool) -> Result<Event> {
        gpu(device)?;
        let flags = if enable_timing {
            sys::CUevent_flags::CU_EVENT_DEFAULT
        } else {
            sys::CUevent_flags::CU_EVENT_DISABLE_TIMING
        };
        Ok(Event {
            ev: result::event::create(flags).map_err(driver_err)?,
            device,
        })
    }
    pub fn record(&self) -> Result<()> {
        let g = gpu(self.device)?;
        // SAFETY: live event and stream of the same context.
        unsafe { result::event::record(self.ev, g.stream()) }.map_err(driver_err)
    }
    pub fn synchronize(&self) -> Result<()> {
        gpu(self.device)?;
        // SAFETY: live event.
        unsafe { result::event::synchronize(self.ev) }.map_err(driver_err)
    }
    /// Whether all work before the last `record` has finished.
    pub fn query(&self) -> Result<bool> {
        gpu(self.device)?;
        // SAFETY: live event.
        match unsafe { result::event::query(self.ev) } {
            Ok(()) => Ok(true),
            Err(e) if e.0 == sys::CUresult::CUDA_ERROR_NOT_READY => Ok(false),
            Err(e) => Err(driver_err(e)),
        }
    }
    /// Milliseconds from this event to `end` (both recorded and complete).
    pub fn elapsed_time(&self, end: &Event) -> Result<f32> {
        gpu(self.device)?;
        // SAFETY: live events.
        unsafe { result::event::elapsed(self.ev, end.ev) }.map_err(driver_err)
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: destroying a live event; errors at teardown are ignored.
        let _ = unsafe { result::event::destroy(self.ev) };
    }
}
