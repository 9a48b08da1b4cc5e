// Reductions over any set of dims: sum, prod, max, min, argmax, argmin,
// all, any. Float sums and products accumulate in double, integer ones in
// int64, as the CPU kernels do; max/min propagate NaN; argmax/argmin keep the
// first extreme (NaN counts as extreme), whatever order threads combine in.
//
// Work items: output o's reduced elements j in [0, r) may be cut into
// `splits` contiguous slices; item t = slice * m + o. A group of `group`
// threads reduces an item: the whole block (long contiguous rows), a warp
// (short rows: several rows per block) or one thread (columns: neighbouring
// threads take neighbouring outputs, so reads coalesce across threads).
// Groups of a block combine through warp shuffles and shared memory. With
// splits > 1 the items write accumulator partials, which `reduce_partials`
// then reduces per output (the two-pass path for few, long reductions).
#include "common.cuh"

enum RedOp { R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_ALL, R_ANY };

// Kept dims (one output each, in order) and reduced dims of the input,
// each merged where contiguous; strides in input elements.
struct RGeo {
  i64 m;       // outputs
  i64 r;       // elements reduced into each output
  i64 splits;  // slices per output (1: items write the final result)
  i64 group;   // threads per item: 1, 32 or blockDim.x
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

// Accumulator families: F_SUM, F_PROD (double or int64), F_EXT (max, min,
// argmax, argmin: value and index), F_LOGIC (all, any).
enum Family { F_SUM, F_PROD, F_EXT, F_LOGIC };
template <typename S, int F> struct Red;
template <typename S, int F> struct RedNum {
  typedef typename Ty<S>::C C;
  static const bool fl = IsFloat<C>::value;
  struct A { double f; i64 i; };  // f for floats, i for integers
  static __device__ __forceinline__ A init(int) { A a; a.f = F == F_PROD; a.i = F == F_PROD; return a; }
  static __device__ __forceinline__ A lift(C x, i64) { A a; a.f = fl ? (double)x : 0.0; a.i = fl ? 0 : (i64)x; return a; }
  static __device__ __forceinline__ A combine(A a, A b, int) {
    if (F == F_SUM) { a.f += b.f; a.i += b.i; }
    else { a.f *= b.f; a.i = (i64)((u64)a.i * (u64)b.i); }
    return a;
  }
  static __device__ __forceinline__ A down(A a, int d) {
    if (fl) a.f = shfl_down_any(a.f, d); else a.i = shfl_down_any(a.i, d);
    return a;
  }
  static __device__ __forceinline__ void store(void *out, i64 k, int dst, int, A a) { store_code(out, k, dst, fl, a.f, a.i); }
};
template <typename S> struct Red<S, F_SUM> : RedNum<S, F_SUM> {};
template <typename S> struct Red<S, F_PROD> : RedNum<S, F_PROD> {};
template <typename S> struct Red<S, F_EXT> {
  typedef typename Ty<S>::C C;
  struct A { C v; i64 j; };  // j < 0: nothing seen yet
  static __device__ __forceinline__ A init(int) { A a; a.v = 0; a.j = -1; return a; }
  static __device__ __forceinline__ A lift(C x, i64 j) { A a; a.v = x; a.j = j; return a; }
  // b wins over a: NaN first, then the extreme value, then the lower index
  static __device__ __forceinline__ A combine(A a, A b, int op) {
    if (a.j < 0) return b;
    if (b.j < 0) return a;
    bool take;
    if (is_nan(b.v)) take = !is_nan(a.v) || b.j < a.j;
    else if (is_nan(a.v)) take = false;
    else if (op == R_MAX || op == R_ARGMAX) take = b.v > a.v || (b.v == a.v && b.j < a.j);
    else take = b.v < a.v || (b.v == a.v && b.j < a.j);
    return take ? b : a;
  }
  static __device__ __forceinline__ A down(A a, int d) { a.v = shfl_down_any(a.v, d); a.j = shfl_down_any(a.j, d); return a; }
  static __device__ __forceinline__ void store(void *out, i64 k, int dst, int op, A a) {
    if (op == R_ARGMAX || op == R_ARGMIN) store_code(out, k, dst, false, 0.0, a.j);
    else store_code(out, k, dst, IsFloat<C>::value, (double)a.v, (i64)a.v);
  }
};
template <typename S> struct Red<S, F_LOGIC> {
  typedef typename Ty<S>::C C;
  typedef int A;
  static __device__ __forceinline__ A init(int op) { return op == R_ALL; }
  static __device__ __forceinline__ A lift(C x, i64) { return x != (C)0; }
  static __device__ __forceinline__ A combine(A a, A b, int op) { return op == R_ALL ? (a & b) : (a | b); }
  static __device__ __forceinline__ A down(A a, int d) { return shfl_down_any(a, d); }
  static __device__ __forceinline__ void store(void *out, i64 k, int dst, int, A a) { store_code(out, k, dst, false, 0.0, a); }
};

// Four consecutive elements, one aligned load.
template <typename S> struct alignas(4 * sizeof(S)) Vec4 { S v[4]; };
#define VEC_UNROLL 4

// Reduces the items; `in` is the input (S) or, with PARTIALS, the first
// pass's accumulators, then addressed by the same geometry.
template <typename S, int F, bool PARTIALS>
__device__ __forceinline__ void reduce_items(const RGeo &g, int op, int dst, void *out, const void *in) {
  typedef Red<S, F> R;
  typedef typename R::A A;
  typedef typename Ty<S>::C C;
  __shared__ A warp_acc[32];
  const i64 G = g.group, items = g.m * g.splits;
  const i64 lane = threadIdx.x % G;  // within the group
  const i64 groups = (i64)gridDim.x * blockDim.x / G;
  const i64 chunk = (g.r + g.splits - 1) / g.splits;
  // 4-wide loads for sums (sum, mean: the bandwidth-bound hot path; other ops keep PTX small)
  const bool dense = F == F_SUM && !PARTIALS && g.rdim == 1 && g.rst[0] == 1 && G >= 32;
  for (i64 t = ((i64)blockIdx.x * blockDim.x + threadIdx.x) / G; t < items; t += groups) {
    const i64 o = t % g.m, slice = t / g.m;
    const i64 base = dims_offset(o, g.kdim, g.kshape, g.kst);
    const i64 lo = slice * chunk, hi = lo + chunk < g.r ? lo + chunk : g.r;
    A acc = R::init(op);
    i64 j = lo;
    if (dense && lo < hi) {
      // aligned head, then Vec4 loads, VEC_UNROLL in flight per thread
      const S *p = (const S *)in + base;
      const i64 mis = (i64)(((u64)(p + lo) / sizeof(S)) % 4);
      const i64 head = mis ? (4 - mis < hi - lo ? 4 - mis : hi - lo) : 0;
      if (lane < head) acc = R::combine(acc, R::lift(Ty<S>::load(p[lo + lane]), lo + lane), op);
      const i64 v0 = lo + head, nvec = (hi - v0) / 4;
      const Vec4<S> *pv = (const Vec4<S> *)(p + v0);
      for (i64 k = lane; k < nvec; k += G * VEC_UNROLL) {
        Vec4<S> v[VEC_UNROLL];
#pragma unroll
        for (int u = 0; u < VEC_UNROLL; u++)
          if (k + u * G < nvec) v[u] = pv[k + u * G];
#pragma unroll
        for (int u = 0; u < VEC_UNROLL; u++)
          if (k + u * G < nvec)
#pragma unroll
            for (int e = 0; e < 4; e++)
              acc = R::combine(acc, R::lift(Ty<S>::load(v[u].v[e]), v0 + 4 * (k + u * G) + e), op);
      }
      j = v0 + 4 * nvec;
    }
    for (j += lane; j < hi; j += G) {
      const i64 off = base + (g.rdim == 1 ? j * g.rst[0] : dims_offset(j, g.rdim, g.rshape, g.rst));
      const A x = PARTIALS ? ((const A *)in)[off] : R::lift(Ty<S>::load(((const S *)in)[off]), j);
      acc = R::combine(acc, x, op);
    }
    if (G >= 32) {  // warp tree, then (whole-block groups) the warps' results
#pragma unroll
      for (int d = 16; d > 0; d >>= 1) acc = R::combine(acc, R::down(acc, d), op);
      if (G > 32) {
        const int w = threadIdx.x / 32, nw = (blockDim.x + 31) / 32;
        if (threadIdx.x % 32 == 0) warp_acc[w] = acc;
        __syncthreads();
        if (w == 0) {
          acc = threadIdx.x < nw ? warp_acc[threadIdx.x] : R::init(op);
#pragma unroll
          for (int d = 16; d > 0; d >>= 1) acc = R::combine(acc, R::down(acc, d), op);
        }
        __syncthreads();  // warp_acc is free for the next item
      }
    }
    if (lane == 0) {
      if (g.splits > 1) ((A *)out)[t] = acc;
      else R::store(out, o, dst, op, acc);
    }
  }
}

template <typename S, bool PARTIALS>
__device__ __forceinline__ void reduce(const RGeo &g, int op, int dst, void *out, const void *in) {
  switch (op) {
    case R_SUM: reduce_items<S, F_SUM, PARTIALS>(g, op, dst, out, in); break;
    case R_PROD: reduce_items<S, F_PROD, PARTIALS>(g, op, dst, out, in); break;
    case R_ALL:
    case R_ANY: reduce_items<S, F_LOGIC, PARTIALS>(g, op, dst, out, in); break;
    default: reduce_items<S, F_EXT, PARTIALS>(g, op, dst, out, in); break;
  }
}

// Inclusive cumsum / cumprod along the middle dim of a contiguous
// [outer, n, inner] input into an output of the same layout, accumulating in
// double or int64 as the CPU kernel does. Each row is cut into chunks of
// `chunk` elements, one thread per (row, chunk), so a few long rows still fill
// the GPU (chunk == n: one thread per row). With several chunks the launches are
//   scan_totals: each chunk's total into carry[row * chunks + c];
//   scan_carry:  per row, carry becomes the exclusive running total (in place);
//   scan:        each chunk scans its elements, starting from its carry.
// Accumulators travel as 64-bit words: a double for floats, an int64 else
// (integer sums and products wrap, so any grouping gives the CPU's answer).
union Acc64 { double f; u64 k; };

template <typename S>
__device__ __forceinline__ Acc64 scan_start(int prod) {
  Acc64 a;
  if constexpr (IsFloat<typename Ty<S>::C>::value) a.f = prod ? 1.0 : 0.0;
  else a.k = prod ? 1 : 0;
  return a;
}

template <typename S>
__device__ __forceinline__ Acc64 scan_step(Acc64 a, typename Ty<S>::C x, int prod) {
  if constexpr (IsFloat<typename Ty<S>::C>::value) a.f = prod ? a.f * (double)x : a.f + (double)x;
  else a.k = prod ? a.k * (u64)(i64)x : a.k + (u64)(i64)x;
  return a;
}

template <typename S>
__device__ __forceinline__ Acc64 scan_join(Acc64 a, Acc64 b, int prod) {
  if constexpr (IsFloat<typename Ty<S>::C>::value) a.f = prod ? a.f * b.f : a.f + b.f;
  else a.k = prod ? a.k * b.k : a.k + b.k;
  return a;
}

// Calls f(t, row base offset, first j, end j) for each (row, chunk) item t.
template <typename F>
__device__ __forceinline__ void scan_items(i64 outer, i64 n, i64 inner, i64 chunk, F f) {
  const i64 chunks = (n + chunk - 1) / chunk;
  for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < outer * inner * chunks;
       t += (i64)gridDim.x * blockDim.x) {
    const i64 row = t / chunks, c = t % chunks;
    const i64 j0 = c * chunk, j1 = j0 + chunk < n ? j0 + chunk : n;
    f(t, (row / inner) * n * inner + row % inner, j0, j1);
  }
}

