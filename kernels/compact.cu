// Stream compaction over a mask, in row-major order, for nonzero,
// masked_select and masked_scatter. Three launches, each parallel over
// chunks of `chunk` consecutive elements (a thread per chunk):
//   compact_count   counts[c] = true elements in chunk c
//   compact_scan    exclusive prefix sum of counts, total in counts[nchunks]
//   nonzero_coords / masked_compact / masked_expand
//                   each chunk walks its elements again and writes its true
//                   ones from position counts[c] on.
// Results are exact and ordered whatever the thread count (one thread
// visiting every chunk in order gives the same output).
#include "common.cuh"

#define MAX_NZ_DIMS 16
// The (uncollapsed) shape whose coordinates nonzero writes.
struct Dims {
  i64 ndim;
  i64 s[MAX_NZ_DIMS];
};

// Mask element i of a one-operand geometry (dense: offset i).
__device__ __forceinline__ bool mask_at(const Geo &g, const unsigned char *m, i64 i) {
  if (g.contiguous) return m[i] != 0;
  i64 off[1];
  offsets<1>(g, i, off);
  return m[off[0]] != 0;
}

extern "C" __global__ void compact_count(Geo g, i64 chunk, i64 nchunks, const unsigned char *mask,
                                         i64 *counts) {
  for (i64 c = (i64)blockIdx.x * blockDim.x + threadIdx.x; c < nchunks; c += (i64)gridDim.x * blockDim.x) {
    const i64 end = (c + 1) * chunk < g.n ? (c + 1) * chunk : g.n;
    i64 k = 0;
    for (i64 i = c * chunk; i < end; i++) k += mask_at(g, mask, i);
    counts[c] = k;
  }
}

// One thread: the chunk counts are few (the host keeps nchunks small).
extern "C" __global__ void compact_scan(i64 nchunks, i64 *counts) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  i64 s = 0;
  for (i64 c = 0; c < nchunks; c++) {
    const i64 k = counts[c];
    counts[c] = s;
    s += k;
  }
  counts[nchunks] = s;
}

// out[w][*] = coordinates (in `d`) of the w-th true element of a dense mask.
extern "C" __global__ void nonzero_coords(Dims d, i64 n, i64 chunk, i64 nchunks, const unsigned char *mask,
                                          const i64 *counts, i64 *out) {
  const int nd = (int)d.ndim;
  for (i64 c = (i64)blockIdx.x * blockDim.x + threadIdx.x; c < nchunks; c += (i64)gridDim.x * blockDim.x) {
    const i64 start = c * chunk, end = start + chunk < n ? start + chunk : n;
    i64 pos[MAX_NZ_DIMS];
    i64 r = start;
    for (int k = nd - 1; k >= 0; k--) {
      pos[k] = r % d.s[k];
      r /= d.s[k];
    }
    i64 w = counts[c];
    for (i64 i = start; i < end; i++) {
      if (mask[i]) {
        for (int k = 0; k < nd; k++) out[w * nd + k] = pos[k];
        w++;
      }
      for (int k = nd - 1; k >= 0; k--) {
        if (++pos[k] < d.s[k]) break;
        pos[k] = 0;
      }
    }
  }
}

// Geo operands: 0 the strided tensor, 1 the mask (both over the broadcast shape).
// masked_compact: out[w] = src[i] for the w-th true element, w < cap (out is dense).
template <typename S>
__device__ __forceinline__ void masked_compact(const Geo &g, i64 chunk, i64 nchunks, const i64 *counts,
                                               const S *__restrict__ src, const unsigned char *__restrict__ mask,
                                               S *__restrict__ out, i64 cap) {
  for (i64 c = (i64)blockIdx.x * blockDim.x + threadIdx.x; c < nchunks; c += (i64)gridDim.x * blockDim.x) {
    const i64 end = (c + 1) * chunk < g.n ? (c + 1) * chunk : g.n;
    i64 w = counts[c];
    for (i64 i = c * chunk; i < end && w < cap; i++) {
      i64 off[2];
      offsets<2>(g, i, off);
      if (mask[off[1]]) out[w++] = src[off[0]];
    }
  }
}

// masked_expand (masked_scatter): dst[i] = src[w] for the w-th true element;
// a source shorter than the mask's count sets *err.
template <typename S>
__device__ __forceinline__ void masked_expand(const Geo &g, i64 chunk, i64 nchunks, const i64 *counts,
                                              S *__restrict__ dst, const unsigned char *__restrict__ mask,
                                              const S *__restrict__ src, i64 src_n, int *err) {
  for (i64 c = (i64)blockIdx.x * blockDim.x + threadIdx.x; c < nchunks; c += (i64)gridDim.x * blockDim.x) {
    const i64 end = (c + 1) * chunk < g.n ? (c + 1) * chunk : g.n;
    i64 w = counts[c];
    for (i64 i = c * chunk; i < end; i++) {
      i64 off[2];
      offsets<2>(g, i, off);
      if (!mask[off[1]]) continue;
      if (w >= src_n) {
        *err = 1;
        break;
      }
      dst[off[0]] = src[w++];
    }
  }
}

#define INSTANTIATE_COMPACT(S, NAME)                                                                 \
  extern "C" __global__ void masked_compact_##NAME(Geo g, i64 chunk, i64 nchunks, const i64 *counts, \
                                                   const S *src, const unsigned char *mask, S *out,  \
                                                   i64 cap) {                                         \
    masked_compact<S>(g, chunk, nchunks, counts, src, mask, out, cap);                                \
  }                                                                                                   \
  extern "C" __global__ void masked_expand_##NAME(Geo g, i64 chunk, i64 nchunks, const i64 *counts,  \
                                                  S *dst, const unsigned char *mask, const S *src,   \
                                                  i64 src_n, int *err) {                              \
    masked_expand<S>(g, chunk, nchunks, counts, dst, mask, src, src_n, err);                          \
  }
INSTANTIATE_COMPACT(unsigned char, u8)
INSTANTIATE_COMPACT(signed char, i8)
INSTANTIATE_COMPACT(short, i16)
INSTANTIATE_COMPACT(int, i32)
INSTANTIATE_COMPACT(i64, i64)
INSTANTIATE_COMPACT(half_t, f16)
INSTANTIATE_COMPACT(bf16_t, bf16)
INSTANTIATE_COMPACT(float, f32)
INSTANTIATE_COMPACT(double, f64)
