// Shared by every kernel source: storage types, loads/stores through the
// compute type, and the strided-geometry parameter block.
//
// No CUDA headers: the kernels compile with a bare compiler, and float16 /
// bfloat16 are converted with inline PTX and bit arithmetic.
#pragma once

typedef unsigned long long u64;
typedef long long i64;

// dtype codes: the order of ferrotorch_core::DType.
enum DtypeCode { D_BOOL, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

struct half_t { unsigned short x; };
struct bf16_t { unsigned short x; };

#ifndef FT_HOST
__device__ __forceinline__ float h2f(unsigned short h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
}
__device__ __forceinline__ unsigned short f2h(float f) {
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
}
__device__ __forceinline__ unsigned short d2h(double d) {
  unsigned short h;
  asm("cvt.rn.f16.f64 %0, %1;" : "=h"(h) : "d"(d));
  return h;
}
#endif  // FT_HOST: tests/kernels_host.h supplies these for a host build
__device__ __forceinline__ float bf2f(unsigned short b) {
  return __uint_as_float(((unsigned)b) << 16);
}
// Round to nearest even, NaN stays a (quiet) NaN.
__device__ __forceinline__ unsigned short f2bf(float f) {
  unsigned u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (unsigned short)(u >> 16);
}

// Ty<S>: storage type S, compute type C (float for the half types).
template <typename S> struct Ty {
  typedef S C;
  static __device__ __forceinline__ C load(S v) { return v; }
  static __device__ __forceinline__ S store(C v) { return v; }
};
template <> struct Ty<half_t> {
  typedef float C;
  static __device__ __forceinline__ C load(half_t v) { return h2f(v.x); }
  static __device__ __forceinline__ half_t store(C v) { half_t r; r.x = f2h(v); return r; }
};
template <> struct Ty<bf16_t> {
  typedef float C;
  static __device__ __forceinline__ C load(bf16_t v) { return bf2f(v.x); }
  static __device__ __forceinline__ bf16_t store(C v) { bf16_t r; r.x = f2bf(v); return r; }
};

// A value passed by the host as the low bytes of a u64 (little-endian).
template <typename T> __device__ __forceinline__ T from_bits(u64 b) {
  union { u64 u; T v; } x;
  x.u = b;
  return x.v;
}

template <typename C> struct IsFloat { static const bool value = false; };
template <> struct IsFloat<float> { static const bool value = true; };
template <> struct IsFloat<double> { static const bool value = true; };

// Conversions with ferrotorch's CPU semantics (Rust `as`): floats to ints
// truncate and saturate through int64 (NaN -> 0), then wrap to the width.
__device__ __forceinline__ i64 sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return 9223372036854775807ll;
  if (v <= -9223372036854775808.0) return -9223372036854775807ll - 1;
  return (i64)v;
}
template <typename D> struct Conv;
#define INT_CONV(T)                                                              \
  template <> struct Conv<T> {                                                   \
    static __device__ __forceinline__ T from_i(i64 v) { return (T)v; }           \
    static __device__ __forceinline__ T from_f(double v) { return (T)sat_i64(v); } \
  };
INT_CONV(unsigned char)
INT_CONV(signed char)
INT_CONV(short)
INT_CONV(int)
INT_CONV(i64)
template <> struct Conv<float> {
  static __device__ __forceinline__ float from_i(i64 v) { return (float)v; }
  static __device__ __forceinline__ float from_f(double v) { return (float)v; }
};
template <> struct Conv<double> {
  static __device__ __forceinline__ double from_i(i64 v) { return (double)v; }
  static __device__ __forceinline__ double from_f(double v) { return v; }
};
template <> struct Conv<half_t> {
  static __device__ __forceinline__ half_t from_i(i64 v) { half_t r; r.x = d2h((double)v); return r; }
  static __device__ __forceinline__ half_t from_f(double v) { half_t r; r.x = d2h(v); return r; }
};
template <> struct Conv<bf16_t> {
  static __device__ __forceinline__ bf16_t from_i(i64 v) { bf16_t r; r.x = f2bf((float)v); return r; }
  static __device__ __forceinline__ bf16_t from_f(double v) { bf16_t r; r.x = f2bf((float)v); return r; }
};

