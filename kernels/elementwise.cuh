// Elementwise kernels: unary, binary, where, dtype conversion / strided copy,
// fill. One kernel per storage dtype; the op is a warp-uniform runtime code
// (the order of the Rust enums in ferrotorch_core::cuda::elementwise).
// Each elementwise_<dtype>.cu instantiates one dtype, so a process only
// JIT-loads the PTX of the dtypes it uses.
#pragma once
#include "common.cuh"


// ---------------------------------------------------------------- binary ---
enum BinOp {
  ADD, SUB, MUL, DIV, FLOOR_DIV, TRUNC_DIV, REMAINDER, FMOD, POW, ATAN2, MAXIMUM, MINIMUM,
  EQ, NE, LT, LE, GT, GE, LOGICAL_AND, LOGICAL_OR, LOGICAL_XOR, BIT_AND, BIT_OR, BIT_XOR, SHL, SHR
};

// Integer arithmetic wraps (done in unsigned: signed overflow is undefined in C++).
template <typename C> __device__ __forceinline__ C int_op(int op, C ca, C cb) {
  typedef u64 U;
  const int bits = 8 * sizeof(C);
  const i64 a = (i64)ca, b = (i64)cb;
  switch (op) {
    case ADD: return (C)((U)a + (U)b);
    case SUB: return (C)((U)a - (U)b);
    case MUL: return (C)((U)a * (U)b);
    case DIV:
    case TRUNC_DIV: return b == 0 ? (C)0 : (C)(a / b);
    case FLOOR_DIV: {
      if (b == 0) return 0;
      i64 q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? (C)(q - 1) : (C)q;
    }
    case REMAINDER: {
      if (b == 0) return 0;
      i64 r = a % b;
      return (r != 0 && ((r < 0) != (b < 0))) ? (C)(r + b) : (C)r;
    }
    case FMOD: return b == 0 ? (C)0 : (C)(a % b);
    case POW: {
      if (b < 0) return a == 1 ? (C)1 : (a == (C)-1 ? ((b & 1) ? (C)-1 : (C)1) : (C)0);
      U r = 1, x = (U)a;
      for (u64 e = (u64)b; e; e >>= 1) {
        if (e & 1) r *= x;
        x *= x;
      }
      return (C)r;
    }
    case MAXIMUM: return a > b ? a : b;
    case MINIMUM: return a < b ? a : b;
    case BIT_AND: return a & b;
    case BIT_OR: return a | b;
    case BIT_XOR: return a ^ b;
    case SHL: return (b < 0 || b >= bits) ? (C)0 : (C)((U)a << (int)b);
    case SHR: return (b < 0 || b >= bits) ? (C)(a < 0 ? -1 : 0) : (C)(a >> (int)b);
  }
  return 0;
}

template <typename C> __device__ __forceinline__ C float_op(int op, C a, C b) {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV:
    case TRUNC_DIV: return a / b;
    case FLOOR_DIV: {
      // Python's floor division, computed from fmod as PyTorch does.
      if (b == 0) return a / b;
      C m = fmod(a, b);
      C d = (a - m) / b;
      if (m != 0 && ((b < 0) != (m < 0))) d -= 1;
      if (d == 0) return copysign((C)0, a / b);
      C f = floor(d);
      return (d - f > (C)0.5) ? f + 1 : f;
    }
    case REMAINDER: {
      C r = fmod(a, b);
      return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    }
    case FMOD: return fmod(a, b);
    case POW: return pow(a, b);
    case ATAN2: return atan2(a, b);
    case MAXIMUM: return (a != a || b != b) ? (a + b) : (a > b ? a : b);
    case MINIMUM: return (a != a || b != b) ? (a + b) : (a < b ? a : b);
  }
  return 0;
}

template <typename C> __device__ __forceinline__ bool cmp_op(int op, C a, C b) {
  switch (op) {
    case EQ: return a == b;
    case NE: return a != b;
    case LT: return a < b;
    case LE: return a <= b;
    case GT: return a > b;
    default: return a >= b;
  }
}

