//! Reduction engine: any set of dims, strided input, optional parallelism.

use super::SendPtr;
use crate::iter::{coalesce, for_each_row, PARALLEL_THRESHOLD};
use crate::{Element, Tensor};

/// A fold over the elements of one output position.
pub trait Reducer<T: Element>: Sync {
    type Acc: Copy + Send;
    type Out: Element;
    fn init(&self) -> Self::Acc;
    /// Folds `len` elements at `p` with stride `st`; `base` is the linear index of the first.
    ///
    /// # Safety
    /// `p` must be valid for `len` strided reads.
    unsafe fn fold(
        &self,
        acc: Self::Acc,
        p: *const T,
        len: usize,
        st: isize,
        base: usize,
    ) -> Self::Acc;
    fn combine(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    fn finish(&self, acc: Self::Acc, count: usize) -> Self::Out;
}

/// Reduces `t` over `dims` (sorted, unique, non-empty allowed to be all dims).
/// Returns a contiguous tensor shaped like `t` without the reduced dims.
pub fn reduce<T: Element, R: Reducer<T>>(t: &Tensor, dims: &[usize], r: &R) -> Tensor {
    let nd = t.ndim();
    let kept: Vec<usize> = (0..nd).filter(|d| !dims.contains(d)).collect();
    let out_shape: Vec<usize> = kept.iter().map(|&d| t.shape()[d]).collect();
    let red_shape: Vec<usize> = dims.iter().map(|&d| t.shape()[d]).collect();
    let red_strides: Vec<isize> = dims.iter().map(|&d| t.strides()[d]).collect();
    let kept_strides: Vec<isize> = kept.iter().map(|&d| t.strides()[d]).collect();
    let m: usize = out_shape.iter().product();
    let count: usize = red_shape.iter().product();
    let (rs, rst) = coalesce(&red_shape, [&red_strides]);
    let base = unsafe { t.ptr::<T>() } as *const T;
    let base = SendPtr(base as *mut T);

    // Folds the reduced sub-range [s, e) starting at element offset `off`.
    let fold_range = |off: isize, s: usize, e: usize| -> R::Acc {
        let mut acc = r.init();
        let mut lin = s;
        for_each_row(&rs, &rst, s, e, |o, len, ist| unsafe {
            acc = r.fold(acc, base.get().offset(off + o[0]), len, ist[0], lin);
            lin += len;
        });
        acc
    };

    let mut out: Vec<R::Out> = Vec::with_capacity(m);
    let po = SendPtr(out.as_mut_ptr());
    let out_offset = |i: usize| -> isize {
        let mut rem = i;
        let mut off = 0isize;
        for d in (0..out_shape.len()).rev() {
            off += (rem % out_shape[d]) as isize * kept_strides[d];
            rem /= out_shape[d];
        }
        off
    };
    let threads = crate::iter::threads();
    if m * count < PARALLEL_THRESHOLD || threads == 1 {
        for i in 0..m {
            let acc = fold_range(out_offset(i), 0, count);
            unsafe { *po.get().add(i) = r.finish(acc, count) };
        }
    } else if m >= threads * 4 {
        use rayon::prelude::*;
        (0..m)
            .into_par_iter()
            .with_min_len((PARALLEL_THRESHOLD / count.max(1)).max(1))
            .for_each(|i| {
                let acc = fold_range(out_offset(i), 0, count);
                unsafe { *po.get().add(i) = r.finish(acc, count) };
            });
    } else {
        // few outputs: split each reduction across threads and combine partials
        use rayon::prelude::*;
        let chunks = threads * 4;
        let size = count.div_ceil(chunks);
        for i in 0..m {
            let off = out_offset(i);
            let acc = (0..chunks)
                .into_par_iter()
                .map(|c| fold_range(off, c * size, ((c + 1) * size).min(count)))
                .reduce(|| r.init(), |a, b| r.combine(a, b));
            unsafe { *po.get().add(i) = r.finish(acc, count) };
        }
    }
    unsafe { out.set_len(m) };
    Tensor::from_vec_unchecked(out, &out_shape)
}

/// Sum with a wide accumulator; contiguous runs go through `lanes_sum`.
pub struct Sum;

/// LANES independent native-type accumulators hide the add latency and
/// vectorise; each 4096-element block is then added in the wide type.
macro_rules! lanes_sum_body {
    ($s:expr, $lane:ty, $acc:ty) => {{
        const LANES: usize = 32;
        let mut total = 0 as $acc;
        for block in $s.chunks(4096) {
            let mut lanes = [0 as $lane; LANES];
            let mut it = block.chunks_exact(LANES);
            for c in &mut it {
                for k in 0..LANES {
                    lanes[k] += c[k] as $lane;
                }
            }
            let mut b = 0 as $acc;
            for &x in it.remainder() {
                b += x as $acc;
            }
            for k in 0..LANES {
                b += lanes[k] as $acc;
            }
            total += b;
        }
        total
    }};
}

/// f32 slice sum, compiled twice: baseline x86-64 and AVX2, chosen at run time
/// (wheels target the baseline; most machines have AVX2).
fn lanes_sum_f32(s: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(s: &[f32]) -> f64 {
            lanes_sum_body!(s, f32, f64)
        }
        if std::is_x86_feature_detected!("avx2") {
            return unsafe { avx2(s) };
        }
    }
    lanes_sum_body!(s, f32, f64)
}
fn lanes_sum_f64(s: &[f64]) -> f64 {
    lanes_sum_body!(s, f64, f64)
}
fn lanes_sum_i64(s: &[i64]) -> i64 {
    s.iter().fold(0i64, |a, &x| a.wrapping_add(x))
}

