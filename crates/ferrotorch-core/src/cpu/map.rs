//! Elementwise maps over strided, broadcast operands. Outputs are fresh
//! contiguous tensors, or an existing strided destination for `assign`.

use super::SendPtr;
use crate::iter::{coalesce, for_each_row, parallel_ranges};
use crate::{Element, Tensor};

/// Strides of `t` viewed as broadcast to `shape` (0 on broadcast dims).
pub fn broadcast_strides(t: &Tensor, shape: &[usize]) -> Vec<isize> {
    let lead = shape.len() - t.ndim();
    (0..shape.len())
        .map(|i| {
            if i < lead || t.shape()[i - lead] != shape[i] {
                0
            } else {
                t.strides()[i - lead]
            }
        })
        .collect()
}

/// New contiguous tensor of `shape`: out[i] = f(a[i]).
pub fn map1<A: Element, R: Element>(a: &Tensor, f: impl Fn(A) -> R + Sync) -> Tensor {
    let shape = a.shape().to_vec();
    let n = a.numel();
    let (out, o) = Tensor::uninit::<R>(&shape);
    let o = SendPtr(o);
    let pa = SendPtr(unsafe { a.ptr::<A>() });
    if a.is_contiguous() {
        parallel_ranges(n, |s, e| unsafe {
            let src = std::slice::from_raw_parts(pa.get().add(s), e - s);
            let dst = std::slice::from_raw_parts_mut(o.get().add(s), e - s);
            for (d, &x) in dst.iter_mut().zip(src) {
                *d = f(x);
            }
        });
    } else {
        let ostr = crate::layout::contiguous_strides(&shape);
        let (cs, st) = coalesce(&shape, [&ostr, a.strides()]);
        parallel_ranges(n, |s, e| {
            for_each_row(&cs, &st, s, e, |off, len, ist| unsafe {
                let (po, pa) = (o.get().offset(off[0]), pa.get().offset(off[1]));
                for j in 0..len as isize {
                    *po.offset(j) = f(*pa.offset(j * ist[1]));
                }
            })
        });
    }
    out
}

/// New contiguous tensor of `shape` (the broadcast shape): out = f(a, b).
pub fn map2<A: Element, B: Element, R: Element>(
    a: &Tensor,
    b: &Tensor,
    shape: &[usize],
    f: impl Fn(A, B) -> R + Sync,
) -> Tensor {
    let n: usize = shape.iter().product();
    let (out, o) = Tensor::uninit::<R>(shape);
    let o = SendPtr(o);
    let (pa, pb) = (
        SendPtr(unsafe { a.ptr::<A>() }),
        SendPtr(unsafe { b.ptr::<B>() }),
    );
    let same = a.shape() == shape && b.shape() == shape;
    if same && a.is_contiguous() && b.is_contiguous() {
        parallel_ranges(n, |s, e| unsafe {
            let x = std::slice::from_raw_parts(pa.get().add(s), e - s);
            let y = std::slice::from_raw_parts(pb.get().add(s), e - s);
            let dst = std::slice::from_raw_parts_mut(o.get().add(s), e - s);
            for ((d, &x), &y) in dst.iter_mut().zip(x).zip(y) {
                *d = f(x, y);
            }
        });
    } else if b.numel() == 1 && a.is_contiguous() && a.shape() == shape {
        // tensor op scalar: the most common broadcast
        let y = unsafe { *pb.0 };
        parallel_ranges(n, |s, e| unsafe {
            let x = std::slice::from_raw_parts(pa.get().add(s), e - s);
            let dst = std::slice::from_raw_parts_mut(o.get().add(s), e - s);
            for (d, &x) in dst.iter_mut().zip(x) {
                *d = f(x, y);
            }
        });
    } else {
        let ostr = crate::layout::contiguous_strides(shape);
        let (sa, sb) = (broadcast_strides(a, shape), broadcast_strides(b, shape));
        let (cs, st) = coalesce(shape, [&ostr, &sa, &sb]);
        parallel_ranges(n, |s, e| {
            for_each_row(&cs, &st, s, e, |off, len, ist| unsafe {
                let (po, pa, pb) = (
                    o.get().offset(off[0]),
                    pa.get().offset(off[1]),
                    pb.get().offset(off[2]),
                );
                for j in 0..len as isize {
                    *po.offset(j) = f(*pa.offset(j * ist[1]), *pb.offset(j * ist[2]));
                }
            })
        });
    }
    out
}

