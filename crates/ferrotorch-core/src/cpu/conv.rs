//! 2-D convolution on the tuned GEMM: per sample, im2col then one GEMM per
//! group. Three kernels cover convolution, transposed convolution and both
//! gradients: `forward` (x, w -> y), `input_grad` (the adjoint of `forward`
//! in x, which is also transposed convolution) and `weight_grad` (x, gy -> gw).
//! 1-D convolution runs as 2-D with a height of one. All buffers are
//! contiguous: x [n, c, h, w], weight [o, c/groups, kh, kw], y [n, o, oh, ow].

use super::{Real, SendPtr};
use gemm::Parallelism;
use rayon::prelude::*;

/// Below this many multiply-adds a GEMM runs single-threaded.
const PAR_FLOPS: usize = 1 << 18;

/// Geometry of one convolution. `pad` is the leading padding per spatial
/// dim; trailing padding only shows in `oh`/`ow` (asymmetric 'same' padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kh: usize,
    pub kw: usize,
    pub oh: usize,
    pub ow: usize,
    pub stride: [usize; 2],
    pub pad: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

impl Geom {
    fn cg(&self) -> usize {
        self.c / self.groups
    }
    fn og(&self) -> usize {
        self.o / self.groups
    }
    /// Rows of one group's column matrix (= one output channel's weights).
    fn kg(&self) -> usize {
        self.cg() * self.kh * self.kw
    }
    fn l(&self) -> usize {
        self.oh * self.ow
    }
    pub fn x_len(&self) -> usize {
        self.c * self.h * self.w
    }
    pub fn y_len(&self) -> usize {
        self.o * self.l()
    }
    pub fn w_len(&self) -> usize {
        self.o * self.kg()
    }
    fn cols_len(&self) -> usize {
        self.c * self.kh * self.kw * self.l()
    }
    /// 1x1 kernel, stride 1, no padding: a sample already is its column matrix.
    fn pointwise(&self) -> bool {
        self.kh == 1
            && self.kw == 1
            && self.stride == [1, 1]
            && self.pad == [0, 0]
            && self.oh == self.h
            && self.ow == self.w
    }
    fn flops(&self) -> usize {
        self.o * self.kg() * self.l()
    }
    /// Samples in parallel (each GEMM single-threaded) when there are enough
    /// of them; otherwise one sample at a time with threaded GEMMs.
    fn per_sample_parallel(&self) -> bool {
        let t = crate::iter::threads();
        t > 1 && self.n >= t && self.n * self.flops() >= PAR_FLOPS
    }
    fn gemm_par(&self) -> Parallelism {
        let t = crate::iter::threads();
        if t > 1 && self.flops() >= PAR_FLOPS {
            Parallelism::Rayon(t)
        } else {
            Parallelism::None
        }
    }
    /// Output positions `x` along one dim with `x*s + off` inside `[0, len)`.
    fn valid(off: isize, s: usize, len: usize, out: usize) -> (usize, usize) {
        let s = s as isize;
        let lo = if off >= 0 { 0 } else { (-off + s - 1) / s };
        let hi = (len as isize - off + s - 1).div_euclid(s).max(0);
        let (lo, hi) = ((lo as usize).min(out), (hi as usize).min(out));
        (lo, hi.max(lo))
    }
}

/// Visits every (column row, output row y) pair of channel `ci`: `f(row
/// offset in cols, input row offset or None when the row is padding, the
/// input column offset `joff`, valid output columns lo..hi)`.
#[inline(always)]
fn for_each_row(g: &Geom, ci: usize, mut f: impl FnMut(usize, Option<usize>, isize, usize, usize)) {
    let l = g.l();
    for i in 0..g.kh {
        let ioff = (i * g.dilation[0]) as isize - g.pad[0] as isize;
        for j in 0..g.kw {
            let joff = (j * g.dilation[1]) as isize - g.pad[1] as isize;
            let (lo, hi) = Geom::valid(joff, g.stride[1], g.w, g.ow);
            let row = ((ci * g.kh + i) * g.kw + j) * l;
            for y in 0..g.oh {
                let ih = (y * g.stride[0]) as isize + ioff;
                let src = (ih >= 0 && ih < g.h as isize).then(|| ci * g.h * g.w + ih as usize * g.w);
                f(row + y * g.ow, src, joff, lo, hi);
            }
        }
    }
}

/// Runs `f(channel)` for every input channel, in parallel when asked.
fn channels(c: usize, par: bool, f: impl Fn(usize) + Sync + Send) {
    if par {
        (0..c).into_par_iter().for_each(f);
    } else {
        (0..c).for_each(f);
    }
}

