//! Reverse-mode automatic differentiation: define-by-run graph recording,
//! an iterative engine, grad modes and the backward formulas of every op.

pub(crate) mod derivatives;
mod engine;
mod grad_mode;
mod gradcheck;
mod meta;
mod node;

pub(crate) use engine::sum_to;
pub use engine::{backward, grad};
pub use grad_mode::{
    is_anomaly_check_nan_enabled, is_anomaly_enabled, is_grad_enabled, is_inference_mode_enabled,
    no_grad, set_anomaly_enabled, set_grad_enabled, set_inference_mode, set_trace_provider,
    GradModeGuard,
};
pub use gradcheck::{gradcheck, gradgradcheck, CheckFn, CheckOptions};
pub use meta::AutogradMeta;
pub use node::{needs_grad, record_function, BackwardFn, Edge, Hook, Node};
pub(crate) use node::{op, record, Save};

/// Early-returns the recorded version of an op when one of the listed
/// tensors needs a grad (grad mode on); otherwise the plain kernel runs.
macro_rules! record_if_needed {
    ([$($t:expr),*], $e:expr) => {
        if $crate::autograd::needs_grad(&[$($t),*]) {
            return $e;
        }
    };
}
pub(crate) use record_if_needed;