template <typename S>
__device__ __forceinline__ void scan_totals(i64 outer, i64 n, i64 inner, i64 chunk, int prod,
                                            Acc64 *__restrict__ carry, const S *__restrict__ in) {
  scan_items(outer, n, inner, chunk, [&](i64 t, i64 base, i64 j0, i64 j1) {
    Acc64 a = scan_start<S>(prod);
    for (i64 j = j0; j < j1; j++) a = scan_step<S>(a, Ty<S>::load(in[base + j * inner]), prod);
    carry[t] = a;
  });
}

template <typename S>
__device__ __forceinline__ void scan_carry(i64 rows, i64 chunks, int prod, Acc64 *__restrict__ carry) {
  for (i64 r = (i64)blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += (i64)gridDim.x * blockDim.x) {
    Acc64 run = scan_start<S>(prod);
    for (i64 c = 0; c < chunks; c++) {
      const Acc64 total = carry[r * chunks + c];
      carry[r * chunks + c] = run;
      run = scan_join<S>(run, total, prod);
    }
  }
}

template <typename S>
__device__ __forceinline__ void scan(i64 outer, i64 n, i64 inner, i64 chunk, int prod, S *__restrict__ out,
                                     const S *__restrict__ in, const Acc64 *__restrict__ carry) {
  typedef typename Ty<S>::C C;
  scan_items(outer, n, inner, chunk, [&](i64 t, i64 base, i64 j0, i64 j1) {
    Acc64 a = carry ? carry[t] : scan_start<S>(prod);
    for (i64 j = j0; j < j1; j++) {
      const i64 off = base + j * inner;
      a = scan_step<S>(a, Ty<S>::load(in[off]), prod);
      if constexpr (IsFloat<C>::value) out[off] = Ty<S>::store((C)a.f);
      else out[off] = (S)(i64)a.k;
    }
  });
}

