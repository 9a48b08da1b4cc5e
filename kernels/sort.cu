// Sorting along one dim and the scatters behind unique.
//
// sort: a segmented bitonic sort of (key, original index) pairs in scratch
// rows padded to a power of two P. Each (k, j) stage is one launch whose
// compare-exchange pairs are disjoint, so the stages are exact however the
// threads are scheduled (one host "thread" included). The order is PyTorch's:
// NaN above every number (last ascending, first descending), equal keys by
// original index (stable, so CUDA results equal the CPU's), padding last.
//
// The input is contiguous and read as (outer, n, inner): row r = o * inner + i
// holds the elements (o, 0..n, i).
#include "common.cuh"

// Does (a, ia) come before (b, ib)? Indices >= n are padding.
template <typename C>
__device__ __forceinline__ bool before(C a, i64 ia, C b, i64 ib, i64 n, int desc) {
  if (ia >= n || ib >= n) return ib >= n && (ia < n || ia < ib);
  const bool an = a != a, bn = b != b;
  if (an != bn) return desc ? an : bn;
  if (!an && a != b) return desc ? a > b : a < b;
  return ia < ib;
}

template <typename S>
__device__ __forceinline__ void sort_init(i64 rows, i64 n, i64 inner, i64 p2, const S *__restrict__ in,
                                          S *keys, i64 *idx) {
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < rows * p2; t += (i64)gridDim.x * blockDim.x) {
    const i64 r = t / p2, p = t % p2;
    keys[t] = p < n ? in[((r / inner) * n + p) * inner + r % inner] : S();
    idx[t] = p;
  }
}

// One bitonic stage: blocks of k elements, partners j apart; pair q of row
// r is (i, i | j) with i = q's bits with a 0 inserted at j's bit.
template <typename S>
__device__ __forceinline__ void sort_step(i64 rows, i64 n, i64 p2, i64 j, i64 k, int desc, S *keys, i64 *idx) {
  typedef typename Ty<S>::C C;
  const i64 half = p2 / 2;
  for (i64 q = (i64)blockIdx.x * blockDim.x + threadIdx.x; q < rows * half; q += (i64)gridDim.x * blockDim.x) {
    const i64 h = q % half, i = ((h & ~(j - 1)) << 1) | (h & (j - 1));
    const i64 a = (q / half) * p2 + i, b = a + j;
    const C ka = Ty<S>::load(keys[a]), kb = Ty<S>::load(keys[b]);
    const i64 ia = idx[a], ib = idx[b];
    const bool swap = (i & k) == 0 ? before(kb, ib, ka, ia, n, desc) : before(ka, ia, kb, ib, n, desc);
    if (swap) {
      const S t = keys[a];
      keys[a] = keys[b];
      keys[b] = t;
      idx[a] = ib;
      idx[b] = ia;
    }
  }
}

// The first n of each scratch row back to (outer, n, inner).
template <typename S>
__device__ __forceinline__ void sort_finish(i64 rows, i64 n, i64 inner, i64 p2, const S *__restrict__ keys,
                                            const i64 *__restrict__ idx, S *vals, i64 *out_idx) {
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < rows * n; t += (i64)gridDim.x * blockDim.x) {
    const i64 r = t / n, p = t % n;
    const i64 dst = ((r / inner) * n + p) * inner + r % inner, src = r * p2 + p;
    vals[dst] = keys[src];
    out_idx[dst] = idx[src];
  }
}

// unique: flags[k] = 1 where element k starts a run of equal values (NaNs
// never equal, as on the CPU).
template <typename S>
__device__ __forceinline__ void unique_flags(i64 n, const S *__restrict__ v, i64 *flags) {
  for (i64 k = (i64)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += (i64)gridDim.x * blockDim.x)
    flags[k] = k == 0 || Ty<S>::load(v[k]) != Ty<S>::load(v[k - 1]);
}

// With gid the inclusive cumsum of the flags: run g's first value and start,
// starts[runs] = n, and every element's run written at its original position
// (`order[k]`, or k without a sort).
template <typename S>
__device__ __forceinline__ void unique_scatter(i64 n, const S *__restrict__ v, const i64 *__restrict__ order,
                                               const i64 *__restrict__ gid, S *vals, i64 *inverse, i64 *starts) {
  for (i64 k = (i64)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += (i64)gridDim.x * blockDim.x) {
    const i64 g = gid[k] - 1;
    inverse[order ? order[k] : k] = g;
    if (k == 0 || gid[k] != gid[k - 1]) {
      vals[g] = v[k];
      starts[g] = k;
    }
    if (k == n - 1) starts[g + 1] = n;
  }
}

#define INSTANTIATE_SORT(S, NAME)                                                                \
  extern "C" __global__ void sort_init_##NAME(i64 rows, i64 n, i64 inner, i64 p2, const S *in,   \
                                              S *keys, i64 *idx) {                               \
    sort_init<S>(rows, n, inner, p2, in, keys, idx);                                             \
  }                                                                                              \
  extern "C" __global__ void sort_step_##NAME(i64 rows, i64 n, i64 p2, i64 j, i64 k, int desc,   \
                                              S *keys, i64 *idx) {                               \
    sort_step<S>(rows, n, p2, j, k, desc, keys, idx);                                            \
  }                                                                                              \
  extern "C" __global__ void sort_finish_##NAME(i64 rows, i64 n, i64 inner, i64 p2, const S *keys, \
                                                const i64 *idx, S *vals, i64 *out_idx) {         \
    sort_finish<S>(rows, n, inner, p2, keys, idx, vals, out_idx);                                \
  }                                                                                              \
  extern "C" __global__ void unique_flags_##NAME(i64 n, const S *v, i64 *flags) {               \
    unique_flags<S>(n, v, flags);                                                                \
  }                                                                                              \
  extern "C" __global__ void unique_scatter_##NAME(i64 n, const S *v, const i64 *order,         \
                                                   const i64 *gid, S *vals, i64 *inverse,       \
                                                   i64 *starts) {                                \
    unique_scatter<S>(n, v, order, gid, vals, inverse, starts);                                  \
  }
INSTANTIATE_SORT(unsigned char, u8)
INSTANTIATE_SORT(signed char, i8)
INSTANTIATE_SORT(short, i16)
INSTANTIATE_SORT(int, i32)
INSTANTIATE_SORT(i64, i64)
INSTANTIATE_SORT(half_t, f16)
INSTANTIATE_SORT(bf16_t, bf16)
INSTANTIATE_SORT(float, f32)
INSTANTIATE_SORT(double, f64)
