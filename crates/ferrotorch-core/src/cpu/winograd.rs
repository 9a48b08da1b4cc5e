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
        let t = crate::iter::threads().max(1);
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
    // SAFETY: every access is below an offset + n checked above.
    unsafe {
        if n < W {
            for i in 0..n {
                let v = f(std::array::from_fn(|q| *sp.add(si[q] + i)));
                for q in 0..O {
                    *dp.add(di[q] + i) = v[q];
                }
            }
            return;
        }
        let mut i = 0;
        while i < n {
            // a last partial chunk overlaps the previous one (f is pure)
            let at = i.min(n - W);
            let x: [[T; W]; I] = std::array::from_fn(|q| (sp.add(si[q] + at) as *const [T; W]).read_unaligned());
            let mut y = [[T::ZERO; W]; O];
            for l in 0..W {
                let v = f(std::array::from_fn(|q| x[q][l]));
                for q in 0..O {
                    y[q][l] = v[q];
                }
            }
            for q in 0..O {
                (dp.add(di[q] + at) as *mut [T; W]).write_unaligned(y[q]);
            }
            i = at + W;
        }
    }
}

thread_local! {
    static SCRATCH: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` on this thread's reusable buffer of `len` elements (contents
/// arbitrary), so that per-call buffers neither allocate nor page-fault.
/// It keeps the largest size asked for (blocks bound it to a few MB).
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

/// Runs `f` on contiguous parts of 0..n, one per thread.
fn split(n: usize, f: impl Fn(Range<usize>) + Sync + Send) {
    let t = crate::iter::threads().clamp(1, n.max(1));
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

    /// Row width of the padded, deinterleaved tile-row scratch: 4 phases of
    /// tw + 1 tiles (the input's 6-wide tiles overlap the next by 2).
    fn wq(&self) -> usize {
        M * (self.tw + 1)
    }

    /// Scratch elements the tile transforms need.
    fn scratch_len(&self, nb: usize) -> usize {
        3 * A * self.wq() + (A + M) * M * nb
    }

    /// Copies row `r` of `plane` ([rows, cols], shifted left by `off`) into
    /// `dst` with zeros outside the plane.
    #[inline(always)]
    fn padded_row<T: Real>(plane: &[T], cols: usize, r: Option<usize>, off: isize, dst: &mut [T]) {
        let Some(r) = r else {
            dst.fill(T::ZERO);
            return;
        };
        let src = &plane[r * cols..][..cols];
        // dst[i] = src[i - off]
        let lo = (off.max(0) as usize).min(dst.len());
        let s0 = (-off).max(0) as usize;
        let len = cols.saturating_sub(s0).min(dst.len() - lo);
        dst[..lo].fill(T::ZERO);
        dst[lo..lo + len].copy_from_slice(&src[s0..s0 + len]);
        dst[lo + len..].fill(T::ZERO);
    }

    /// v [P, c, nb]: the transformed input tiles of `blk`.
    #[inline(always)]
    fn input_tiles<T: Real>(&self, x: &[T], blk: &Block, v: &mut [T], s: &mut [T]) {
        let (nb, tw, wq, st) = (blk.nb, self.tw, self.wq(), self.tw + 1);
        let (rows, rest) = s.split_at_mut(A * wq);
        let (z, zd) = rest.split_at_mut(A * wq);
        for ci in 0..self.c {
            for (jr, row) in blk.rows.clone().enumerate() {
                let (si, ty) = (row / self.th, row % self.th);
                let plane = &x[(si * self.c + ci) * self.h * self.w..][..self.h * self.w];
                for r in 0..A {
                    let iy = (ty * M + r) as isize - self.pad[0];
                    let iy = (0..self.h as isize).contains(&iy).then_some(iy as usize);
                    Self::padded_row(plane, self.w, iy, self.pad[1], &mut rows[r * wq..][..wq]);
                }
                // z [k, col] = Bᵀ over rows; zd [k, phase, tile] = z [k, 4 tile + phase]
                lanes(wq, rows, std::array::from_fn(|r| r * wq), z, std::array::from_fn(|kk| kk * wq), bt);
                for kk in 0..A {
                    deinterleave(&z[kk * wq..][..wq], &mut zd[kk * wq..][..wq], st, st);
                }
                // v [k*6 + l, ci, tile] = Bᵀ over the tile's columns 4t..4t+6
                let base = ci * nb + jr * tw;
                for kk in 0..A {
                    let ph = |q: usize| (kk * M + q % M) * st + q / M;
                    let di = std::array::from_fn(|l| (kk * A + l) * self.c * nb + base);
                    lanes(tw, zd, std::array::from_fn(ph), v, di, bt);
                }
            }
        }
    }

    /// y (+bias) from m [P, o, nb], the GEMM's transformed output of `blk`.
    #[inline(always)]
    fn output_tiles<T: Real>(&self, m: &[T], blk: &Block, y: SendPtr<T>, bias: Option<&[T]>, s: &mut [T]) {
        let (nb, tw, wq) = (blk.nb, self.tw, self.wq());
        let (z, rest) = s.split_at_mut(A * M * nb);
        let (t4, out) = rest.split_at_mut(M * M * nb);
        for oi in 0..self.o {
            // z [k, b, tile] = Aᵀ over l, then t4 [a, b, tile] = Aᵀ over k,
            // across all the block's tiles
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
                    interleave(&t4[a * M * nb + jr * tw..], nb, tw, &mut out[..wq]);
                    let dst = unsafe { std::slice::from_raw_parts_mut(plane.add((ty * M + a) * self.ow), self.ow) };
                    dst.iter_mut().zip(&out[..wq]).for_each(|(d, &v)| *d = v + bo);
                }
            }
        }
    }

    /// dm [P, o, nb]: gy's tiles of `blk` through the adjoint of the output
    /// transform.
    #[inline(always)]
    fn output_grad_tiles<T: Real>(&self, gy: &[T], blk: &Block, dm: &mut [T], s: &mut [T]) {
        let (nb, tw, wq, st) = (blk.nb, self.tw, self.wq(), self.tw + 1);
        let (rows, rest) = s.split_at_mut(A * wq);
        let (g4, z) = rest.split_at_mut(A * wq);
        for oi in 0..self.o {
            for (jr, row) in blk.rows.clone().enumerate() {
                let (si, ty) = (row / self.th, row % self.th);
                let plane = &gy[(si * self.o + oi) * self.oh * self.ow..][..self.oh * self.ow];
                for a in 0..M {
                    let iy = Some(ty * M + a).filter(|&r| r < self.oh);
                    Self::padded_row(plane, self.ow, iy, 0, &mut rows[a * wq..][..wq]);
                }
                // g4 [a, b, tile] = gy [4ty + a, 4t + b]; z [k, b, tile] = A over a
                for a in 0..M {
                    deinterleave(&rows[a * wq..][..wq], &mut g4[a * wq..][..wq], st, st);
                }
                lanes(M * st, g4, std::array::from_fn(|a| a * M * st), z, std::array::from_fn(|kk| kk * M * st), a);
                // dm [k*6 + l, oi, tile] = A over b
                let base = oi * nb + jr * tw;
                for kk in 0..A {
                    let si = std::array::from_fn(|b| (kk * M + b) * st);
                    let di = std::array::from_fn(|l| (kk * A + l) * self.o * nb + base);
                    lanes(tw, z, si, dm, di, a);
                }
            }
        }
    }
}

/// A free function running `Plan::$name`, compiled with AVX2 and FMA where
/// the CPU has them: the transforms, all inlined, then vectorise 8 wide.
macro_rules! simd_dispatch {
    ($name:ident, $avx2:ident, ($($arg:ident: $ty:ty),*)) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2<T: Real>(p: &Plan, $($arg: $ty),*) {
            p.$name($($arg),*)
        }

        fn $name<T: Real>(p: &Plan, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: the features were just detected.
                return unsafe { $avx2(p, $($arg),*) };
            }
            p.$name($($arg),*)
        }
    };
}
simd_dispatch!(input_tiles, input_tiles_avx2, (x: &[T], blk: &Block, v: &mut [T], s: &mut [T]));
simd_dispatch!(output_tiles, output_tiles_avx2, (m: &[T], blk: &Block, y: SendPtr<T>, bias: Option<&[T]>, s: &mut [T]));
simd_dispatch!(output_grad_tiles, output_grad_tiles_avx2, (gy: &[T], blk: &Block, dm: &mut [T], s: &mut [T]));

/// Tiles moved at once by `deinterleave`/`interleave`: fixed-size blocks
/// the compiler turns into SIMD shuffles.
const TB: usize = 8;

/// dst[q * stride + t] = src[4 t + q] for t < n: tile columns split by phase.
#[inline(always)]
fn deinterleave<T: Real>(src: &[T], dst: &mut [T], stride: usize, n: usize) {
    assert!(src.len() >= M * n && dst.len() >= (M - 1) * stride + n);
    if n < TB {
        for t in 0..n {
            for q in 0..M {
                dst[q * stride + t] = src[M * t + q];
            }
        }
        return;
    }
    let mut t = 0;
    while t < n {
        // a last partial block overlaps the previous one
        let at = t.min(n - TB);
        let blk: [T; M * TB] = src[M * at..][..M * TB].try_into().unwrap();
        for q in 0..M {
            let row: [T; TB] = std::array::from_fn(|i| blk[M * i + q]);
            dst[q * stride + at..][..TB].copy_from_slice(&row);
        }
        t = at + TB;
    }
}

/// The inverse: dst[4 t + q] = src[q * stride + t] for t < n.
#[inline(always)]
fn interleave<T: Real>(src: &[T], stride: usize, n: usize, dst: &mut [T]) {
    assert!(dst.len() >= M * n && src.len() >= (M - 1) * stride + n);
    if n < TB {
        for t in 0..n {
            for q in 0..M {
                dst[M * t + q] = src[q * stride + t];
            }
        }
        return;
    }
    let mut t = 0;
    while t < n {
        let at = t.min(n - TB);
        let rows: [[T; TB]; M] = std::array::from_fn(|q| src[q * stride + at..][..TB].try_into().unwrap());
        let blk: [T; M * TB] = std::array::from_fn(|i| rows[i % M][i / M]);
        dst[M * at..][..M * TB].copy_from_slice(&blk);
        t = at + TB;
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
    split(nblocks, |blocks| {
        let (vlen, mlen) = (P * p.c * nb_max, P * p.o * nb_max);
        with_scratch::<T, _>(vlen + mlen + p.scratch_len(nb_max), |buf| {
            let (v, rest) = buf.split_at_mut(vlen);
            let (m, s) = rest.split_at_mut(mlen);
            for b in blocks {
                let blk = p.block(b, rb);
                input_tiles(p, x, &blk, v, s);
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
                output_tiles(p, m, &blk, yp, bias, s);
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
    split(nblocks, |blocks| {
        let start = blocks.start;
        let (vlen, mlen) = (P * p.c * nb_max, P * p.o * nb_max);
        // du [P, o, c] summed over this part's blocks
        let mut du = vec![T::ZERO; P * p.o * p.c];
        with_scratch::<T, _>(vlen + mlen + p.scratch_len(nb_max), |buf| {
            let (v, rest) = buf.split_at_mut(vlen);
            let (dm, s) = rest.split_at_mut(mlen);
            for b in blocks {
                let blk = p.block(b, rb);
                input_tiles(p, x, &blk, v, s);
                output_grad_tiles(p, gy, &blk, dm, s);
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
        parts.lock().unwrap().push((start, du));
    });
    // summed in block order, so results do not depend on thread timing
    let mut parts = parts.into_inner().unwrap();
    parts.sort_by_key(|p| p.0);
    let parts: Vec<Vec<T>> = parts.into_iter().map(|p| p.1).collect();
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
