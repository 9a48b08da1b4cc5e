//! CUDA devices: driver discovery, one primary context per device, lazily
//! loaded PTX modules, kernel launch, events.
//!
//! Everything runs on the legacy default stream of each device, as PyTorch's
//! default does: launches are asynchronous, copies to the host synchronize,
//! and the caching allocator can hand a freed block to the next op at once
//! because that op is ordered after every earlier one on the same stream.

use super::emulator::{self, Emulator};
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
        if emulator::get().is_some() {
            return 1;
        }
        // SAFETY: probing for the shared library has no side effects.
        if !unsafe { sys::is_culib_present() } || result::init().is_err() {
            return 0;
        }
        result::device::get_count().map(|n| n.max(0) as usize).unwrap_or(0)
    })
}

static CURRENT: AtomicUsize = AtomicUsize::new(0);

/// Device-to-host copies so far (every one synchronizes): tests hold hot
/// loops to the copies they ask for.
static DEVICE_TO_HOST_COPIES: AtomicUsize = AtomicUsize::new(0);

pub fn device_to_host_copies() -> usize {
    DEVICE_TO_HOST_COPIES.load(Ordering::Relaxed)
}

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
    /// Device word that index kernels set on an out-of-range index, and
    /// whether any kernel that may set it ran since the last check.
    error_flag: OnceLock<u64>,
    error_armed: std::sync::atomic::AtomicBool,
    functions: Mutex<HashMap<(&'static str, &'static str), sys::CUfunction>>,
    multiprocessors: OnceLock<usize>,
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
        let (dev, ctx) = if emulator::get().is_some() {
            (0, std::ptr::null_mut())
        } else {
            let dev = result::device::get(ordinal as i32).map_err(driver_err)?;
            // SAFETY: `dev` is a valid device; the primary context lives for the process.
            (dev, unsafe { result::primary_ctx::retain(dev) }.map_err(driver_err)?)
        };
        Ok(Gpu {
            ordinal,
            dev,
            ctx,
            modules: Mutex::new(HashMap::new()),
            functions: Mutex::new(HashMap::new()),
            error_flag: OnceLock::new(),
            error_armed: std::sync::atomic::AtomicBool::new(false),
            multiprocessors: OnceLock::new(),
        })
    }

    /// Makes this device's context current on the calling thread.
    pub(crate) fn bind(&self) -> Result<()> {
        if self.emulator().is_some() {
            return Ok(());
        }
        if result::ctx::get_current().map_err(driver_err)? != Some(self.ctx) {
            // SAFETY: the primary context was retained in `open` and never released.
            unsafe { result::ctx::set_current(self.ctx) }.map_err(driver_err)?;
        }
        Ok(())
    }

    /// The host stand-in driving this device, if it is emulated.
    pub(crate) fn emulator(&self) -> Option<&'static Emulator> {
        emulator::get()
    }

    /// The stream every op of this device is ordered on.
    pub(crate) fn stream(&self) -> sys::CUstream {
        std::ptr::null_mut()
    }

    /// Waits for every queued kernel and copy of this device.
    pub fn synchronize(&self) -> Result<()> {
        if self.emulator().is_none() {
            result::ctx::synchronize().map_err(driver_err)?;
        }
        self.check_errors()
    }

    /// The device error word for a kernel about to be launched (allocated
    /// zeroed on first use); arms the check at the next synchronization.
    pub(crate) fn error_flag(&self) -> Result<u64> {
        let p = match self.error_flag.get() {
            Some(&p) => p,
            None => {
                let p = self.malloc(4)?.ok_or_else(|| Error::runtime("CUDA out of memory (error flag)"))?;
                // SAFETY: 4 fresh device bytes.
                unsafe { self.copy_to_device(p, &[0u8; 4]) }?;
                *self.error_flag.get_or_init(|| p)
            }
        };
        self.error_armed.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(p)
    }

    /// Raises (once) what a kernel reported through the error word; callers
    /// have synchronized, so every kernel that could set it has finished.
    pub(crate) fn check_errors(&self) -> Result<()> {
        if !self.error_armed.swap(false, std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        let Some(&p) = self.error_flag.get() else { return Ok(()) };
        let mut word = [0u8; 4];
        // SAFETY: the flag is 4 device bytes owned by this device.
        unsafe { self.copy_to_host(&mut word, p) }?;
        if word == [0; 4] {
            return Ok(());
        }
        unsafe { self.copy_to_device(p, &[0u8; 4]) }?;
        Err(Error::runtime(
            "CUDA error: device-side assert triggered: an index was out of bounds (index >= size or index < -size) in an indexing op (gather/scatter/index_select/index_add/index/index_put_), or masked_scatter's source had fewer elements than the mask has true ones",
        ))
    }

    pub fn name(&self) -> Result<String> {
        if self.emulator().is_some() {
            return Ok("ferrotorch CUDA emulator (host)".into());
        }
        result::device::get_name(self.dev).map_err(driver_err)
    }

    pub fn total_memory(&self) -> Result<usize> {
        if self.emulator().is_some() {
            return Ok(emulator::TOTAL_MEMORY);
        }
        // SAFETY: valid device handle.
        unsafe { result::device::total_mem(self.dev) }.map_err(driver_err)
    }

    /// Free device memory in bytes (as `cuMemGetInfo`).
    pub fn free_memory(&self) -> Result<usize> {
        if self.emulator().is_some() {
            return Ok(emulator::TOTAL_MEMORY - super::alloc::memory_stats(self.ordinal).reserved);
        }
        result::mem_get_info().map(|(free, _)| free).map_err(driver_err)
    }

    pub fn attribute(&self, a: sys::CUdevice_attribute) -> Result<i32> {
        if self.emulator().is_some() {
            // one "multiprocessor"; capability 7.0 says no TF32 (its GEMM is the CPU's)
            use sys::CUdevice_attribute::*;
            return Ok(match a {
                CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR => 7,
                CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT => 1,
                _ => 0,
            });
        }
        // SAFETY: valid device handle.
        unsafe { result::device::get_attribute(self.dev, a) }.map_err(driver_err)
    }

    /// Streaming multiprocessors (cached): kernels size their grids by it.
    pub(crate) fn multiprocessors(&self) -> usize {
        *self.multiprocessors.get_or_init(|| {
            self.attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
                .map_or(1, |n| n.max(1) as usize)
        })
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
        if self.emulator().is_some() {
            return Ok("00000000-0000-0000-0000-000000000000".into());
        }
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
        if let Some(e) = self.emulator() {
            let f = e.function(name)? as sys::CUfunction;
            self.functions.lock().unwrap().insert((module, name), f);
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
        if let Some(e) = self.emulator() {
            // SAFETY: as below.
            unsafe { e.launch(f as *mut c_void, grid, block, args) };
            return Ok(());
        }
        // SAFETY: the caller passes exactly the kernel's parameters.
        unsafe { result::launch_kernel(f, (grid, 1, 1), (block, 1, 1), 0, self.stream(), args) }
            .map_err(driver_err)
    }

    /// `size` bytes of device memory; None when the device is out of memory.
    pub(crate) fn malloc(&self, size: usize) -> Result<Option<u64>> {
        if let Some(e) = self.emulator() {
            return Ok(e.malloc(size));
        }
        // SAFETY: plain allocation in this device's (current) context.
        match unsafe { result::malloc_sync(size) } {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.0 == sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY => Ok(None),
            Err(e) => Err(driver_err(e)),
        }
    }

    /// Returns memory from `malloc`; waits for queued work that may use it.
    ///
    /// # Safety
    /// No tensor may refer to `ptr` any more.
    pub(crate) unsafe fn free(&self, ptr: u64) -> Result<()> {
        if let Some(e) = self.emulator() {
            e.free(ptr);
            return Ok(());
        }
        result::free_sync(ptr).map_err(driver_err)
    }

    /// Copies `host` to device address `dst` (ordered after queued work).
    ///
    /// # Safety
    /// `dst` must address `host.len()` writable device bytes.
    pub(crate) unsafe fn copy_to_device(&self, dst: u64, host: &[u8]) -> Result<()> {
        if self.emulator().is_some() {
            std::ptr::copy_nonoverlapping(host.as_ptr(), dst as *mut u8, host.len());
            return Ok(());
        }
        result::memcpy_htod_sync(dst, host).map_err(driver_err)
    }

    /// Copies device address `src` into `host`, after all queued work.
    ///
    /// # Safety
    /// `src` must address `host.len()` readable device bytes.
    pub(crate) unsafe fn copy_to_host(&self, host: &mut [u8], src: u64) -> Result<()> {
        DEVICE_TO_HOST_COPIES.fetch_add(1, Ordering::Relaxed);
        if self.emulator().is_some() {
            std::ptr::copy_nonoverlapping(src as *const u8, host.as_mut_ptr(), host.len());
            return Ok(());
        }
        result::memcpy_dtoh_sync(host, src).map_err(driver_err)
    }
}

/// Pointer to a kernel parameter, as `Gpu::launch` takes them.
pub(crate) fn arg<T>(v: &T) -> *mut c_void {
    v as *const T as *mut c_void
}

/// A CUDA event (`torch.cuda.Event`).
pub struct Event {
    ev: sys::CUevent, // null on the emulator, which timestamps on the host
    device: usize,
    host_time: Mutex<Option<std::time::Instant>>,
}
// SAFETY: an event handle may be used from any thread of the process.
unsafe impl Send for Event {}
unsafe impl Sync for Event {}

impl Event {
    pub fn new(device: usize, enable_timing: bool) -> Result<Event> {
        let g = gpu(device)?;
        let ev = if g.emulator().is_some() {
            std::ptr::null_mut()
        } else if enable_timing {
            result::event::create(sys::CUevent_flags::CU_EVENT_DEFAULT).map_err(driver_err)?
        } else {
            result::event::create(sys::CUevent_flags::CU_EVENT_DISABLE_TIMING).map_err(driver_err)?
        };
        Ok(Event { ev, device, host_time: Mutex::new(None) })
    }
    pub fn record(&self) -> Result<()> {
        let g = gpu(self.device)?;
        if g.emulator().is_some() {
            *self.host_time.lock().unwrap() = Some(std::time::Instant::now());
            return Ok(());
        }
        // SAFETY: live event and stream of the same context.
        unsafe { result::event::record(self.ev, g.stream()) }.map_err(driver_err)
    }
    pub fn synchronize(&self) -> Result<()> {
        if gpu(self.device)?.emulator().is_some() {
            return Ok(());
        }
        // SAFETY: live event.
        unsafe { result::event::synchronize(self.ev) }.map_err(driver_err)
    }
    /// Whether all work before the last `record` has finished.
    pub fn query(&self) -> Result<bool> {
        if gpu(self.device)?.emulator().is_some() {
            return Ok(true);
        }
        // SAFETY: live event.
        match unsafe { result::event::query(self.ev) } {
            Ok(()) => Ok(true),
            Err(e) if e.0 == sys::CUresult::CUDA_ERROR_NOT_READY => Ok(false),
            Err(e) => Err(driver_err(e)),
        }
    }
    /// Milliseconds from this event to `end` (both recorded and complete).
    pub fn elapsed_time(&self, end: &Event) -> Result<f32> {
        if gpu(self.device)?.emulator().is_some() {
            let (a, b) = (*self.host_time.lock().unwrap(), *end.host_time.lock().unwrap());
            return match (a, b) {
                (Some(a), Some(b)) => Ok(b.saturating_duration_since(a).as_secs_f32() * 1e3),
                _ => Err(Error::runtime("CUDA error: device not ready (both events must be recorded)")),
            };
        }
        // SAFETY: live events.
        unsafe { result::event::elapsed(self.ev, end.ev) }.map_err(driver_err)
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        if !self.ev.is_null() {
            // SAFETY: destroying a live event; errors at teardown are ignored.
            let _ = unsafe { result::event::destroy(self.ev) };
        }
    }
}
