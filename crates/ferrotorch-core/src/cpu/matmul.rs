//! Matrix multiply on the `gemm` crate (f32/f64/f16), strided operands without copies.

use super::SendPtr;
use crate::{Element, Tensor};
use gemm::Parallelism;

/// Below this many multiply-adds a product runs single-threaded.
const PAR_FLOPS: usize = 1 << 18;

/// out[b] = a[b] @ b[b] for 3-D strided views `a` [B, m, k], `b` [B, k, n];
/// returns a new contiguous [B, m, n] tensor.
pub fn bmm<T: Element>(a: &Tensor, b: &Tensor) -> Tensor {
    let (bs, m, k) = (a.shape()[0], a.shape()[1], a.shape()[2]);
    let n = b.shape()[2];
    let mut out: Vec<T> = vec![T::default(); bs * m * n];
    let po = SendPtr(out.as_mut_ptr());
    let (pa, pb) = (
        SendPtr(unsafe { a.ptr::<T>() }),
        SendPtr(unsafe { b.ptr::<T>() }),
    );
    let (sa, sb) = (a.strides().to_vec(), b.strides().to_vec());
    let flops = m * n * k;
    let threads = crate::iter::threads();
    let one = |i: usize, par: Parallelism| unsafe {
        let dst = po.get().add(i * m * n);
        let lhs = pa.get().offset(i as isize * sa[0]);
        let rhs = pb.get().offset(i as isize * sb[0]);
        if k == 0 {
            return; // out is already zero
        }
        gemm_one::<T>(m, n, k, dst, lhs, sa[2], sa[1], rhs, sb[2], sb[1], par);
    };
    if threads > 1 && bs > 1 && flops < PAR_FLOPS * 4 && bs * flops >= PAR_FLOPS {
        use rayon::prelude::*;
        (0..bs)
            .into_par_iter()
            .for_each(|i| one(i, Parallelism::None));
    } else {
        let par = if flops >= PAR_FLOPS && threads > 1 {
            Parallelism::Rayon(threads)
        } else {
            Parallelism::None
        };
        for i in 0..bs {
            one(i, par);
        }
    }
    Tensor::from_vec_unchecked(out, &[bs, m, n])
}

/// dst (contiguous m x n) = lhs @ rhs. `*_cs`/`*_rs` are column/row strides.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_one<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    lhs: *const T,
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: *const T,
    rhs_cs: isize,
    rhs_rs: isize,
    par: Parallelism,
) {
    use std::any::TypeId;
    let id = TypeId::of::<T>();
    macro_rules! call {
        ($t:ty, $zero:expr, $one:expr) => {
            gemm::gemm::<$t>(
                m,
                n,
                k,
                dst as *mut $t,
                1,
                n as isize,
                false,
                lhs as *const $t,
                lhs_cs,
                lhs_rs,
                rhs as *const $t,
                rhs_cs,
                rhs_rs,
                $zero,
                $one,
                false,
                false,
                false,
                par,
            )
        };
    }
    if id == TypeId::of::<f32>() {
        call!(f32, 0.0, 1.0)
    } else if id == TypeId::of::<f64>() {
        call!(f64, 0.0, 1.0)
    } else if id == TypeId::of::<half::f16>() {
        call!(half::f16, half::f16::ZERO, half::f16::ONE)
    } else {
        // integers: plain loops with wrapping arithmetic (i64 accumulator)
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0i64;
                for p in 0..k {
                    let x = (*lhs.offset(i as isize * lhs_rs + p as isize * lhs_cs)).to_i64();
                    let y = (*rhs.offset(p as isize * rhs_rs + j as isize * rhs_cs)).to_i64();
                    acc = acc.wrapping_add(x.wrapping_mul(y));
                }
                *dst.add(i * n + j) = T::from_i64(acc);
            }
        }
    }
}