/// cols [c*kh*kw, oh*ow] from one sample x [c, h, w] (padding reads as zero).
unsafe fn im2col<T: Real>(g: &Geom, x: *const T, cols: *mut T, par: bool) {
    let (x, cols) = (SendPtr(x as *mut T), SendPtr(cols));
    let s = g.stride[1];
    channels(g.c, par, |ci| {
        for_each_row(g, ci, |dst, src, joff, lo, hi| unsafe {
            let d = cols.get().add(dst);
            let Some(src) = src else {
                std::ptr::write_bytes(d, 0, g.ow);
                return;
            };
            std::ptr::write_bytes(d, 0, lo);
            std::ptr::write_bytes(d.add(hi), 0, g.ow - hi);
            let sp = x.get().add(src).offset(joff);
            if s == 1 {
                std::ptr::copy_nonoverlapping(sp.add(lo), d.add(lo), hi - lo);
            } else {
                for t in lo..hi {
                    *d.add(t) = *sp.add(t * s);
                }
            }
        })
    });
}

/// x [c, h, w] += the columns folded back (the adjoint of `im2col`).
unsafe fn col2im<T: Real>(g: &Geom, cols: *const T, x: *mut T, par: bool) {
    let (x, cols) = (SendPtr(x), SendPtr(cols as *mut T));
    let s = g.stride[1];
    channels(g.c, par, |ci| {
        for_each_row(g, ci, |src, dst, joff, lo, hi| unsafe {
            let Some(dst) = dst else { return };
            let (sp, dp) = (cols.get().add(src), x.get().add(dst).offset(joff));
            for t in lo..hi {
                *dp.add(t * s) += *sp.add(t);
            }
        })
    });
}

/// dst (rows of stride `dst_rs`) (+)= lhs @ rhs; strides in elements.
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn gemm<T: Real>(
    (m, n, k): (usize, usize, usize),
    dst: *mut T,
    dst_rs: usize,
    acc: bool,
    lhs: *const T,
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: *const T,
    (rhs_rs, rhs_cs): (usize, usize),
    par: Parallelism,
) {
    if k == 0 {
        if !acc {
            for r in 0..m {
                std::ptr::write_bytes(dst.add(r * dst_rs), 0, n);
            }
        }
        return;
    }
    gemm::gemm::<T>(
        m,
        n,
        k,
        dst,
        1,
        dst_rs as isize,
        acc,
        lhs,
        lhs_cs as isize,
        lhs_rs as isize,
        rhs,
        rhs_cs as isize,
        rhs_rs as isize,
        T::ONE,
        T::ONE,
        false,
        false,
        false,
        par,
    )
}

/// Runs `f(sample, scratch, gemm parallelism, channel parallelism)` for each sample.
fn each_sample<T: Real>(g: &Geom, f: impl Fn(usize, &mut Vec<T>, Parallelism, bool) + Sync + Send) {
    let scratch = || vec![T::ZERO; if g.pointwise() { 0 } else { g.cols_len() }];
    if g.per_sample_parallel() {
        (0..g.n).into_par_iter().for_each_init(scratch, |buf, s| f(s, buf, Parallelism::None, false));
    } else {
        let mut buf = scratch();
        let par = g.gemm_par();
        let chan_par = !matches!(par, Parallelism::None);
        for s in 0..g.n {
            f(s, &mut buf, par, chan_par);
        }
    }
}

/// y = conv(x, w) (+ bias per output channel).
pub fn forward<T: Real>(g: &Geom, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    let mut y = vec![T::ZERO; g.n * g.y_len()];
    let (xp, wp, yp) = (SendPtr(x.as_ptr() as *mut T), SendPtr(w.as_ptr() as *mut T), SendPtr(y.as_mut_ptr()));
    let (og, kg, l) = (g.og(), g.kg(), g.l());
    each_sample::<T>(g, |s, buf, par, chan_par| unsafe {
        let xs = xp.get().add(s * g.x_len());
        let cols: *const T = if g.pointwise() {
            xs
        } else {
            im2col(g, xs, buf.as_mut_ptr(), chan_par);
            buf.as_ptr()
        };
        let ys = yp.get().add(s * g.y_len());
        for grp in 0..g.groups {
            let lhs = wp.get().add(grp * og * kg);
            let rhs = cols.add(grp * kg * l);
            gemm((og, l, kg), ys.add(grp * og * l), l, false, lhs, (kg, 1), rhs, (l, 1), par);
        }
        if let Some(b) = bias {
            for (o, &bo) in b.iter().enumerate() {
                std::slice::from_raw_parts_mut(ys.add(o * l), l).iter_mut().for_each(|v| *v += bo);
            }
        }
    });
    y
}

