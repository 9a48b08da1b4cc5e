// softmax / log_softmax along one dim, forward and backward, fused: one
// read of the input for the row statistics and one pass writing the output.
// The input is contiguous [outer, n, inner]; a row is n elements `inner`
// apart. A group of `group` threads takes a row: a warp (n <= 32 * CACHE,
// the row then lives in registers: one read, one write), a block (longer
// rows) or one thread (inner > 1: neighbouring threads take neighbouring
// rows, so their reads coalesce). float16/bfloat16 compute in float32.
#include "common.cuh"

struct SGeo {
  i64 outer, n, inner;
  i64 group;  // threads per row: 1, 32 or blockDim.x
};

// Row elements a lane keeps in registers in the warp-per-row path.
#define CACHE 32

template <typename C> __device__ __forceinline__ C neg_inf() { return -(C)__uint_as_float(0x7f800000u); }

// Online max and sum of exp(x - max). A NaN or +inf in the row makes the
// sum NaN, hence every output NaN, as the CPU's exp(x - max) does.
template <typename C> struct MaxSum { C m, s; };
template <typename C> __device__ __forceinline__ MaxSum<C> ms_add(MaxSum<C> a, C x) {
  if (x > a.m) {
    a.s = a.s * exp(a.m - x) + exp(x - x);
    a.m = x;
  } else if (x != neg_inf<C>()) {  // -inf adds nothing (and all -inf leaves s = 0: NaN outputs)
    a.s += exp(x - a.m);
  }
  return a;
}
template <typename C> __device__ __forceinline__ MaxSum<C> ms_combine(MaxSum<C> a, MaxSum<C> b) {
  if (b.m > a.m) { MaxSum<C> t = a; a = b; b = t; }
  if (b.m == neg_inf<C>()) a.s += b.s;
  else a.s += b.s * exp(b.m - a.m);
  return a;
}

template <typename C> struct Add { __device__ __forceinline__ C operator()(C a, C b) const { return a + b; } };
template <typename C> struct MsCombine {
  __device__ __forceinline__ MaxSum<C> operator()(MaxSum<C> a, MaxSum<C> b) const { return ms_combine(a, b); }
};
template <typename C> __device__ __forceinline__ C xor_any(C v, int m) { return shfl_xor_any(v, m); }
template <typename C> __device__ __forceinline__ MaxSum<C> xor_any(MaxSum<C> v, int m) {
  v.m = shfl_xor_any(v.m, m);
  v.s = shfl_xor_any(v.s, m);
  return v;
}

// Combines every lane's v across its group; every lane gets the result.
template <typename T, typename F>
__device__ __forceinline__ T group_all(T v, i64 G, F combine, T *sh) {
  if (G == 1) return v;
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = combine(v, xor_any(v, d));
  if (G > 32) {
    __syncthreads();  // the previous row's readers are done with sh
    if (threadIdx.x % 32 == 0) sh[threadIdx.x / 32] = v;
    __syncthreads();
    v = sh[0];
    for (unsigned w = 1; w < (blockDim.x + 31) / 32; w++) v = combine(v, sh[w]);
  }
  return v;
}

// The rows of this thread's group: f(base) per row, base = offset of element 0.
#define FOR_ROWS(g, G, lane, base)                                                                 \
  const i64 G = g.group, lane = threadIdx.x % G;                                                  \
  for (i64 row = ((i64)blockIdx.x * blockDim.x + threadIdx.x) / G; row < g.outer * g.inner;       \
       row += (i64)gridDim.x * blockDim.x / G)                                                     \
    if (const i64 base = (row / g.inner) * g.n * g.inner + row % g.inner; true)

