//! CPU kernels. Ops in `crate::ops` validate and promote, then call these.

pub mod map;
pub mod matmul;
pub mod reduce;

/// A raw pointer that may cross into rayon tasks. Tasks write disjoint ranges.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(pub *mut T);
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// Method access makes closures capture the whole (Send) wrapper.
    #[inline(always)]
    pub fn get(self) -> *mut T {
        self.0
    }
}
