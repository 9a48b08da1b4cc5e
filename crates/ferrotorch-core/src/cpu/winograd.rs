//! Winograd F(4x4, 3x3) for 3x3 convolutions with stride 1, dilation 1 and
//! one group: 36 GEMMs over transformed 6x6 input tiles replace the 9x
//! larger im2col GEMM (4x fewer multiply-adds). Serves `forward`,
//! `input_grad` (for stride 1 a convolution of gy with the flipped,
//! transposed weight) and `weight_grad` (the adjoint of the transforms).
//!
//! Transforms follow Lavin & Gray, "Fast Algorithms for Convolutional Neural
//! Networks" (2015): y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per 4x4 output tile. The
//! 1-D transforms run across many tiles at once (`lanes`) so they vectorise.

use super::conv::{gemm, Geom};
use super::{Real, SendPtr};
use gemm::Parallelism;
use rayon::prelude::*;
use std::cell::Cell;
use std::ops::Range;

/// Output tile side, input tile side and transform points.
const M: usize = 4;
const A: usize = 6;
const P: usize = A * A;

/// Soft cap on one block's transformed tiles (bytes), to stay in cache.
const BLOCK_BYTES: usize = 2 << 20;

/// A 3x3 correlation of planes: in [n, c, h, w] -> out [n, o, oh, ow] with
/// out[y][x] = Σ in[y + i - pad0][x + j - pad1] k[i][j], reads outside the
/// input being zero (negative `pad` crops).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    oh: usize,
    ow: usize,
    pad: [isize; 2],
    /// Tile rows per sample and tiles per tile row.
    th: usize,
    tw: usize,
}

impl Plan {
    fn new(n: usize, [c, h, w]: [usize; 3], [o, oh, ow]: [usize; 3], pad: [isize; 2]) -> Option<Plan> {
        let (th, tw) = (oh.div_ceil(M), ow.div_ceil(M));
        // small channel counts leave the GEMMs too thin to pay for the
        // transforms; big ones make the 4x larger transformed weight costly;
        // tiny planes waste most of each tile
        let useful = c >= 16 && o >= 16 && c * o <= 256 * 256 && 2 * oh * ow >= th * tw * M * M;
        useful.then_some(Plan { n, c, h, w, o, oh, ow, pad, th, tw })
    }

    fn eligible(g: &Geom) -> bool {
        g.kh == 3 && g.kw == 3 && g.stride == [1, 1] && g.dilation == [1, 1] && g.groups == 1
    }

    /// The plan of `conv::forward` and `conv::weight_grad` for `g`.
    pub fn forward(g: &Geom) -> Option<Plan> {
        let pad = [g.pad[0] as isize, g.pad[1] as isize];
        Self::eligible(g).then(|| Plan::new(g.n, [g.c, g.h, g.w], [g.o, g.oh, g.ow], pad)).flatten()
    }

    /// The plan of `conv::input_grad`: gy convolved with the flipped weight.
    pub fn input_grad(g: &Geom) -> Option<Plan> {
        let pad = [2 - g.pad[0] as isize, 2 - g.pad[1] as isize];
        Self::eligible(g).then(|| Plan::new(g.n, [g.o, g.oh, g.ow], [g.c, g.h, g.w], pad)).flatten()
    }

    fn rows(&self) -> usize {
        self.n * self.th
    }

    /// Splits the n*th tile rows into blocks: a multiple of the thread
    /// count, each small enough for cache. Returns (rows per block, blocks).
    fn blocks<T>(&self) -> (usize, usize) {
        let t = rayon::current_num_threads().max(1);
        let row_bytes = P * self.c.max(self.o) * self.tw * std::mem::size_of::<T>();
        let cap = (BLOCK_BYTES / row_bytes).max(1);
        let nb = self.rows().div_ceil(cap).div_ceil(t) * t;
        let rb = self.rows().div_ceil(nb);
        (rb, self.rows().div_ceil(rb))
    }
}

#[inline(always)]
fn k<T: Real>(v: f64) -> T {
    T::from_f64(v)
}