macro_rules! sum_impl {
    ($t:ty, $acc:ty, $contig:ident) => {
        impl Reducer<$t> for Sum {
            type Acc = $acc;
            type Out = $t;
            fn init(&self) -> $acc {
                0 as $acc
            }
            #[inline]
            unsafe fn fold(
                &self,
                acc: $acc,
                p: *const $t,
                len: usize,
                st: isize,
                _: usize,
            ) -> $acc {
                if st == 1 {
                    acc.wrapping_add_or_add($contig(std::slice::from_raw_parts(p, len)))
                } else {
                    let mut a = acc;
                    for j in 0..len as isize {
                        a = a.wrapping_add_or_add(*p.offset(j * st) as $acc);
                    }
                    a
                }
            }
            fn combine(&self, a: $acc, b: $acc) -> $acc {
                a.wrapping_add_or_add(b)
            }
            fn finish(&self, acc: $acc, _: usize) -> $t {
                acc as $t
            }
        }
    };
}

/// Integer sums wrap (PyTorch semantics, no overflow panic); floats add.
trait AddAcc {
    fn wrapping_add_or_add(self, o: Self) -> Self;
}
impl AddAcc for f64 {
    #[inline(always)]
    fn wrapping_add_or_add(self, o: f64) -> f64 {
        self + o
    }
}
impl AddAcc for i64 {
    #[inline(always)]
    fn wrapping_add_or_add(self, o: i64) -> i64 {
        self.wrapping_add(o)
    }
}
sum_impl!(f32, f64, lanes_sum_f32);
sum_impl!(f64, f64, lanes_sum_f64);
sum_impl!(i64, i64, lanes_sum_i64);

/// Product, accumulated in f64 (floats) or wrapping i64 (integers).
pub struct Prod;
impl<T: Element> Reducer<T> for Prod {
    type Acc = f64;
    type Out = f64;
    fn init(&self) -> f64 {
        1.0
    }
    unsafe fn fold(&self, acc: f64, p: *const T, len: usize, st: isize, _: usize) -> f64 {
        let mut a = acc;
        for j in 0..len as isize {
            a *= (*p.offset(j * st)).to_f64();
        }
        a
    }
    fn combine(&self, a: f64, b: f64) -> f64 {
        a * b
    }
    fn finish(&self, acc: f64, _: usize) -> f64 {
        acc
    }
}

/// Integer product with wrap-around, like PyTorch's int64 accumulation.
pub struct IntProd;
impl<T: Element> Reducer<T> for IntProd {
    type Acc = i64;
    type Out = i64;
    fn init(&self) -> i64 {
        1
    }
    unsafe fn fold(&self, acc: i64, p: *const T, len: usize, st: isize, _: usize) -> i64 {
        let mut a = acc;
        for j in 0..len as isize {
            a = a.wrapping_mul((*p.offset(j * st)).to_i64());
        }
        a
    }
    fn combine(&self, a: i64, b: i64) -> i64 {
        a.wrapping_mul(b)
    }
    fn finish(&self, acc: i64, _: usize) -> i64 {
        acc
    }
}

/// Max or min with the index of its first occurrence; NaN wins (propagates).
pub struct ArgExt {
    pub max: bool,
}
impl<T: Element> Reducer<T> for ArgExt {
    type Acc = (T, usize, bool); // (value, index, seen)
    type Out = i64;
    fn init(&self) -> Self::Acc {
        (T::default(), 0, false)
    }
    unsafe fn fold(
        &self,
        acc: Self::Acc,
        p: *const T,
        len: usize,
        st: isize,
        base: usize,
    ) -> Self::Acc {
        let (mut v, mut i, mut seen) = acc;
        for j in 0..len {
            let x = *p.offset(j as isize * st);
            let x_nan = x != x;
            if !seen {
                (v, i, seen) = (x, base + j, true);
                continue;
            }
            let v_nan = v != v;
            if v_nan {
                break;
            }
            if x_nan || (self.max && x > v) || (!self.max && x < v) {
                v = x;
                i = base + j;
            }
        }
        (v, i, seen)
    }
    fn combine(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        if !a.2 {
            return b;
        }
        if !b.2 {
            return a;
        }
        let (a_nan, b_nan) = (a.0 != a.0, b.0 != b.0);
        if a_nan {
            return a;
        }
        if b_nan || (self.max && b.0 > a.0) || (!self.max && b.0 < a.0) {
            return b;
        }
        a
    }
    fn finish(&self, acc: Self::Acc, _: usize) -> i64 {
        acc.1 as i64
    }
}

