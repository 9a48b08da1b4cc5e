//! 2-D convolution on the tuned GEMM: per sample, im2col then one GEMM per
//! group. Three kernels cover convolution, transposed convolution and both
//! gradients: `forward` (x, w -> y), `input_grad` (the adjoint of `forward`
//! in x, which is also transposed convolution) and `weight_grad` (x, gy -> gw).
//! 1-D convolution runs as 2-D with a height of one. All buffers are
//! contiguous: x [n, c, h, w], weight [o, c/groups, kh, kw], y [n, o, oh, ow].

use super::{for_each_index, winograd, Real, SendPtr};
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

/// cols [c*kh*kw, oh*ow] from one sample x [c, h, w] (padding reads as zero).
unsafe fn im2col<T: Real>(g: &Geom, x: *const T, cols: *mut T, par: bool) {
    let (x, cols) = (SendPtr(x as *mut T), SendPtr(cols));
    let s = g.stride[1];
    for_each_index(g.c, par, |ci| {
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
    for_each_index(g.c, par, |ci| {
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
pub(super) unsafe fn gemm<T: Real>(
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
    if let Some(p) = winograd::Plan::forward(g) {
        return winograd::conv(&p, x, w, false, bias);
    }
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
    if let Some(p) = winograd::Plan::input_grad(g) {
        return winograd::conv(&p, gy, w, true, None);
    }
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
    if let Some(p) = winograd::Plan::forward(g) {
        return winograd::weight_grad(&p, x, gy);
    }
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
    for_each_index(g.n, par, |s| unsafe { im2col(g, xp.get().add(s * g.x_len()), op.get().add(s * g.cols_len()), false) });
    out
}

/// fold: the adjoint of `unfold`, summing overlapping patches.
pub fn fold<T: Real>(g: &Geom, cols: &[T]) -> Vec<T> {
    let mut out = vec![T::ZERO; g.n * g.x_len()];
    let (cp, op) = (SendPtr(cols.as_ptr() as *mut T), SendPtr(out.as_mut_ptr()));
    let par = g.n > 1 && g.n * g.cols_len() >= crate::iter::PARALLEL_THRESHOLD && crate::iter::parallel();
    for_each_index(g.n, par, |s| unsafe { col2im(g, cp.get().add(s * g.cols_len()), op.get().add(s * g.x_len()), false) });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn randn(n: usize, seed: u64) -> Vec<f64> {
        crate::random::Generator::new(seed).normal_f64(n)
    }

    /// The input position read by output `y` through kernel tap `i` along `d`.
    fn at(g: &Geom, d: usize, y: usize, i: usize, len: usize) -> Option<usize> {
        let p = (y * g.stride[d] + i * g.dilation[d]) as isize - g.pad[d] as isize;
        (0..len as isize).contains(&p).then_some(p as usize)
    }

    /// Visits (x index, w index, y index) of every term of the direct definition.
    fn terms(g: &Geom, mut f: impl FnMut(usize, usize, usize)) {
        let (cg, og) = (g.c / g.groups, g.o / g.groups);
        for (s, o, ci, i, j) in itertools(g.n, g.o, cg, g.kh, g.kw) {
            let c = o / og * cg + ci;
            for y in 0..g.oh {
                let Some(iy) = at(g, 0, y, i, g.h) else { continue };
                for xo in 0..g.ow {
                    let Some(ix) = at(g, 1, xo, j, g.w) else { continue };
                    let xi = ((s * g.c + c) * g.h + iy) * g.w + ix;
                    let wi = ((o * cg + ci) * g.kh + i) * g.kw + j;
                    f(xi, wi, ((s * g.o + o) * g.oh + y) * g.ow + xo);
                }
            }
        }
    }

    fn itertools(a: usize, b: usize, c: usize, d: usize, e: usize) -> impl Iterator<Item = (usize, usize, usize, usize, usize)> {
        (0..a).flat_map(move |s| (0..b).flat_map(move |o| (0..c).flat_map(move |ci| (0..d).flat_map(move |i| (0..e).map(move |j| (s, o, ci, i, j))))))
    }

    /// max |got - want| / max |want|
    fn err<T: Real>(got: &[T], want: &[f64]) -> f64 {
        assert_eq!(got.len(), want.len());
        let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
        got.iter().zip(want).fold(0f64, |m, (g, w)| m.max((g.to_f64() - w).abs())) / scale
    }

    /// The three kernels in T against the direct definition (in f64).
    fn check<T: Real>(g: &Geom, tol: f64) -> [f64; 3] {
        let x = randn(g.n * g.x_len(), 1);
        let w = randn(g.w_len(), 2);
        let gy = randn(g.n * g.y_len(), 3);
        let b = randn(g.o, 4);
        let (mut y, mut gx, mut gw) = (vec![0.0; gy.len()], vec![0.0; x.len()], vec![0.0; w.len()]);
        for (o, v) in y.iter_mut().enumerate() {
            *v = b[o / (g.oh * g.ow) % g.o];
        }
        terms(g, |xi, wi, yi| {
            y[yi] += x[xi] * w[wi];
            gx[xi] += gy[yi] * w[wi];
            gw[wi] += gy[yi] * x[xi];
        });
        let t = |v: &[f64]| v.iter().map(|&v| T::from_f64(v)).collect::<Vec<T>>();
        let (xt, wt, gyt, bt) = (t(&x), t(&w), t(&gy), t(&b));
        let e = [
            err(&forward(g, &xt, &wt, Some(&bt)), &y),
            err(&input_grad(g, &gyt, &wt), &gx),
            err(&weight_grad(g, &xt, &gyt), &gw),
        ];
        assert!(e.iter().all(|&e| e <= tol), "{g:?}: errors {e:?} over {tol}");
        e
    }

    fn geom(n: usize, c: usize, [h, w]: [usize; 2], o: usize, pad: [usize; 2], pad_end: [usize; 2]) -> Geom {
        let (oh, ow) = (h + pad[0] + pad_end[0] - 2, w + pad[1] + pad_end[1] - 2);
        Geom { n, c, h, w, o, kh: 3, kw: 3, oh, ow, stride: [1, 1], pad, dilation: [1, 1], groups: 1 }
    }

    #[test]
    fn winograd_matches_direct_definition() {
        let cases = [
            geom(1, 16, [9, 7], 17, [1, 1], [1, 1]),
            geom(3, 20, [13, 16], 16, [0, 0], [0, 0]),
            geom(5, 16, [8, 8], 24, [2, 2], [2, 2]),
            geom(2, 32, [11, 10], 16, [1, 0], [0, 1]),
            geom(1, 64, [56, 56], 64, [1, 1], [1, 1]),
            geom(4, 18, [5, 21], 19, [3, 1], [1, 3]),
        ];
        for g in &cases {
            assert!(winograd::Plan::forward(g).is_some() && winograd::Plan::input_grad(g).is_some(), "{g:?}");
            let e64 = check::<f64>(g, 1e-12);
            let e32 = check::<f32>(g, 1e-4);
            println!("{:?}x{:?} pad {:?}: f64 {e64:?}, f32 {e32:?}", [g.n, g.c, g.h, g.w], g.o, g.pad);
        }
    }

    #[test]
    fn im2col_path_matches_direct_definition() {
        let mut g = geom(3, 6, [9, 8], 4, [1, 1], [1, 1]);
        check::<f64>(&g, 1e-12);
        (g.stride, g.oh, g.ow) = ([2, 1], 4, 8);
        check::<f64>(&g, 1e-12);
        (g.groups, g.o) = (2, 6);
        check::<f64>(&g, 1e-12);
    }
}