/// Bᵀd along one dim (input transform).
#[inline(always)]
fn bt<T: Real>(d: [T; 6]) -> [T; 6] {
    let (two, four, five) = (k::<T>(2.0), k::<T>(4.0), k::<T>(5.0));
    [
        four * d[0] - five * d[2] + d[4],
        d[3] + d[4] - four * (d[1] + d[2]),
        four * (d[1] - d[2]) - d[3] + d[4],
        two * (d[3] - d[1]) + d[4] - d[2],
        two * (d[1] - d[3]) + d[4] - d[2],
        four * d[1] - five * d[3] + d[5],
    ]
}

/// Aᵀm along one dim (output transform).
#[inline(always)]
fn at<T: Real>(m: [T; 6]) -> [T; 4] {
    let (s1, d1, s2, d2) = (m[1] + m[2], m[1] - m[2], m[3] + m[4], m[3] - m[4]);
    [m[0] + s1 + s2, d1 + k::<T>(2.0) * d2, s1 + k::<T>(4.0) * s2, d1 + k::<T>(8.0) * d2 + m[5]]
}

/// A z, the adjoint of `at` (gradient of the output transform).
#[inline(always)]
fn a<T: Real>(z: [T; 4]) -> [T; 6] {
    let (e, o) = (z[0] + z[2], z[1] + z[3]);
    let (e4, o4) = (z[0] + k::<T>(4.0) * z[2], k::<T>(2.0) * z[1] + k::<T>(8.0) * z[3]);
    [z[0], e + o, e - o, e4 + o4, e4 - o4, z[3]]
}

/// G g along one dim (weight transform); weights transform in f64.
fn gt(g: [f64; 3]) -> [f64; 6] {
    let s = g[0] + g[2];
    [g[0] / 4.0, -(s + g[1]) / 6.0, (g[1] - s) / 6.0, (g[0] / 4.0 + g[1] / 2.0 + g[2]) / 6.0, (g[0] / 4.0 - g[1] / 2.0 + g[2]) / 6.0, g[2]]
}

/// Gᵀ u, the adjoint of `gt`.
fn gta(u: [f64; 6]) -> [f64; 3] {
    let (s12, d12, s34, d34) = (u[1] + u[2], u[2] - u[1], u[3] + u[4], u[3] - u[4]);
    [u[0] / 4.0 - s12 / 6.0 + s34 / 24.0, d12 / 6.0 + d34 / 12.0, (s34 - s12) / 6.0 + u[5]]
}

/// dst[dk + i] = f([src[sk + i] for sk in si])[k] for i in 0..n: one 1-D
/// transform across n tiles, in chunks the compiler turns into SIMD.
#[inline(always)]
fn lanes<T: Real, const I: usize, const O: usize>(
    n: usize,
    src: &[T],
    si: [usize; I],
    dst: &mut [T],
    di: [usize; O],
    f: impl Fn([T; I]) -> [T; O],
) {
    const W: usize = 8;
    assert!(si.iter().all(|&s| s + n <= src.len()) && di.iter().all(|&d| d + n <= dst.len()));
    let (sp, dp) = (src.as_ptr(), dst.as_mut_ptr());
    let mut i = 0;
    // SAFETY: every access is below an offset + n checked above.
    unsafe {
        while i + W <= n {
            let x: [[T; W]; I] = std::array::from_fn(|q| (sp.add(si[q] + i) as *const [T; W]).read_unaligned());
            let mut y = [[T::ZERO; W]; O];
            for l in 0..W {
                let v = f(std::array::from_fn(|q| x[q][l]));
                for q in 0..O {
                    y[q][l] = v[q];
                }
            }
            for q in 0..O {
                (dp.add(di[q] + i) as *mut [T; W]).write_unaligned(y[q]);
            }
            i += W;
        }
        for i in i..n {
            let v = f(std::array::from_fn(|q| *sp.add(si[q] + i)));
            for q in 0..O {
                *dp.add(di[q] + i) = v[q];
            }
        }
    }
}