/// all()/any() over truthiness.
pub struct Truth {
    pub all: bool,
}
impl<T: Element> Reducer<T> for Truth {
    type Acc = bool;
    type Out = bool;
    fn init(&self) -> bool {
        self.all
    }
    unsafe fn fold(&self, acc: bool, p: *const T, len: usize, st: isize, _: usize) -> bool {
        let mut a = acc;
        for j in 0..len as isize {
            let t = !(*p.offset(j * st)).is_zero();
            a = if self.all { a && t } else { a || t };
        }
        a
    }
    fn combine(&self, a: bool, b: bool) -> bool {
        if self.all {
            a && b
        } else {
            a || b
        }
    }
    fn finish(&self, acc: bool, _: usize) -> bool {
        acc
    }
}

/// The extreme value itself (same NaN rules as `ArgExt`).
pub struct ExtValue(pub ArgExt);
impl<T: Element> Reducer<T> for ExtValue {
    type Acc = (T, usize, bool);
    type Out = T;
    fn init(&self) -> Self::Acc {
        <ArgExt as Reducer<T>>::init(&self.0)
    }
    unsafe fn fold(
        &self,
        acc: Self::Acc,
        p: *const T,
        len: usize,
        st: isize,
        base: usize,
    ) -> Self::Acc {
        self.0.fold(acc, p, len, st, base)
    }
    fn combine(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        <ArgExt as Reducer<T>>::combine(&self.0, a, b)
    }
    fn finish(&self, acc: Self::Acc, _: usize) -> T {
        acc.0
    }
}

/// Sum over the middle dim of a contiguous [outer, red, inner] buffer
/// ("reduce over leading dims", e.g. `sum(0)` of a matrix): whole rows are
/// added into a wide accumulator, so memory is read sequentially. Returns [outer, inner].
pub trait OuterSum: Element {
    type Acc: Copy + Send + Default + std::ops::AddAssign;
    fn widen(self) -> Self::Acc;
    fn narrow(a: Self::Acc) -> Self;
}
impl OuterSum for f32 {
    type Acc = f64;
    #[inline(always)]
    fn widen(self) -> f64 {
        self as f64
    }
    fn narrow(a: f64) -> f32 {
        a as f32
    }
}
impl OuterSum for f64 {
    type Acc = f64;
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
    fn narrow(a: f64) -> f64 {
        a
    }
}
impl OuterSum for i64 {
    type Acc = std::num::Wrapping<i64>;
    #[inline(always)]
    fn widen(self) -> Self::Acc {
        std::num::Wrapping(self)
    }
    fn narrow(a: Self::Acc) -> i64 {
        a.0
    }
}

pub fn sum_outer<T: OuterSum>(t: &Tensor, outer: usize, red: usize, inner: usize) -> Tensor {
    const COLS: usize = 1024; // accumulator chunk stays in L1
    let (out, po) = Tensor::uninit::<T>(&[outer, inner]);
    let (po, px) = (SendPtr(po), SendPtr(unsafe { t.ptr::<T>() }));
    let col_chunks = inner.div_ceil(COLS);
    let job = |task: usize| {
        let (o, c) = (task / col_chunks, task % col_chunks);
        let (c0, len) = (c * COLS, COLS.min(inner - c * COLS));
        let mut acc = [T::Acc::default(); COLS];
        for r in 0..red {
            let row = unsafe {
                std::slice::from_raw_parts(px.get().add((o * red + r) * inner + c0), len)
            };
            for (a, &x) in acc.iter_mut().zip(row) {
                *a += x.widen();
            }
        }
        let dst = unsafe { std::slice::from_raw_parts_mut(po.get().add(o * inner + c0), len) };
        for (d, &a) in dst.iter_mut().zip(acc.iter()) {
            *d = T::narrow(a);
        }
    };
    let tasks = outer * col_chunks;
    if outer * red * inner < PARALLEL_THRESHOLD || !crate::iter::parallel() {
        (0..tasks).for_each(job);
    } else {
        use rayon::prelude::*;
        (0..tasks).into_par_iter().for_each(job);
    }
    out
}
