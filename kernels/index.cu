// Indexing along one dim: gather / index_select (read) and scatter /
// scatter_add / index_add (write). The geometry walks the index's shape
// (Geo operands: 0 the written tensor, 1 the index, 2 the read tensor), with
// the indexed dim's stride of the looked-up tensor left out of the Geo and
// added as `index * dstride`. An out-of-range index sets *err (reported by the
// host at its next synchronization, like a device-side assert) and is skipped.
#include "common.cuh"

__device__ __forceinline__ bool wrap_index(i64 &ix, i64 size, int *err) {
  if (ix < 0) ix += size;
  if (ix < 0 || ix >= size) {
    *err = 1;
    return false;
  }
  return true;
}

// out[i] = src[off(i) + index[i] * dstride]
template <typename S>
__device__ __forceinline__ void gather(const Geo &g, S *out, const i64 *__restrict__ index,
                                       const S *__restrict__ src, i64 dstride, i64 size, int *err) {
  elementwise<3, S>(
      g,
      [&](const i64(&off)[3]) {
        i64 ix = index[off[1]];
        return wrap_index(ix, size, err) ? src[off[2] + ix * dstride] : S();
      },
      [&](i64 k, S v) { out[k] = v; });
}

template <typename S> __device__ __forceinline__ void atomic_add(S *p, S v);
template <> __device__ __forceinline__ void atomic_add(float *p, float v) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_add(double *p, double v) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_add(int *p, int v) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_add(i64 *p, i64 v) {
  atomicAdd((unsigned long long *)p, (unsigned long long)v);
}

// dst[off(i) + index[i] * dstride] = src[i] (or the value `bits`), or += with `accumulate`
template <typename S, bool ATOMIC>
__device__ __forceinline__ void scatter(const Geo &g, S *dst, const i64 *__restrict__ index,
                                        const S *__restrict__ src, i64 dstride, i64 size, u64 bits,
                                        int accumulate, int *err) {
  const S value = from_bits<S>(bits);
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < g.n; i += (i64)gridDim.x * blockDim.x) {
    i64 off[3];
    offsets<3>(g, i, off);
    i64 ix = index[off[1]];
    if (!wrap_index(ix, size, err)) continue;
    const S v = src ? src[off[2]] : value;
    if constexpr (ATOMIC) {
      if (accumulate) {
        atomic_add(&dst[off[0] + ix * dstride], v);
        continue;
      }
    }
    dst[off[0] + ix * dstride] = v;
  }
}

#define INSTANTIATE_INDEX(S, NAME, ATOMIC)                                                       \
  extern "C" __global__ void gather_##NAME(Geo g, S *out, const i64 *index, const S *src,       \
                                           i64 dstride, i64 size, int *err) {                   \
    gather<S>(g, out, index, src, dstride, size, err);                                           \
  }                                                                                              \
  extern "C" __global__ void scatter_##NAME(Geo g, S *dst, const i64 *index, const S *src,      \
                                            i64 dstride, i64 size, u64 bits, int accumulate,    \
                                            int *err) {                                          \
    scatter<S, ATOMIC>(g, dst, index, src, dstride, size, bits, accumulate, err);               \
  }
// accumulation needs a native atomic add: float, double, int32, int64
INSTANTIATE_INDEX(unsigned char, u8, false)
INSTANTIATE_INDEX(signed char, i8, false)
INSTANTIATE_INDEX(short, i16, false)
INSTANTIATE_INDEX(int, i32, true)
INSTANTIATE_INDEX(i64, i64, true)
INSTANTIATE_INDEX(half_t, f16, false)
INSTANTIATE_INDEX(bf16_t, bf16, false)
INSTANTIATE_INDEX(float, f32, true)
INSTANTIATE_INDEX(double, f64, true)
