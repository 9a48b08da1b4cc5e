// Max / average pooling and their backwards over contiguous [planes, h, w]
// inputs (1-D pooling runs with h = 1). Windows follow ferrotorch's CPU
// `cpu::pool::Windows`, computed here from the same rule per dim: fixed
// (kernel, stride, padding, dilation, count_include_pad) or adaptive. Forward
// kernels run a thread per output; backward kernels are gathers, a thread per
// input element visiting the outputs whose window can contain it in output
// order (the CPU's summation order, no atomics).
#include "common.cuh"

struct PDim {
  i64 len, out;   // input and output length
  i64 k, s, p, d; // fixed windows: kernel, stride, leading padding, dilation
  int adaptive, count_pad;
};

struct PGeo {
  i64 planes;
  PDim dim[2];  // height, width
  int has_over;  // avg_pool's divisor_override
  double over;
};

// Window o along one dim: positions start, start + step, ... < end, and its
// share of the average's divisor.
__device__ __forceinline__ void window(const PDim &w, i64 o, i64 &start, i64 &end, i64 &count) {
  if (w.adaptive) {
    start = o * w.len / w.out;
    end = ((o + 1) * w.len + w.out - 1) / w.out;
    count = end - start;
    return;
  }
  const i64 raw = o * w.s - w.p;
  const i64 first = raw < 0 ? raw + (-raw + w.d - 1) / w.d * w.d : raw;
  i64 last = raw + (w.k - 1) * w.d + 1;
  if (last > w.len) last = w.len;
  start = first > 0 ? first : 0;
  end = last > first ? last : first;
  if (end < 0) end = 0;
  if (w.count_pad) {
    i64 padded_end = raw + w.k;
    if (padded_end > w.len + w.p) padded_end = w.len + w.p;
    count = padded_end - raw;
  } else {
    count = last > first ? last - first : 0;
  }
}

__device__ __forceinline__ i64 step_of(const PDim &w) { return w.adaptive ? 1 : w.d; }

// The outputs [lo, hi] whose windows may contain input position i.
__device__ __forceinline__ void sources(const PDim &w, i64 i, i64 &lo, i64 &hi) {
  if (w.adaptive) {
    lo = i * w.out / w.len;
    hi = ((i + 1) * w.out + w.len - 1) / w.len - 1;
  } else {
    const i64 num = i + w.p - (w.k - 1) * w.d;
    lo = num <= 0 ? 0 : (num + w.s - 1) / w.s;
    hi = (i + w.p) / w.s;
  }
  if (hi > w.out - 1) hi = w.out - 1;
}

__device__ __forceinline__ bool contains(const PDim &w, i64 o, i64 i) {
  i64 start, end, count;
  window(w, o, start, end, count);
  return i >= start && i < end && (i - start) % step_of(w) == 0;
}

__device__ __forceinline__ double divisor(const PGeo &g, i64 y, i64 x) {
  if (g.has_over) return g.over;
  i64 s, e, ch, cw;
  window(g.dim[0], y, s, e, ch);
  window(g.dim[1], x, s, e, cw);
  return (double)(ch * cw);
}

// Max over each window and the flat index ih * w + iw of the winner in its
// plane; NaN wins, the first maximum is kept.
template <typename S>
__device__ __forceinline__ void max_pool(const PGeo g, S *__restrict__ out, i64 *__restrict__ idx,
                                         const S *__restrict__ in) {
  typedef typename Ty<S>::C C;
  const PDim &dh = g.dim[0], &dw = g.dim[1];
  const i64 total = g.planes * dh.out * dw.out;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (i64)gridDim.x * blockDim.x) {
    const i64 xo = t % dw.out, y = (t / dw.out) % dh.out, p = t / (dw.out * dh.out);
    i64 hs, he, ws, we, c;
    window(dh, y, hs, he, c);
    window(dw, xo, ws, we, c);
    const S *plane = in + p * dh.len * dw.len;
    C best = (C)__uint_as_float(0xff800000u);  // -inf
    i64 at = hs * dw.len + ws;
    bool nan = false;
    for (i64 ih = hs; ih < he && !nan; ih += step_of(dh)) {
      for (i64 iw = ws; iw < we; iw += step_of(dw)) {
        const C v = Ty<S>::load(plane[ih * dw.len + iw]);
        if (v > best || v != v) {
          best = v;
          at = ih * dw.len + iw;
          if (v != v) {
            nan = true;
            break;
          }
        }
      }
    }
    out[t] = Ty<S>::store(best);
    idx[t] = at;
  }
}