/// New contiguous tensor of `shape`: out = f(a, b, c) with broadcasting.
pub fn map3<A: Element, B: Element, C: Element, R: Element>(
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    shape: &[usize],
    f: impl Fn(A, B, C) -> R + Sync,
) -> Tensor {
    let n: usize = shape.iter().product();
    let (out, o) = Tensor::uninit::<R>(shape);
    let o = SendPtr(o);
    let (pa, pb, pc) = (
        SendPtr(unsafe { a.ptr::<A>() }),
        SendPtr(unsafe { b.ptr::<B>() }),
        SendPtr(unsafe { c.ptr::<C>() }),
    );
    let ostr = crate::layout::contiguous_strides(shape);
    let (sa, sb, sc) = (
        broadcast_strides(a, shape),
        broadcast_strides(b, shape),
        broadcast_strides(c, shape),
    );
    let (cs, st) = coalesce(shape, [&ostr, &sa, &sb, &sc]);
    parallel_ranges(n, |s, e| {
        for_each_row(&cs, &st, s, e, |off, len, ist| unsafe {
            let (po, pa, pb, pc) = (
                o.get().offset(off[0]),
                pa.get().offset(off[1]),
                pb.get().offset(off[2]),
                pc.get().offset(off[3]),
            );
            for j in 0..len as isize {
                *po.offset(j) = f(
                    *pa.offset(j * ist[1]),
                    *pb.offset(j * ist[2]),
                    *pc.offset(j * ist[3]),
                );
            }
        })
    });
    out
}

/// Writes f(src) into the (possibly strided) `dst`; `src` broadcasts to dst's shape.
/// The caller guarantees `src` does not partially overlap `dst`.
pub fn assign<S: Element, D: Element>(dst: &Tensor, src: &Tensor, f: impl Fn(S) -> D + Sync) {
    let shape = dst.shape().to_vec();
    let n = dst.numel();
    let pd = SendPtr(unsafe { dst.ptr::<D>() });
    let ps = SendPtr(unsafe { src.ptr::<S>() });
    let ss = broadcast_strides(src, &shape);
    let (cs, st) = coalesce(&shape, [dst.strides(), &ss]);
    parallel_ranges(n, |s, e| {
        for_each_row(&cs, &st, s, e, |off, len, ist| unsafe {
            let (pd, ps) = (pd.get().offset(off[0]), ps.get().offset(off[1]));
            if ist[0] == 1 && ist[1] == 1 {
                let dst = std::slice::from_raw_parts_mut(pd, len);
                let src = std::slice::from_raw_parts(ps, len);
                for (d, &x) in dst.iter_mut().zip(src) {
                    *d = f(x);
                }
            } else {
                for j in 0..len as isize {
                    *pd.offset(j * ist[0]) = f(*ps.offset(j * ist[1]));
                }
            }
        })
    });
}

/// Visits every element of `a` in row-major order (single thread).
pub fn for_each<A: Element>(a: &Tensor, mut f: impl FnMut(A)) {
    let shape = a.shape().to_vec();
    let n = a.numel();
    let pa = unsafe { a.ptr::<A>() };
    let (cs, st) = coalesce(&shape, [a.strides()]);
    for_each_row(&cs, &st, 0, n, |off, len, ist| unsafe {
        let p = pa.offset(off[0]);
        for j in 0..len as isize {
            f(*p.offset(j * ist[0]));
        }
    });
}
