// Compiles the CUDA kernel sources as host C++ (g++ -DFT_HOST -include this)
// so tests can check the kernels' arithmetic against numpy on machines
// without a GPU. A launch is one call with a 1x1 grid: every kernel is a
// grid-stride loop, so that one "thread" visits every element in order.
#pragma once
#include <cmath>
#include <cstring>
#include <math.h>

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
struct ft_dim3 { unsigned x, y, z; };
static const ft_dim3 blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};

static inline unsigned __umulhi(unsigned a, unsigned b) {
  return (unsigned)(((unsigned long long)a * b) >> 32);
}
static inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
static inline float h2f(unsigned short h) { _Float16 x; std::memcpy(&x, &h, 2); return (float)x; }
static inline unsigned short f2h(float f) { _Float16 x = (_Float16)f; unsigned short h; std::memcpy(&h, &x, 2); return h; }
static inline unsigned short d2h(double d) { _Float16 x = (_Float16)d; unsigned short h; std::memcpy(&h, &x, 2); return h; }
// CUDA's erfinv has no libm twin: Newton steps on erf from a rough start.
static inline double erfinv(double y) {
  if (y <= -1) return y == -1 ? -INFINITY : NAN;
  if (y >= 1) return y == 1 ? INFINITY : NAN;
  double w = -std::log((1 - y) * (1 + y)), x = std::copysign(std::sqrt(w), y) * 0.9;
  for (int i = 0; i < 60; i++) x -= (std::erf(x) - y) / (1.1283791670955126 * std::exp(-x * x));
  return x;
}
static inline float erfinv(float y) { return (float)erfinv((double)y); }
// Atomics: the host build runs one thread.
template <typename T> static inline T atomicAdd(T *p, T v) { T old = *p; *p = old + v; return old; }
static inline unsigned atomicCAS(unsigned *p, unsigned cmp, unsigned v) { unsigned old = *p; if (old == cmp) *p = v; return old; }