// The average over each window: the window's sum over its divisor.
template <typename S>
__device__ __forceinline__ void avg_pool(const PGeo g, S *__restrict__ out, const S *__restrict__ in) {
  typedef typename Ty<S>::C C;
  const PDim &dh = g.dim[0], &dw = g.dim[1];
  const i64 total = g.planes * dh.out * dw.out;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (i64)gridDim.x * blockDim.x) {
    const i64 xo = t % dw.out, y = (t / dw.out) % dh.out, p = t / (dw.out * dh.out);
    i64 hs, he, ws, we, c;
    window(dh, y, hs, he, c);
    window(dw, xo, ws, we, c);
    const S *plane = in + p * dh.len * dw.len;
    C sum = 0;
    for (i64 ih = hs; ih < he; ih++)
      for (i64 iw = ws; iw < we; iw++) sum += Ty<S>::load(plane[ih * dw.len + iw]);
    out[t] = Ty<S>::store(sum / (C)divisor(g, y, xo));
  }
}

// gx[p, ih, iw] = the sum of gy / divisor over the windows containing (ih, iw).
template <typename S>
__device__ __forceinline__ void avg_pool_backward(const PGeo g, S *__restrict__ gx, const S *__restrict__ gy) {
  typedef typename Ty<S>::C C;
  const PDim &dh = g.dim[0], &dw = g.dim[1];
  const i64 total = g.planes * dh.len * dw.len;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (i64)gridDim.x * blockDim.x) {
    const i64 iw = t % dw.len, ih = (t / dw.len) % dh.len, p = t / (dw.len * dh.len);
    i64 ylo, yhi, xlo, xhi;
    sources(dh, ih, ylo, yhi);
    sources(dw, iw, xlo, xhi);
    C sum = 0;
    for (i64 y = ylo; y <= yhi; y++) {
      if (!contains(dh, y, ih)) continue;
      for (i64 xo = xlo; xo <= xhi; xo++) {
        if (!contains(dw, xo, iw)) continue;
        sum += Ty<S>::load(gy[(p * dh.out + y) * dw.out + xo]) / (C)divisor(g, y, xo);
      }
    }
    gx[t] = Ty<S>::store(sum);
  }
}

// gx[p, ih, iw] = the sum of gy over the outputs whose saved argmax is (ih, iw).
template <typename S>
__device__ __forceinline__ void max_pool_backward(const PGeo g, S *__restrict__ gx, const S *__restrict__ gy,
                                                  const i64 *__restrict__ idx) {
  typedef typename Ty<S>::C C;
  const PDim &dh = g.dim[0], &dw = g.dim[1];
  const i64 total = g.planes * dh.len * dw.len;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (i64)gridDim.x * blockDim.x) {
    const i64 iw = t % dw.len, ih = (t / dw.len) % dh.len, p = t / (dw.len * dh.len);
    const i64 at = ih * dw.len + iw;
    i64 ylo, yhi, xlo, xhi;
    sources(dh, ih, ylo, yhi);
    sources(dw, iw, xlo, xhi);
    C sum = 0;
    for (i64 y = ylo; y <= yhi; y++)
      for (i64 xo = xlo; xo <= xhi; xo++) {
        const i64 o = (p * dh.out + y) * dw.out + xo;
        if (idx[o] == at) sum += Ty<S>::load(gy[o]);
      }
    gx[t] = Ty<S>::store(sum);
  }
}

#define INSTANTIATE_POOL(S, NAME)                                                                  \
  extern "C" __global__ void max_pool_##NAME(PGeo g, S *out, i64 *idx, const S *in) {             \
    max_pool<S>(g, out, idx, in);                                                                  \
  }                                                                                                \
  extern "C" __global__ void avg_pool_##NAME(PGeo g, S *out, const S *in) { avg_pool<S>(g, out, in); } \
  extern "C" __global__ void avg_pool_backward_##NAME(PGeo g, S *gx, const S *gy) {               \
    avg_pool_backward<S>(g, gx, gy);                                                               \
  }                                                                                                \
  extern "C" __global__ void max_pool_backward_##NAME(PGeo g, S *gx, const S *gy, const i64 *idx) { \
    max_pool_backward<S>(g, gx, gy, idx);                                                          \
  }
INSTANTIATE_POOL(half_t, f16)
INSTANTIATE_POOL(bf16_t, bf16)
INSTANTIATE_POOL(float, f32)
INSTANTIATE_POOL(double, f64)
