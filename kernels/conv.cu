// im2col / col2im for 2-D convolution (1-D runs with a height of one), on
// contiguous inputs x [n, c, h, w]. The column matrix has one row per
// (channel, kernel tap) r = (ci * kh + i) * kw + j and one column per output
// position l = y * ow + x of each sample; element (sample s, row r, l) lives
// at s * cs_n + r * cs_row + l, so the host picks [n, rows, l] (F.unfold) or
// [rows, n, l] (every sample side by side: one GEMM per group for the batch).
// col2im is a gather, one thread per input element summing the taps that read
// it in (i, j) order: deterministic, no atomics, the CPU's summation order.
#include "common.cuh"

struct CGeo {
  i64 n, c, h, w;              // input
  i64 kh, kw, oh, ow;          // kernel taps, output positions per dim
  i64 sh, sw, ph, pw, dh, dw;  // stride, leading padding, dilation
  i64 cs_n, cs_row;            // column-matrix strides of a sample and of a row
};

// cols[s, r, l] = x[s, ci, y*sh - ph + i*dh, x*sw - pw + j*dw], zero in the padding.
template <typename S>
__device__ __forceinline__ void im2col(const CGeo g, S *__restrict__ cols, const S *__restrict__ x) {
  const i64 l_n = g.oh * g.ow, rows = g.c * g.kh * g.kw;
  const i64 total = g.n * rows * l_n;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (i64)gridDim.x * blockDim.x) {
    const i64 l = t % l_n, rest = t / l_n;
    const i64 r = rest % rows, s = rest / rows;
    const i64 j = r % g.kw, i = (r / g.kw) % g.kh, ci = r / (g.kw * g.kh);
    const i64 ih = (l / g.ow) * g.sh - g.ph + i * g.dh;
    const i64 iw = (l % g.ow) * g.sw - g.pw + j * g.dw;
    S v = S();
    if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) v = x[((s * g.c + ci) * g.h + ih) * g.w + iw];
    cols[s * g.cs_n + r * g.cs_row + l] = v;
  }
}

// Output positions o along one dim whose tap k reads input position p:
// o * stride - pad + k * dil == p, 0 <= o < out.
__device__ __forceinline__ bool tap_source(i64 p, i64 k, i64 stride, i64 pad, i64 dil, i64 out, i64 &o) {
  const i64 num = p + pad - k * dil;
  if (num < 0 || num % stride != 0) return false;
  o = num / stride;
  return o < out;
}

// x[s, ci, ih, iw] = the sum of every column entry im2col would read from there.
template <typename S>
__device__ __forceinline__ void col2im(const CGeo g, S *__restrict__ x, const S *__restrict__ cols) {
  typedef typename Ty<S>::C C;
  const i64 total = g.n * g.c * g.h * g.w;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (i64)gridDim.x * blockDim.x) {
    const i64 iw = t % g.w, ih = (t / g.w) % g.h, ci = (t / (g.w * g.h)) % g.c, s = t / (g.w * g.h * g.c);
    C sum = 0;
    for (i64 i = 0; i < g.kh; i++) {
      i64 y;
      if (!tap_source(ih, i, g.sh, g.ph, g.dh, g.oh, y)) continue;
      for (i64 j = 0; j < g.kw; j++) {
        i64 xo;
        if (!tap_source(iw, j, g.sw, g.pw, g.dw, g.ow, xo)) continue;
        const i64 r = (ci * g.kh + i) * g.kw + j;
        sum += Ty<S>::load(cols[s * g.cs_n + r * g.cs_row + y * g.ow + xo]);
      }
    }
    x[t] = Ty<S>::store(sum);
  }
}

#define INSTANTIATE_CONV(S, NAME)                                                            \
  extern "C" __global__ void im2col_##NAME(CGeo g, S *cols, const S *x) { im2col<S>(g, cols, x); } \
  extern "C" __global__ void col2im_##NAME(CGeo g, S *x, const S *cols) { col2im<S>(g, x, cols); }
INSTANTIATE_CONV(float, f32)
INSTANTIATE_CONV(double, f64)