#define INSTANTIATE_REDUCE(S, NAME)                                                            \
  extern "C" __global__ void reduce_##NAME(RGeo g, int op, int dst, void *out, const S *in) { \
    reduce<S, false>(g, op, dst, out, in);                                                     \
  }                                                                                            \
  extern "C" __global__ void reduce_partials_##NAME(RGeo g, int op, int dst, void *out,       \
                                                    const void *in) {                          \
    reduce<S, true>(g, op, dst, out, in);                                                      \
  }                                                                                            \
  extern "C" __global__ void scan_##NAME(i64 outer, i64 n, i64 inner, i64 chunk, int prod, S *out, \
                                         const S *in, const Acc64 *carry) {                    \
    scan<S>(outer, n, inner, chunk, prod, out, in, carry);                                     \
  }                                                                                            \
  extern "C" __global__ void scan_totals_##NAME(i64 outer, i64 n, i64 inner, i64 chunk, int prod, \
                                                Acc64 *carry, const S *in) {                   \
    scan_totals<S>(outer, n, inner, chunk, prod, carry, in);                                   \
  }                                                                                            \
  extern "C" __global__ void scan_carry_##NAME(i64 rows, i64 chunks, int prod, Acc64 *carry) { \
    scan_carry<S>(rows, chunks, prod, carry);                                                  \
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