// out = a op b. Either input may instead be a by-value scalar (bit 0: a,
// bit 1: b) given as the compute type's bits. Comparisons write bool.
template <typename S>
__device__ __forceinline__ void binary(const Geo &g, int op, void *out, const S *__restrict__ a,
                                       const S *__restrict__ b, u64 sa, u64 sb, int scalars) {
  typedef typename Ty<S>::C C;
  const C ca = from_bits<C>(sa), cb = from_bits<C>(sb);
  const bool a_s = scalars & 1, b_s = scalars & 2;
  auto load = [&](const i64 (&off)[3], C &x, C &y) {
    x = a_s ? ca : Ty<S>::load(a[off[1]]);
    y = b_s ? cb : Ty<S>::load(b[off[2]]);
  };
  if (op >= EQ && op <= GE) {
    unsigned char *o = (unsigned char *)out;
    elementwise<3, bool>(
        g, [&](const i64(&off)[3]) { C x, y; load(off, x, y); return cmp_op<C>(op, x, y); },
        [&](i64 k, bool v) { o[k] = v; });
    return;
  }
  S *o = (S *)out;
  elementwise<3, C>(
      g,
      [&](const i64(&off)[3]) {
        C x, y;
        load(off, x, y);
        if constexpr (IsFloat<C>::value) return float_op<C>(op, x, y);
        else return int_op<C>(op, x, y);
      },
      [&](i64 k, C v) { o[k] = Ty<S>::store(v); });
}

// ----------------------------------------------------------------- unary ---
// Float ops first (ferrotorch_core::ops::unary::FloatOp order), then the rest.
enum UnOp {
  EXP, EXP2, EXPM1, LOG, LOG2, LOG10, LOG1P, SQRT, RSQRT, SIN, COS, TAN, ASIN, ACOS, ATAN, SINH,
  COSH, TANH, ASINH, ACOSH, ATANH, SIGMOID, ERF, ERFC, ERFINV, RECIPROCAL, FRAC,
  NEG = 100, ABS, SIGN, RELU, FLOOR, CEIL, ROUND, TRUNC, ISNAN, ISINF, ISFINITE, LOGICAL_NOT, BIT_NOT
};

template <typename C> __device__ __forceinline__ C float_un(int op, C x) {
  switch (op) {
    case EXP: return exp(x);
    case EXP2: return exp2(x);
    case EXPM1: return expm1(x);
    case LOG: return log(x);
    case LOG2: return log2(x);
    case LOG10: return log10(x);
    case LOG1P: return log1p(x);
    case SQRT: return sqrt(x);
    case RSQRT: return (C)1 / sqrt(x);
    case SIN: return sin(x);
    case COS: return cos(x);
    case TAN: return tan(x);
    case ASIN: return asin(x);
    case ACOS: return acos(x);
    case ATAN: return atan(x);
    case SINH: return sinh(x);
    case COSH: return cosh(x);
    case TANH: return tanh(x);
    case ASINH: return asinh(x);
    case ACOSH: return acosh(x);
    case ATANH: return atanh(x);
    case SIGMOID: return (C)1 / ((C)1 + exp(-x));
    case ERF: return erf(x);
    case ERFC: return erfc(x);
    case ERFINV: return erfinv(x);
    case RECIPROCAL: return (C)1 / x;
    case FRAC: return x - trunc(x);
    case FLOOR: return floor(x);
    case CEIL: return ceil(x);
    case ROUND: return rint(x);
    case TRUNC: return trunc(x);
  }
  return x;
}

template <typename C> __device__ __forceinline__ C any_un(int op, C x) {
  switch (op) {
    case NEG: return (C)((u64)0 - (u64)(i64)x);
    case ABS: return (i64)x < 0 ? (C)((u64)0 - (u64)(i64)x) : x;
    case SIGN: return (C)(((i64)x > 0) - ((i64)x < 0));
    case RELU: return x > 0 ? x : (C)0;
    case BIT_NOT: return (C)~(i64)x;
  }
  return x;  // floor/ceil/round/trunc are the identity on integers
}

