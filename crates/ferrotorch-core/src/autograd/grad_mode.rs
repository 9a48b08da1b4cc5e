//! Thread-local grad mode (`no_grad`, `enable_grad`, `inference_mode`) and
//! the process-wide anomaly-detection switch.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE_MODE: Cell<bool> = const { Cell::new(false) };
}

static ANOMALY: AtomicBool = AtomicBool::new(false);
static ANOMALY_CHECK_NAN: AtomicBool = AtomicBool::new(true);

#[inline]
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets grad mode for this thread; returns the previous mode.
pub fn set_grad_enabled(enabled: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(enabled))
}

pub fn is_inference_mode_enabled() -> bool {
    INFERENCE_MODE.with(|g| g.get())
}

/// Sets inference mode for this thread (which also disables grad); returns the previous mode.
pub fn set_inference_mode(enabled: bool) -> bool {
    INFERENCE_MODE.with(|g| g.replace(enabled))
}

/// Restores the previous grad mode when dropped.
pub struct GradModeGuard(bool);

impl GradModeGuard {
    pub fn new(enabled: bool) -> Self {
        GradModeGuard(set_grad_enabled(enabled))
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.0);
    }
}

/// Runs `f` with gradient recording off.
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _g = GradModeGuard::new(false);
    f()
}

pub fn is_anomaly_enabled() -> bool {
    ANOMALY.load(Ordering::Relaxed)
}

pub fn is_anomaly_check_nan_enabled() -> bool {
    ANOMALY_CHECK_NAN.load(Ordering::Relaxed)
}

pub fn set_anomaly_enabled(enabled: bool, check_nan: bool) {
    ANOMALY.store(enabled, Ordering::Relaxed);
    ANOMALY_CHECK_NAN.store(check_nan, Ordering::Relaxed);
}

/// How anomaly mode captures the stack of the forward call that built a node.
/// The Python binding installs one that formats the Python stack.
static TRACE_PROVIDER: std::sync::OnceLock<fn() -> String> = std::sync::OnceLock::new();

pub fn set_trace_provider(f: fn() -> String) {
    let _ = TRACE_PROVIDER.set(f);
}

pub(crate) fn capture_trace() -> Option<String> {
    if !is_anomaly_enabled() {
        return None;
    }
    Some(
        TRACE_PROVIDER
            .get()
            .map(|f| f())
            .unwrap_or_else(|| std::backtrace::Backtrace::force_capture().to_string()),
    )
}