thread_local! {
    static SCRATCH: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` on this thread's reusable buffer of `len` elements (contents
/// arbitrary), so that per-call buffers neither allocate nor page-fault.
fn with_scratch<T: Real, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    // taken out, so a nested use (rayon work-stealing) gets its own
    let mut v = SCRATCH.take();
    let words = (len * std::mem::size_of::<T>()).div_ceil(8);
    if v.len() < words {
        v = vec![0.0; words];
    }
    // SAFETY: T is f32 or f64 (any bits valid, alignment <= 8) and fits.
    let r = f(unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut T, len) });
    SCRATCH.set(v);
    r
}

/// Runs `f` on contiguous parts of 0..n, one per thread when `par`.
fn split(n: usize, par: bool, f: impl Fn(Range<usize>) + Sync + Send) {
    let t = if par { rayon::current_num_threads().clamp(1, n.max(1)) } else { 1 };
    let per = n.div_ceil(t);
    if t == 1 {
        f(0..n)
    } else {
        (0..t).into_par_iter().for_each(|i| f(i * per..n.min((i + 1) * per)));
    }
}

/// One block of tile rows `rows` (global over samples): its tile count.
struct Block {
    rows: Range<usize>,
    nb: usize,
}

impl Plan {
    fn block(&self, b: usize, rb: usize) -> Block {
        let rows = b * rb..self.rows().min((b + 1) * rb);
        let nb = rows.len() * self.tw;
        Block { rows, nb }
    }

    /// v [P, c, nb]: the transformed input tiles of `blk`. `s` is scratch of
    /// 2 * P * nb.
    fn input_tiles<T: Real>(&self, x: &[T], blk: &Block, v: &mut [T], s: &mut [T]) {
        let (nb, tw) = (blk.nb, self.tw);
        let (d, z) = s.split_at_mut(P * nb);
        for ci in 0..self.c {
            // d [r, q, tile] = x at row 4ty + r - pad0, column 4t + q - pad1
            for (jr, row) in blk.rows.clone().enumerate() {
                let (si, ty) = (row / self.th, row % self.th);
                let plane = &x[(si * self.c + ci) * self.h * self.w..][..self.h * self.w];
                for r in 0..A {
                    let iy = (ty * M + r) as isize - self.pad[0];
                    let src = (0..self.h as isize).contains(&iy).then(|| &plane[iy as usize * self.w..][..self.w]);
                    for q in 0..A {
                        let dst = &mut d[(r * A + q) * nb + jr * tw..][..tw];
                        let Some(src) = src else {
                            dst.fill(T::ZERO);
                            continue;
                        };
                        let off = q as isize - self.pad[1];
                        for (t, o) in dst.iter_mut().enumerate() {
                            let ix = (t * M) as isize + off;
                            *o = if ix >= 0 && (ix as usize) < self.w { src[ix as usize] } else { T::ZERO };
                        }
                    }
                }
            }
            // z [k, q, tile] = Bᵀ over r, then v [k*6 + l, ci] = Bᵀ over q
            lanes(A * nb, d, std::array::from_fn(|r| r * A * nb), z, std::array::from_fn(|kk| kk * A * nb), bt);
            for kk in 0..A {
                let si = std::array::from_fn(|q| (kk * A + q) * nb);
                let di = std::array::from_fn(|l| ((kk * A + l) * self.c + ci) * nb);
                lanes(nb, z, si, v, di, bt);
            }
        }
    }

    /// y (+bias) from m [P, o, nb], the GEMM's transformed output of `blk`.
    /// `s` is scratch of 40 * nb.
    fn output_tiles<T: Real>(&self, m: &[T], blk: &Block, y: SendPtr<T>, bias: Option<&[T]>, s: &mut [T]) {
        let (nb, tw) = (blk.nb, self.tw);
        let (z, t4) = s.split_at_mut(A * M * nb);
        for oi in 0..self.o {
            // z [k, b, tile] = Aᵀ over l, then t4 [a, b, tile] = Aᵀ over k
            for kk in 0..A {
                let si = std::array::from_fn(|l| ((kk * A + l) * self.o + oi) * nb);
                lanes(nb, m, si, z, std::array::from_fn(|b| (kk * M + b) * nb), at);
            }
            lanes(M * nb, z, std::array::from_fn(|kk| kk * M * nb), t4, std::array::from_fn(|a| a * M * nb), at);
            let bo = bias.map_or(T::ZERO, |b| b[oi]);
            for (jr, row) in blk.rows.clone().enumerate() {
                let (si, ty) = (row / self.th, row % self.th);
                // SAFETY: blocks own disjoint tile rows, so disjoint outputs.
                let plane = unsafe { y.get().add((si * self.o + oi) * self.oh * self.ow) };
                for a in 0..M.min(self.oh - ty * M) {
                    let dst = unsafe { std::slice::from_raw_parts_mut(plane.add((ty * M + a) * self.ow), self.ow) };
                    for b in 0..M {
                        let src = &t4[(a * M + b) * nb + jr * tw..][..tw];
                        for (t, &v) in src.iter().enumerate() {
                            if let Some(o) = dst.get_mut(t * M + b) {
                                *o = v + bo;
                            }
                        }
                    }
                }
            }
        }
    }

    /// dm [P, o, nb]: gy's tiles of `blk` through the adjoint of the output
    /// transform. `s` is scratch of 40 * nb.
    fn output_grad_tiles<T: Real>(&self, gy: &[T], blk: &Block, dm: &mut [T], s: &mut [T]) {
        let (nb, tw) = (blk.nb, self.tw);
        let (g4, z) = s.split_at_mut(M * M * nb);
        for oi in 0..self.o {
            // g4 [a, b, tile] = gy at row 4ty + a, column 4t + b (zero outside)
            for (jr, row) in blk.rows.clone().enumerate() {
                let (si, ty) = (row / self.th, row % self.th);
                let plane = &gy[(si * self.o + oi) * self.oh * self.ow..][..self.oh * self.ow];
                for a in 0..M {
                    let iy = ty * M + a;
                    for b in 0..M {
                        let dst = &mut g4[(a * M + b) * nb + jr * tw..][..tw];
                        if iy >= self.oh {
                            dst.fill(T::ZERO);
                            continue;
                        }
                        let src = &plane[iy * self.ow..][..self.ow];
                        for (t, o) in dst.iter_mut().enumerate() {
                            *o = src.get(t * M + b).copied().unwrap_or(T::ZERO);
                        }
                    }
                }
            }
            // z [k, b, tile] = A over a, then dm [k*6 + l, oi] = A over b
            lanes(M * nb, g4, std::array::from_fn(|a| a * M * nb), z, std::array::from_fn(|kk| kk * M * nb), a);
            for kk in 0..A {
                let si = std::array::from_fn(|b| (kk * M + b) * nb);
                let di = std::array::from_fn(|l| ((kk * A + l) * self.o + oi) * nb);
                lanes(nb, z, si, dm, di, a);
            }
        }
    }
}

/// u [P, rows, cols] = G g Gᵀ of every 3x3 kernel of w [o, c, 3, 3]; rows
/// are o, or with `flip` c, the kernel rotated by 180° (input gradient).
fn weight_tiles<T: Real>(w: &[T], o: usize, c: usize, flip: bool) -> Vec<T> {
    let mut u = vec![T::ZERO; P * o * c];
    let (rows, cols) = if flip { (c, o) } else { (o, c) };
    for (oi, wk) in w.chunks_exact(9).enumerate() {
        let (oo, ci) = (oi / c, oi % c);
        let g = |i: usize, j: usize| if flip { wk[(2 - i) * 3 + 2 - j] } else { wk[i * 3 + j] }.to_f64();
        let gg: [[f64; 6]; 3] = std::array::from_fn(|i| gt([g(i, 0), g(i, 1), g(i, 2)]));
        let dst = if flip { ci * cols + oo } else { oo * cols + ci };
        for l in 0..A {
            let col = gt([gg[0][l], gg[1][l], gg[2][l]]);
            for kk in 0..A {
                u[(kk * A + l) * rows * cols + dst] = T::from_f64(col[kk]);
            }
        }
    }
    u
}

/// y [n, o, oh, ow] = the plan's correlation of x with w [o, c, 3, 3]
/// (or, `flip`, w [c, o, 3, 3] rotated: the input gradient), plus bias.
pub fn conv<T: Real>(p: &Plan, x: &[T], w: &[T], flip: bool, bias: Option<&[T]>) -> Vec<T> {
    let u = weight_tiles(w, if flip { p.c } else { p.o }, if flip { p.o } else { p.c }, flip);
    let mut y = vec![T::ZERO; p.n * p.o * p.oh * p.ow];
    let yp = SendPtr(y.as_mut_ptr());
    let (rb, nblocks) = p.blocks::<T>();
    let nb_max = rb * p.tw;
    split(nblocks, true, |blocks| {
        let (vlen, mlen) = (P * p.c * nb_max, P * p.o * nb_max);
        with_scratch::<T, _>(vlen + mlen + 2 * P * nb_max, |buf| {
            let (v, rest) = buf.split_at_mut(vlen);
            let (m, s) = rest.split_at_mut(mlen);
            for b in blocks {
                let blk = p.block(b, rb);
                p.input_tiles(x, &blk, v, s);
                let nb = blk.nb;
                for pt in 0..P {
                    // SAFETY: the slices hold [o, c], [c, nb] and [o, nb].
                    unsafe {
                        gemm(
                            (p.o, nb, p.c),
                            m.as_mut_ptr().add(pt * p.o * nb),
                            nb,
                            false,
                            u.as_ptr().add(pt * p.o * p.c),
                            (p.c, 1),
                            v.as_ptr().add(pt * p.c * nb),
                            (nb, 1),
                            Parallelism::None,
                        );
                    }
                }
                p.output_tiles(m, &blk, yp, bias, s);
            }
        })
    });
    y
}

/// gw [o, c, 3, 3] = Σ over samples of the correlation's weight gradient
/// for input x and output gradient gy.
pub fn weight_grad<T: Real>(p: &Plan, x: &[T], gy: &[T]) -> Vec<T> {
    let (rb, nblocks) = p.blocks::<T>();
    let nb_max = rb * p.tw;
    let parts = std::sync::Mutex::new(Vec::new());
    split(nblocks, true, |blocks| {
        let (vlen, mlen) = (P * p.c * nb_max, P * p.o * nb_max);
        // du [P, o, c] summed over this part's blocks
        let mut du = vec![T::ZERO; P * p.o * p.c];
        with_scratch::<T, _>(vlen + mlen + 2 * P * nb_max, |buf| {
            let (v, rest) = buf.split_at_mut(vlen);
            let (dm, s) = rest.split_at_mut(mlen);
            for b in blocks {
                let blk = p.block(b, rb);
                p.input_tiles(x, &blk, v, s);
                p.output_grad_tiles(gy, &blk, dm, s);
                let nb = blk.nb;
                for pt in 0..P {
                    // du[pt] [o, c] += dm[pt] [o, nb] @ v[pt]ᵀ [nb, c]
                    unsafe {
                        gemm(
                            (p.o, p.c, nb),
                            du.as_mut_ptr().add(pt * p.o * p.c),
                            p.c,
                            true,
                            dm.as_ptr().add(pt * p.o * nb),
                            (nb, 1),
                            v.as_ptr().add(pt * p.c * nb),
                            (1, nb),
                            Parallelism::None,
                        );
                    }
                }
            }
        });
        parts.lock().unwrap().push(du);
    });
    let parts = parts.into_inner().unwrap();
    // gw = Gᵀ du G per kernel, in f64
    let mut gw = vec![T::ZERO; p.o * p.c * 9];
    for (oc, gk) in gw.chunks_exact_mut(9).enumerate() {
        let t: [[f64; 6]; 6] = std::array::from_fn(|kk| {
            std::array::from_fn(|l| parts.iter().map(|du| du[(kk * A + l) * p.o * p.c + oc].to_f64()).sum())
        });
        let rows: [[f64; 3]; 6] = std::array::from_fn(|kk| gta(t[kk]));
        for j in 0..3 {
            let col = gta(std::array::from_fn(|kk| rows[kk][j]));
            for i in 0..3 {
                gk[i * 3 + j] = T::from_f64(col[i]);
            }
        }
    }
    gw
}
