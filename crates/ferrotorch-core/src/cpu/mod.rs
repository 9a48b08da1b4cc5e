//! CPU kernels. Ops in `crate::ops` validate and promote, then call these.

pub mod conv;
pub mod map;
pub mod matmul;
pub mod pool;
pub mod reduce;
mod winograd;

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

/// Runs `f(i)` for every i in 0..n, on rayon's pool when `par` (callers
/// decide from the work size and `iter::parallel()`).
pub(crate) fn for_each_index(n: usize, par: bool, f: impl Fn(usize) + Sync + Send) {
    use rayon::prelude::*;
    if par {
        (0..n).into_par_iter().for_each(f);
    } else {
        (0..n).for_each(f);
    }
}

/// Native float math for the fused float kernels (softmax, conv, pooling):
/// f32 stays f32, which halves the work of going through f64.
pub trait Real:
    crate::Element
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::AddAssign
{
    const NEG_INF: Self;
    const ZERO: Self;
    const ONE: Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn is_nan(self) -> bool;
}
macro_rules! real {
    ($($t:ty),*) => {$(
        impl Real for $t {
            const NEG_INF: Self = <$t>::NEG_INFINITY;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)] fn exp(self) -> Self { <$t>::exp(self) }
            #[inline(always)] fn ln(self) -> Self { <$t>::ln(self) }
            #[inline(always)] fn is_nan(self) -> bool { <$t>::is_nan(self) }
        }
    )*};
}
real!(f32, f64);
