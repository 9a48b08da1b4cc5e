// Reductions over any set of dims: sum, prod, max, min, argmax, argmin,
// all, any. Each thread reduces one output (or one of `splits` interleaved
// slices of it, reduced again by a second launch), with no cooperation
// between threads. Float sums and products accumulate in double, integer
// ones in int64, as the CPU kernels do.
#include "common.cuh"

enum RedOp { R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_ALL, R_ANY };

// Kept dims (one output each, in order) and reduced dims of the input,
// each merged where contiguous; strides in input elements.
struct RGeo {
  i64 m;       // outputs
  i64 r;       // elements reduced into each output
  i64 splits;  // partial results per output (1: the final result)
  int kdim, rdim;
  i64 kshape[MAX_DIMS], kst[MAX_DIMS];
  i64 rshape[MAX_DIMS], rst[MAX_DIMS];
};

__device__ __forceinline__ i64 dims_offset(i64 i, int nd, const i64 *shape, const i64 *st) {
  i64 off = 0;
  for (int d = nd - 1; d >= 0; d--) {
    off += (i % shape[d]) * st[d];
    i /= shape[d];
  }
  return off;
}

template <typename C> __device__ __forceinline__ bool is_nan(C x) { return x != x; }

// out[t] for t < m * splits: output t / splits, slice t % splits (elements
// j = slice, slice + splits, ... so neighbouring threads read neighbours).
template <typename S>
__device__ __forceinline__ void reduce(const RGeo &g, int op, int dst, void *out, const S *__restrict__ in) {
  typedef typename Ty<S>::C C;
  const bool fl = IsFloat<C>::value;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < g.m * g.splits; t += (i64)gridDim.x * blockDim.x) {
    const i64 o = t / g.splits, slice = t % g.splits;
    const i64 base = dims_offset(o, g.kdim, g.kshape, g.kst);
    double facc = (op == R_PROD) ? 1.0 : 0.0;
    i64 iacc = (op == R_PROD || op == R_ALL) ? 1 : 0;
    C best = 0;
    i64 best_j = -1;
    for (i64 j = slice; j < g.r; j += g.splits) {
      const i64 off = base + (g.rdim == 1 ? j * g.rst[0] : dims_offset(j, g.rdim, g.rshape, g.rst));
      const C x = Ty<S>::load(in[off]);
      switch (op) {
        case R_SUM: if (fl) facc += (double)x; else iacc += (i64)x; break;
        case R_PROD: if (fl) facc *= (double)x; else iacc = (i64)((u64)iacc * (u64)(i64)x); break;
        case R_ALL: iacc &= (x != (C)0); break;
        case R_ANY: iacc |= (x != (C)0); break;
        default: {
          // max/min propagate NaN; arg* keep the first extreme (NaN counts as extreme)
          const bool want_max = (op == R_MAX || op == R_ARGMAX);
          bool take = best_j < 0;
          if (!take && !is_nan(best)) take = is_nan(x) || (want_max ? x > best : x < best);
          if (take) { best = x; best_j = j; }
        }
      }
    }
    switch (op) {
      case R_SUM:
      case R_PROD: store_code(out, t, dst, fl, facc, iacc); break;
      case R_ALL:
      case R_ANY: store_code(out, t, dst, false, 0.0, iacc); break;
      case R_ARGMAX:
      case R_ARGMIN: store_code(out, t, dst, false, 0.0, best_j); break;
      default: store_code(out, t, dst, fl, (double)best, (i64)best); break;
    }
  }
}

// Inclusive cumsum / cumprod along the middle dim of a contiguous
// [outer, n, inner] input into an output of the same layout: one thread per
// row, accumulating in double or int64 as the CPU kernel does.
template <typename S>
__device__ __forceinline__ void scan(i64 outer, i64 n, i64 inner, int prod, S *__restrict__ out,
                                     const S *__restrict__ in) {
  typedef typename Ty<S>::C C;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < outer * inner; t += (i64)gridDim.x * blockDim.x) {
    const i64 base = (t / inner) * n * inner + t % inner;
    double f = prod ? 1.0 : 0.0;
    u64 k = prod ? 1 : 0;
    for (i64 j = 0; j < n; j++) {
      const i64 off = base + j * inner;
      const C x = Ty<S>::load(in[off]);
      if constexpr (IsFloat<C>::value) {
        f = prod ? f * (double)x : f + (double)x;
        out[off] = Ty<S>::store((C)f);
      } else {
        k = prod ? k * (u64)(i64)x : k + (u64)(i64)x;
        out[off] = (S)(i64)k;
      }
    }
  }
}

#define INSTANTIATE_REDUCE(S, NAME)                                                            \
  extern "C" __global__ void reduce_##NAME(RGeo g, int op, int dst, void *out, const S *in) { \
    reduce<S>(g, op, dst, out, in);                                                            \
  }                                                                                            \
  extern "C" __global__ void scan_##NAME(i64 outer, i64 n, i64 inner, int prod, S *out,       \
                                         const S *in) {                                        \
    scan<S>(outer, n, inner, prod, out, in);                                                   \
  }
INSTANTIATE_REDUCE(unsigned char, u8)
INSTANTIATE_REDUCE(signed char, i8)
INSTANTIATE_REDUCE(short, i16)
INSTANTIATE_REDUCE(int, i32)
INSTANTIATE_REDUCE(i64, i64)
INSTANTIATE_REDUCE(half_t, f16)
INSTANTIATE_REDUCE(bf16_t, bf16)
INSTANTIATE_REDUCE(float, f32)
INSTANTIATE_REDUCE(double, f64)