/// gx = the adjoint of `forward` in x applied to gy [n, o, oh, ow]; with the
/// weight read as [c_in, c_out/groups, kh, kw] this is transposed convolution.
pub fn input_grad<T: Real>(g: &Geom, gy: &[T], w: &[T]) -> Vec<T> {
    let mut gx = vec![T::ZERO; g.n * g.x_len()];
    let (gyp, wp, gxp) = (SendPtr(gy.as_ptr() as *mut T), SendPtr(w.as_ptr() as *mut T), SendPtr(gx.as_mut_ptr()));
    let (og, kg, l) = (g.og(), g.kg(), g.l());
    each_sample::<T>(g, |s, buf, par, chan_par| unsafe {
        let gxs = gxp.get().add(s * g.x_len());
        // pointwise: the columns are the input gradient itself
        let cols = if g.pointwise() { gxs } else { buf.as_mut_ptr() };
        let gys = gyp.get().add(s * g.y_len());
        for grp in 0..g.groups {
            // cols_g [kg, l] = w_g^T [kg, og] @ gy_g [og, l]
            let lhs = wp.get().add(grp * og * kg);
            gemm((kg, l, og), cols.add(grp * kg * l), l, false, lhs, (1, kg), gys.add(grp * og * l), (l, 1), par);
        }
        if !g.pointwise() {
            col2im(g, cols, gxs, chan_par);
        }
    });
    gx
}

/// gw [o, c/groups, kh, kw] = sum over samples of gy_g @ cols_g^T.
pub fn weight_grad<T: Real>(g: &Geom, x: &[T], gy: &[T]) -> Vec<T> {
    let (og, kg, l) = (g.og(), g.kg(), g.l());
    let (xp, gyp) = (SendPtr(x.as_ptr() as *mut T), SendPtr(gy.as_ptr() as *mut T));
    // accumulates sample s into gw
    let one = |s: usize, gw: &mut [T], buf: &mut Vec<T>, par: Parallelism, chan_par: bool| unsafe {
        let xs = xp.get().add(s * g.x_len());
        let cols: *const T = if g.pointwise() {
            xs
        } else {
            im2col(g, xs, buf.as_mut_ptr(), chan_par);
            buf.as_ptr()
        };
        let gys = gyp.get().add(s * g.y_len());
        for grp in 0..g.groups {
            let dst = gw.as_mut_ptr().add(grp * og * kg);
            // gw_g [og, kg] += gy_g [og, l] @ cols_g^T [l, kg]
            gemm((og, kg, l), dst, kg, true, gys.add(grp * og * l), (l, 1), cols.add(grp * kg * l), (1, l), par);
        }
    };
    let scratch = || vec![T::ZERO; if g.pointwise() { 0 } else { g.cols_len() }];
    if g.per_sample_parallel() {
        (0..g.n)
            .into_par_iter()
            .fold(
                || (vec![T::ZERO; g.w_len()], scratch()),
                |(mut gw, mut buf), s| {
                    one(s, &mut gw, &mut buf, Parallelism::None, false);
                    (gw, buf)
                },
            )
            .map(|(gw, _)| gw)
            .reduce(
                || vec![T::ZERO; g.w_len()],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            )
    } else {
        let mut gw = vec![T::ZERO; g.w_len()];
        let mut buf = scratch();
        let par = g.gemm_par();
        for s in 0..g.n {
            one(s, &mut gw, &mut buf, par, !matches!(par, Parallelism::None));
        }
        gw
    }
}

/// unfold: [n, c, h, w] -> [n, c*kh*kw, oh*ow] (groups = 1, `o` unused).
pub fn unfold<T: Real>(g: &Geom, x: &[T]) -> Vec<T> {
    let mut out = vec![T::ZERO; g.n * g.cols_len()];
    let (xp, op) = (SendPtr(x.as_ptr() as *mut T), SendPtr(out.as_mut_ptr()));
    let par = g.n > 1 && g.n * g.cols_len() >= crate::iter::PARALLEL_THRESHOLD && crate::iter::parallel();
    let one = |s: usize| unsafe { im2col(g, xp.get().add(s * g.x_len()), op.get().add(s * g.cols_len()), false) };
    if par {
        (0..g.n).into_par_iter().for_each(one);
    } else {
        (0..g.n).for_each(one);
    }
    out
}

/// fold: the adjoint of `unfold`, summing overlapping patches.
pub fn fold<T: Real>(g: &Geom, cols: &[T]) -> Vec<T> {
    let mut out = vec![T::ZERO; g.n * g.x_len()];
    let (cp, op) = (SendPtr(cols.as_ptr() as *mut T), SendPtr(out.as_mut_ptr()));
    let par = g.n > 1 && g.n * g.cols_len() >= crate::iter::PARALLEL_THRESHOLD && crate::iter::parallel();
    let one = |s: usize| unsafe { col2im(g, cp.get().add(s * g.cols_len()), op.get().add(s * g.x_len()), false) };
    if par {
        (0..g.n).into_par_iter().for_each(one);
    } else {
        (0..g.n).for_each(one);
    }
    out
}