// Writes a value held as (is_float ? f : i) into element `k` of a buffer of dtype `code`.
__device__ __forceinline__ void store_code(void *out, i64 k, int code, bool is_float, double f, i64 i) {
  switch (code) {
#define CASE(CODE, T)                                                          \
  case CODE:                                                                   \
    ((T *)out)[k] = is_float ? Conv<T>::from_f(f) : Conv<T>::from_i(i);        \
    break;
    case D_BOOL: ((unsigned char *)out)[k] = is_float ? (f != 0.0) : (i != 0); break;
    CASE(D_U8, unsigned char)
    CASE(D_I8, signed char)
    CASE(D_I16, short)
    CASE(D_I32, int)
    CASE(D_I64, i64)
    CASE(D_F16, half_t)
    CASE(D_BF16, bf16_t)
    CASE(D_F32, float)
    CASE(D_F64, double)
#undef CASE
  }
}

// Any value of up to 8 bytes shuffled across the warp (every lane calls).
template <typename T> __device__ __forceinline__ T shfl_down_any(T v, int d) {
  union { T v; unsigned long long u; } x;
  x.u = 0;
  x.v = v;
  x.u = __shfl_down_sync(0xffffffffu, x.u, d);
  return x.v;
}
template <typename T> __device__ __forceinline__ T shfl_xor_any(T v, int m) {
  union { T v; unsigned long long u; } x;
  x.u = 0;
  x.v = v;
  x.u = __shfl_xor_sync(0xffffffffu, x.u, m);
  return x.v;
}

// Strided geometry, passed by value. Dim-collapsed on the host; operand 0 is
// the output, 1.. the inputs; strides in elements (0 on broadcast dims).
#define MAX_DIMS 8
#define MAX_OPERANDS 4
struct Geo {
  i64 n;
  int ndim;
  int contiguous;  // every operand is dense in output order: offsets are i
  i64 shape[MAX_DIMS];
  i64 st[MAX_OPERANDS][MAX_DIMS];
};

// Element offsets of linear index i for the first K operands.
template <int K>
__device__ __forceinline__ void offsets(const Geo &g, i64 i, i64 (&off)[K]) {
#pragma unroll
  for (int k = 0; k < K; k++) off[k] = 0;
  for (int d = g.ndim - 1; d >= 0; d--) {
    i64 s = g.shape[d];
    i64 idx = i % s;
    i /= s;
#pragma unroll
    for (int k = 0; k < K; k++) off[k] += idx * g.st[k][d];
  }
}

// Grid-stride loop over every element. On dense operands each thread takes
// UNROLL elements a block apart and issues all their loads before any store,
// so enough loads are in flight to saturate memory bandwidth (outputs never
// alias inputs).
// compute(off) loads and computes one value from the operands' offsets;
// store(off0, v) writes it.
#define UNROLL 4
template <int K, typename V, typename Compute, typename Store>
__device__ __forceinline__ void elementwise(const Geo &g, Compute compute, Store store) {
  if (!g.contiguous) {  // strided: index arithmetic dominates, no unrolling
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < g.n; i += (i64)gridDim.x * blockDim.x) {
      i64 off[K];
      offsets<K>(g, i, off);
      store(off[0], compute(off));
    }
    return;
  }
  const i64 step = (i64)gridDim.x * blockDim.x * UNROLL;
  for (i64 base = (i64)blockIdx.x * blockDim.x * UNROLL + threadIdx.x; base < g.n; base += step) {
    V v[UNROLL];
#pragma unroll
    for (int u = 0; u < UNROLL; u++) {
      i64 i = base + (i64)u * blockDim.x;
      if (i < g.n) {
        i64 off[K];
#pragma unroll
        for (int k = 0; k < K; k++) off[k] = i;
        v[u] = compute(off);
      }
    }
#pragma unroll
    for (int u = 0; u < UNROLL; u++) {
      i64 i = base + (i64)u * blockDim.x;
      if (i < g.n) store(i, v[u]);
    }
  }
}
