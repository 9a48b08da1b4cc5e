// Counter-based random numbers: Philox4x32-10, the same stream as the CPU
// generator (ferrotorch_core::random): for one (seed, offset) CUDA and CPU
// draw identical values. Element i of a draw reads 32-bit words 2i and 2i+1
// of the stream, i.e. half of Philox block offset + i/2.
#include "common.cuh"

__device__ __forceinline__ void philox(u64 counter, u64 seed, unsigned (&c)[4]) {
  c[0] = (unsigned)counter;
  c[1] = (unsigned)(counter >> 32);
  c[2] = 0;
  c[3] = 0;
  unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
#pragma unroll
  for (int r = 0; r < 10; r++) {
    unsigned hi0 = __umulhi(0xD2511F53u, c[0]), lo0 = 0xD2511F53u * c[0];
    unsigned hi1 = __umulhi(0xCD9E8D57u, c[2]), lo1 = 0xCD9E8D57u * c[2];
    unsigned n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// The two words of element i.
__device__ __forceinline__ void words(u64 seed, u64 offset, i64 i, unsigned &w0, unsigned &w1) {
  unsigned c[4];
  philox(offset + (u64)(i >> 1), seed, c);
  const int lane = (int)(i & 1) * 2;
  w0 = c[lane];
  w1 = c[lane + 1];
}

// Uniform [0, 1) double with 53 random bits, as the CPU generator.
__device__ __forceinline__ double to_unit(unsigned w0, unsigned w1) {
  u64 bits = (((u64)w0) << 21) ^ (((u64)w1) >> 11);
  return (double)(bits & ((1ull << 53) - 1)) / 9007199254740992.0;
}

// out[i] = lo + (hi - lo) * u (contiguous, dtype code `dst`), u keeping
// log2(scale) random bits so that it stays below 1 in the output dtype.
extern "C" __global__ void uniform(i64 n, int dst, void *out, u64 seed, u64 offset, double lo,
                                   double hi, double scale) {
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
    unsigned w0, w1;
    words(seed, offset, i, w0, w1);
    double u = floor(to_unit(w0, w1) * scale) / scale;
    store_code(out, i, dst, true, lo == 0.0 && hi == 1.0 ? u : lo + (hi - lo) * u, 0);
  }
}

// Box-Muller on pairs: element 2j is r cos(t), 2j+1 is r sin(t), where the
// pair's two uniforms are elements 2j and 2j+1 (Philox block offset + j).
extern "C" __global__ void normal(i64 n, int dst, void *out, u64 seed, u64 offset, double mean,
                                  double std) {
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
    unsigned c[4];
    philox(offset + (u64)(i >> 1), seed, c);
    double u0 = to_unit(c[0], c[1]), u1 = to_unit(c[2], c[3]);
    double r = sqrt(-2.0 * log(1.0 - u0));
    double t = 2.0 * 3.141592653589793 * u1;
    double z = (i & 1) ? r * sin(t) : r * cos(t);
    store_code(out, i, dst, true, mean + std * z, 0);
  }
}

// Uniform integers in [low, low + range) (range 0 means 2^64).
extern "C" __global__ void integers(i64 n, int dst, void *out, u64 seed, u64 offset, i64 low,
                                    u64 range) {
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
    unsigned w0, w1;
    words(seed, offset, i, w0, w1);
    u64 x = (((u64)w0) << 32) | w1;
    if (range) x %= range;
    store_code(out, i, dst, false, 0.0, (i64)((u64)low + x));
  }
}
