// Indexing along one dim: gather / index_select (read) and scatter /
// scatter_add / index_add (write); advanced indexing further down. The geometry walks the index's shape
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

// Accumulation with the CPU's semantics: `mode` 1 adds (ints wrap, floats
// round the exact sum once), 2 ORs (bool).
template <typename S> __device__ __forceinline__ S acc_value(S a, S b, int mode) {
  if (mode == 2) return (S)((a != 0) | (b != 0));
  return (S)(a + b);
}
template <> __device__ __forceinline__ half_t acc_value(half_t a, half_t b, int) {
  half_t r;
  r.x = d2h((double)h2f(a.x) + (double)h2f(b.x));
  return r;
}
template <> __device__ __forceinline__ bf16_t acc_value(bf16_t a, bf16_t b, int) {
  bf16_t r;
  r.x = f2bf((float)((double)bf2f(a.x) + (double)bf2f(b.x)));
  return r;
}

// 1- and 2-byte types have no atomic add: compare-and-swap their aligned 32-bit word.
template <typename S> __device__ __forceinline__ void atomic_acc(S *p, S v, int mode) {
  unsigned *word = (unsigned *)((u64)p & ~(u64)3);
  const unsigned shift = (unsigned)((u64)p & 3) * 8;
  const unsigned mask = (sizeof(S) == 1 ? 0xffu : 0xffffu) << shift;
  unsigned old = *word, assumed;
  do {
    assumed = old;
    union { u64 u; S s; } x;
    x.u = 0;
    x.s = acc_value(from_bits<S>((assumed & mask) >> shift), v, mode);
    old = atomicCAS(word, assumed, (assumed & ~mask) | (((unsigned)x.u << shift) & mask));
  } while (old != assumed);
}
template <> __device__ __forceinline__ void atomic_acc(float *p, float v, int) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_acc(double *p, double v, int) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_acc(int *p, int v, int) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_acc(i64 *p, i64 v, int) {
  atomicAdd((unsigned long long *)p, (unsigned long long)v);
}

// dst[off(i) + index[i] * dstride] = src[i] (or the value `bits`), or
// accumulated with `mode` (see acc_value; 0 stores)
template <typename S>
__device__ __forceinline__ void scatter(const Geo &g, S *dst, const i64 *__restrict__ index,
                                        const S *__restrict__ src, i64 dstride, i64 size, u64 bits,
                                        int mode, int *err) {
  const S value = from_bits<S>(bits);
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < g.n; i += (i64)gridDim.x * blockDim.x) {
    i64 off[3];
    offsets<3>(g, i, off);
    i64 ix = index[off[1]];
    if (!wrap_index(ix, size, err)) continue;
    const S v = src ? src[off[2]] : value;
    if (mode) atomic_acc(&dst[off[0] + ix * dstride], v, mode);
    else dst[off[0] + ix * dstride] = v;
  }
}

// Advanced indexing (several index tensors, PyTorch's aten::index /
// index_put_): a first pass turns the broadcast index tensors into one element
// offset per broadcast position, then the gather / put walks
// [broadcast dims..., remaining dims...] adding that offset to the remaining
// dims' strided offset. An out-of-range index marks its position SKIP.
#define SKIP (-9223372036854775807ll - 1)

// Geo operands: 0 the dense offsets over the broadcast shape, 1 one index
// tensor broadcast to it. off += wrap(index) * stride (`first`: off = ...).
extern "C" __global__ void adv_offset(Geo g, i64 *off, const i64 *index, i64 size, i64 stride, int first,
                                      int *err) {
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < g.n; i += (i64)gridDim.x * blockDim.x) {
    i64 o[2];
    offsets<2>(g, i, o);
    const i64 prev = first ? 0 : off[o[0]];
    if (prev == SKIP) continue;
    i64 ix = index[o[1]];
    off[o[0]] = wrap_index(ix, size, err) ? prev + ix * stride : SKIP;
  }
}

// Geo operands: 0 out, 1 the offsets, 2 src's remaining dims.
template <typename S>
__device__ __forceinline__ void index_gather(const Geo &g, S *out, const i64 *__restrict__ adv,
                                             const S *__restrict__ src) {
  elementwise<3, S>(
      g,
      [&](const i64(&off)[3]) {
        const i64 a = adv[off[1]];
        return a == SKIP ? S() : src[a + off[2]];
      },
      [&](i64 k, S v) { out[k] = v; });
}

// Geo operands: 0 dst's remaining dims, 1 the offsets, 2 the values.
template <typename S>
__device__ __forceinline__ void index_put(const Geo &g, S *dst, const i64 *__restrict__ adv,
                                          const S *__restrict__ values, int mode) {
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < g.n; i += (i64)gridDim.x * blockDim.x) {
    i64 off[3];
    offsets<3>(g, i, off);
    const i64 a = adv[off[1]];
    if (a == SKIP) continue;
    if (mode) atomic_acc(&dst[a + off[0]], values[off[2]], mode);
    else dst[a + off[0]] = values[off[2]];
  }
}

#define INSTANTIATE_INDEX(S, NAME)                                                               \
  extern "C" __global__ void gather_##NAME(Geo g, S *out, const i64 *index, const S *src,       \
                                           i64 dstride, i64 size, int *err) {                   \
    gather<S>(g, out, index, src, dstride, size, err);                                           \
  }                                                                                              \
  extern "C" __global__ void scatter_##NAME(Geo g, S *dst, const i64 *index, const S *src,      \
                                            i64 dstride, i64 size, u64 bits, int mode,          \
                                            int *err) {                                          \
    scatter<S>(g, dst, index, src, dstride, size, bits, mode, err);                              \
  }                                                                                              \
  extern "C" __global__ void index_gather_##NAME(Geo g, S *out, const i64 *adv, const S *src) { \
    index_gather<S>(g, out, adv, src);                                                           \
  }                                                                                              \
  extern "C" __global__ void index_put_##NAME(Geo g, S *dst, const i64 *adv, const S *values,   \
                                              int mode) {                                        \
    index_put<S>(g, dst, adv, values, mode);                                                     \
  }
INSTANTIATE_INDEX(unsigned char, u8)
INSTANTIATE_INDEX(signed char, i8)
INSTANTIATE_INDEX(short, i16)
INSTANTIATE_INDEX(int, i32)
INSTANTIATE_INDEX(i64, i64)
INSTANTIATE_INDEX(half_t, f16)
INSTANTIATE_INDEX(bf16_t, bf16)
INSTANTIATE_INDEX(float, f32)
INSTANTIATE_INDEX(double, f64)