template <typename S>
__device__ __forceinline__ void unary(const Geo &g, int op, void *out, const S *__restrict__ a) {
  typedef typename Ty<S>::C C;
  if (op >= ISNAN && op <= LOGICAL_NOT) {
    unsigned char *o = (unsigned char *)out;
    elementwise<2, bool>(
        g,
        [&](const i64(&off)[2]) {
          C x = Ty<S>::load(a[off[1]]);
          switch (op) {
            case ISNAN: return x != x;
            case ISINF: return x == x && x - x != x - x;
            case ISFINITE: return x - x == x - x;
            default: return x == (C)0;  // LOGICAL_NOT
          }
        },
        [&](i64 k, bool v) { o[k] = v; });
    return;
  }
  S *o = (S *)out;
  elementwise<2, C>(
      g,
      [&](const i64(&off)[2]) {
        C x = Ty<S>::load(a[off[1]]);
        if constexpr (IsFloat<C>::value) {
          switch (op) {
            case NEG: return -x;
            case ABS: return fabs(x);
            case SIGN: return x > 0 ? (C)1 : (x < 0 ? (C)-1 : x * 0);
            case RELU: return x > 0 ? x : (x != x ? x : (C)0);
            default: return float_un<C>(op, x);
          }
        } else {
          return any_un<C>(op, x);
        }
      },
      [&](i64 k, C v) { o[k] = Ty<S>::store(v); });
}

// ----------------------------------------------------------------- where ---
template <typename S>
__device__ __forceinline__ void where_(const Geo &g, S *out, const unsigned char *__restrict__ cond,
                                       const S *__restrict__ a, const S *__restrict__ b, u64 sa,
                                       u64 sb, int scalars) {
  const S va = from_bits<S>(sa), vb = from_bits<S>(sb);
  const bool a_s = scalars & 1, b_s = scalars & 2;
  elementwise<4, S>(
      g,
      [&](const i64(&off)[4]) {
        return cond[off[1]] ? (a_s ? va : a[off[2]]) : (b_s ? vb : b[off[3]]);
      },
      [&](i64 k, S v) { out[k] = v; });
}

// ------------------------------------------------- conversion and fill ---
// out (dtype `dst`, any strides) = src converted; also the strided copy.
template <typename S>
__device__ __forceinline__ void cast(const Geo &g, int dst, void *out, const S *__restrict__ src) {
  typedef typename Ty<S>::C C;
  elementwise<2, C>(
      g, [&](const i64(&off)[2]) { return Ty<S>::load(src[off[1]]); },
      [&](i64 k, C v) {
        if constexpr (IsFloat<C>::value) store_code(out, k, dst, true, (double)v, 0);
        else store_code(out, k, dst, false, 0.0, (i64)v);
      });
}

template <typename S> __device__ __forceinline__ void fill(const Geo &g, S *out, u64 bits) {
  const S v = from_bits<S>(bits);
  elementwise<1, S>(g, [&](const i64(&)[1]) { return v; }, [&](i64 k, S x) { out[k] = x; });
}

#define INSTANTIATE(S, NAME)                                                                 \
  extern "C" __global__ void binary_##NAME(Geo g, int op, void *out, const S *a, const S *b, \
                                           u64 sa, u64 sb, int scalars) {                    \
    binary<S>(g, op, out, a, b, sa, sb, scalars);                                            \
  }                                                                                          \
  extern "C" __global__ void unary_##NAME(Geo g, int op, void *out, const S *a) {            \
    unary<S>(g, op, out, a);                                                                 \
  }                                                                                          \
  extern "C" __global__ void where_##NAME(Geo g, S *out, const unsigned char *cond,          \
                                          const S *a, const S *b, u64 sa, u64 sb,            \
                                          int scalars) {                                     \
    where_<S>(g, out, cond, a, b, sa, sb, scalars);                                          \
  }                                                                                          \
  extern "C" __global__ void cast_##NAME(Geo g, int dst, void *out, const S *src) {          \
    cast<S>(g, dst, out, src);                                                               \
  }                                                                                          \
  extern "C" __global__ void fill_##NAME(Geo g, S *out, u64 bits) { fill<S>(g, out, bits); }