template <typename S>
__device__ __forceinline__ void softmax_fwd(const SGeo &g, int log, S *__restrict__ out, const S *__restrict__ in) {
  typedef typename Ty<S>::C C;
  __shared__ MaxSum<C> sh[32];
  const bool cached = g.group == 32 && g.inner == 1 && g.n <= 32 * CACHE;
  FOR_ROWS(g, G, lane, base) {
    MaxSum<C> ms = {neg_inf<C>(), (C)0};
    if (cached) {
      C v[CACHE];
#pragma unroll
      for (int k = 0; k < CACHE; k++) {
        const i64 j = lane + 32 * k;
        if (j < g.n) v[k] = Ty<S>::load(in[base + j]);
      }
#pragma unroll
      for (int k = 0; k < CACHE; k++)
        if (lane + 32 * k < g.n) ms = ms_add(ms, v[k]);
      ms = group_all(ms, G, MsCombine<C>(), sh);
      const C lse = ms.m + ::log(ms.s);
#pragma unroll
      for (int k = 0; k < CACHE; k++) {
        const i64 j = lane + 32 * k;
        if (j < g.n) out[base + j] = Ty<S>::store(log ? v[k] - lse : exp(v[k] - ms.m) / ms.s);
      }
      continue;
    }
    for (i64 j = lane; j < g.n; j += G) ms = ms_add(ms, Ty<S>::load(in[base + j * g.inner]));
    ms = group_all(ms, G, MsCombine<C>(), sh);
    const C lse = ms.m + ::log(ms.s);
    for (i64 j = lane; j < g.n; j += G) {
      const C x = Ty<S>::load(in[base + j * g.inner]);
      out[base + j * g.inner] = Ty<S>::store(log ? x - lse : exp(x - ms.m) / ms.s);
    }
  }
}

// Gradient from the forward output y and the output gradient dy:
// softmax: y * (dy - sum(dy * y)); log_softmax: dy - exp(y) * sum(dy).
template <typename S>
__device__ __forceinline__ void softmax_bwd(const SGeo &g, int log, S *__restrict__ dx, const S *__restrict__ dy,
                                            const S *__restrict__ y) {
  typedef typename Ty<S>::C C;
  __shared__ C sh[32];
  const bool cached = g.group == 32 && g.inner == 1 && g.n <= 32 * CACHE;
  FOR_ROWS(g, G, lane, base) {
    C s = 0;
    if (cached) {
      C vy[CACHE], vg[CACHE];
#pragma unroll
      for (int k = 0; k < CACHE; k++) {
        const i64 j = lane + 32 * k;
        if (j < g.n) {
          vy[k] = Ty<S>::load(y[base + j]);
          vg[k] = Ty<S>::load(dy[base + j]);
        }
      }
#pragma unroll
      for (int k = 0; k < CACHE; k++)
        if (lane + 32 * k < g.n) s += log ? vg[k] : vg[k] * vy[k];
      s = group_all(s, G, Add<C>(), sh);
#pragma unroll
      for (int k = 0; k < CACHE; k++) {
        const i64 j = lane + 32 * k;
        if (j < g.n) dx[base + j] = Ty<S>::store(log ? vg[k] - exp(vy[k]) * s : vy[k] * (vg[k] - s));
      }
      continue;
    }
    for (i64 j = lane; j < g.n; j += G) {
      const i64 o = base + j * g.inner;
      const C gj = Ty<S>::load(dy[o]);
      s += log ? gj : gj * Ty<S>::load(y[o]);
    }
    s = group_all(s, G, Add<C>(), sh);
    for (i64 j = lane; j < g.n; j += G) {
      const i64 o = base + j * g.inner;
      const C yj = Ty<S>::load(y[o]), gj = Ty<S>::load(dy[o]);
      dx[o] = Ty<S>::store(log ? gj - exp(yj) * s : yj * (gj - s));
    }
  }
}

#define INSTANTIATE_SOFTMAX(S, NAME)                                                             \
  extern "C" __global__ void softmax_##NAME(SGeo g, int log, S *out, const S *in) {             \
    softmax_fwd<S>(g, log, out, in);                                                             \
  }                                                                                              \
  extern "C" __global__ void softmax_backward_##NAME(SGeo g, int log, S *dx, const S *dy, const S *y) { \
    softmax_bwd<S>(g, log, dx, dy, y);                                                           \
  }
INSTANTIATE_SOFTMAX(half_t, f16)
INSTANTIATE_SOFTMAX(bf16_t, bf16)
INSTANTIATE_SOFTMAX(float, f32)
INSTANTIATE_SOFTMAX(double, f64)
