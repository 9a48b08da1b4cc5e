"""The CUDA kernels' arithmetic, checked on the CPU.

kernels/*.cu are compiled as host C++ (g++ with tests/kernels_host.h) and
called through ctypes with the same parameter blocks the Rust launcher
passes. Results must equal ferrotorch's CPU ops (which the other suites hold
to numpy and PyTorch) exactly, or to 1-2 ulp where libm and CUDA's math
library may differ. Op codes are read from the kernel sources by name, so a
reordered enum fails here. This runs everywhere; the GPU itself is covered
by tests/test_cuda.py on a GPU machine.
"""
import ctypes
import re

import numpy as np
import pytest

import ferrotorch as torch
import kernels_host

KERNELS = kernels_host.ROOT / "kernels"
pytestmark = pytest.mark.skipif(not kernels_host.AVAILABLE, reason="needs g++ to build the kernels for the host")

MAX_DIMS, MAX_OPERANDS = 8, 4
# (ferrotorch dtype, numpy storage dtype, kernel suffix, DType code)
DTYPES = {
    "bool": (torch.bool, np.uint8, "u8", 0),
    "uint8": (torch.uint8, np.uint8, "u8", 1),
    "int8": (torch.int8, np.int8, "i8", 2),
    "int16": (torch.int16, np.int16, "i16", 3),
    "int32": (torch.int32, np.int32, "i32", 4),
    "int64": (torch.int64, np.int64, "i64", 5),
    "float16": (torch.float16, np.float16, "f16", 6),
    "bfloat16": (torch.bfloat16, np.uint16, "bf16", 7),
    "float32": (torch.float32, np.float32, "f32", 8),
    "float64": (torch.float64, np.float64, "f64", 9),
}


class Geo(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("ndim", ctypes.c_int32), ("contiguous", ctypes.c_int32),
                ("shape", ctypes.c_int64 * MAX_DIMS), ("st", (ctypes.c_int64 * MAX_DIMS) * MAX_OPERANDS)]


def geo(shape, *strides):
    g = Geo()
    g.n = int(np.prod(shape, dtype=np.int64))
    g.ndim = len(shape)
    dense = list(np.cumprod([1] + list(shape[::-1]))[:-1][::-1])
    g.contiguous = int(all(list(s) == dense for s in strides))
    for d, s in enumerate(shape):
        g.shape[d] = s
        for k, st in enumerate(strides):
            g.st[k][d] = st[d]
    return g


def enum_codes(name):
    """Codes of `enum name { A, B, C = 100, D }` in kernels/elementwise.cuh."""
    src = (KERNELS / "elementwise.cuh").read_text()
    body = re.search(r"enum %s \{(.*?)\};" % name, src, re.S).group(1)
    codes, nxt = {}, 0
    for item in (x.strip() for x in body.split(",") if x.strip()):
        key, _, val = item.partition("=")
        nxt = int(val) if val else nxt
        codes[key.strip()] = nxt
        nxt += 1
    return codes


BIN, UN = enum_codes("BinOp"), enum_codes("UnOp")


@pytest.fixture(scope="module")
def libs(tmp_path_factory):
    return ctypes.CDLL(str(kernels_host.build(tmp_path_factory.mktemp("kernels_host"))))


def kernel(libs, family, suffix):
    return getattr(libs, f"{family}_{suffix}")


P, U64, I32 = ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int


def ptr(a):
    return a.ctypes.data_as(P)


def strides_of(a):
    return [s // a.itemsize for s in a.strides]


def to_storage(t, name):
    """A CPU tensor's elements as the kernel's storage array (bf16 as raw bits)."""
    if name == "bfloat16":
        bits = t.float().numpy().view(np.uint32) >> 16  # values below are exact in bf16
        return bits.astype(np.uint16)
    return t.numpy().astype(DTYPES[name][1])


def from_storage(a, name):
    if name == "bfloat16":
        return (a.astype(np.uint32) << 16).view(np.float32)
    return a.astype(np.float32) if name == "float16" else a


def values(name, shape, rng, nonzero=False):
    """Test values exactly representable in every dtype (small integers and halves)."""
    if name == "bool":
        v = rng.integers(0, 2, shape)
    elif name == "uint8":
        v = rng.integers(1 if nonzero else 0, 12, shape)
    elif name.startswith("int"):
        v = rng.integers(-12, 12, shape)
        if nonzero:
            v[v == 0] = 5
    else:
        v = rng.integers(-24, 24, shape) / 2.0
        if nonzero:
            v[v == 0] = 1.5
    return torch.tensor(v.tolist(), dtype=DTYPES[name][0])


def binary_ref(op, x, y):
    ops = {
        "ADD": torch.add, "SUB": torch.sub, "MUL": torch.mul, "DIV": torch.div,
        "FLOOR_DIV": torch.floor_divide, "REMAINDER": torch.remainder, "FMOD": torch.fmod,
        "MAXIMUM": torch.maximum, "MINIMUM": torch.minimum, "ATAN2": torch.atan2,
        "EQ": torch.eq, "NE": torch.ne, "LT": torch.lt, "LE": torch.le, "GT": torch.gt, "GE": torch.ge,
        "BIT_AND": torch.bitwise_and, "BIT_OR": torch.bitwise_or, "BIT_XOR": torch.bitwise_xor,
        "SHL": torch.bitwise_left_shift, "SHR": torch.bitwise_right_shift, "POW": torch.pow,
    }
    return ops[op](x, y)


def run_binary(libs, name, op, x, y, a_scalar=None):
    """The binary kernel on storage arrays of x and y (y broadcast over rows, x transposed)."""
    suffix = DTYPES[name][2]
    xs = to_storage(x, name)
    ys = to_storage(y, name)
    comparison = op in ("EQ", "NE", "LT", "LE", "GT", "GE")
    out = np.zeros(x.shape, np.uint8 if comparison else xs.dtype)
    xt = np.ascontiguousarray(xs.T).T  # same values, column-major: exercises the strided path
    yb = np.broadcast_to(ys, x.shape)
    g = geo(x.shape, strides_of(out), strides_of(xt), strides_of(yb))
    f = kernel(libs, "binary", suffix)
    f.argtypes = [Geo, I32, P, P, P, U64, U64, I32]
    sa, flags = 0, 0
    if a_scalar is not None:
        sa, flags = a_scalar, 1
    f(g, BIN[op], ptr(out), ptr(xt), ptr(yb), sa, 0, flags)
    return out


FLOAT_OPS = ["ADD", "SUB", "MUL", "DIV", "FLOOR_DIV", "REMAINDER", "FMOD", "MAXIMUM", "MINIMUM", "ATAN2", "POW",
             "EQ", "NE", "LT", "LE", "GT", "GE"]
INT_OPS = ["ADD", "SUB", "MUL", "FLOOR_DIV", "REMAINDER", "FMOD", "MAXIMUM", "MINIMUM", "POW",
           "EQ", "NE", "LT", "LE", "GT", "GE", "BIT_AND", "BIT_OR", "BIT_XOR", "SHL", "SHR"]


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("op", FLOAT_OPS)
def test_binary_float(libs, name, op):
    rng = np.random.default_rng(1)
    x = values(name, (6, 5), rng)
    y = values(name, (5,), rng, nonzero=op in ("FLOOR_DIV", "REMAINDER", "FMOD", "POW"))
    if op == "POW":
        x = x.abs()
    got = from_storage(run_binary(libs, name, op, x, y), name)
    ref = binary_ref(op, x, y)
    ref = ref.numpy() if ref.dtype == torch.bool else ref.float().numpy()
    if op in ("ATAN2", "POW"):
        np.testing.assert_allclose(got, ref, rtol=2e-3 if name in ("float16", "bfloat16") else 1e-6)
    else:
        np.testing.assert_array_equal(got.astype(ref.dtype), ref)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("op", INT_OPS)
def test_binary_int(libs, name, op):
    rng = np.random.default_rng(2)
    x = values(name, (6, 5), rng)
    y = values(name, (5,), rng, nonzero=op in ("FLOOR_DIV", "REMAINDER", "FMOD"))
    if op == "POW" or op.startswith("SH"):
        y = y.abs() % 9  # non-negative exponents and shift counts (incl. >= width for int8)
    got = run_binary(libs, name, op, x, y)
    ref = binary_ref(op, x, y).numpy()
    np.testing.assert_array_equal(got.astype(ref.dtype), ref)


def test_binary_scalar_operand(libs):
    rng = np.random.default_rng(3)
    x = values("float32", (4, 3), rng)
    y = values("float32", (3,), rng)
    # a = 2.5 by value (float32 bits), b the tensor: 2.5 - y broadcast
    bits = int(np.float32(2.5).view(np.uint32))
    got = run_binary(libs, "float32", "SUB", x, y, a_scalar=bits)
    np.testing.assert_array_equal(got, np.broadcast_to(2.5 - y.numpy(), (4, 3)))


FLOAT_UNARY = {"EXP": torch.exp, "EXP2": torch.exp2, "EXPM1": torch.expm1, "LOG": torch.log, "LOG2": torch.log2,
               "LOG10": torch.log10, "LOG1P": torch.log1p, "SQRT": torch.sqrt, "RSQRT": torch.rsqrt,
               "SIN": torch.sin, "COS": torch.cos, "TAN": torch.tan, "ASIN": torch.asin, "ACOS": torch.acos,
               "ATAN": torch.atan, "SINH": torch.sinh, "COSH": torch.cosh, "TANH": torch.tanh,
               "ASINH": torch.asinh, "ACOSH": torch.acosh, "ATANH": torch.atanh, "SIGMOID": torch.sigmoid,
               "ERF": torch.erf, "ERFC": torch.erfc, "ERFINV": torch.erfinv, "RECIPROCAL": torch.reciprocal,
               "FRAC": torch.frac, "NEG": torch.neg, "ABS": torch.abs, "SIGN": torch.sign, "RELU": torch.relu,
               "FLOOR": torch.floor, "CEIL": torch.ceil, "ROUND": torch.round, "TRUNC": torch.trunc,
               "ISNAN": torch.isnan, "ISINF": torch.isinf, "ISFINITE": torch.isfinite,
               "LOGICAL_NOT": torch.logical_not}


def run_unary(libs, name, op, x):
    xs = to_storage(x, name)
    bool_out = op in ("ISNAN", "ISINF", "ISFINITE", "LOGICAL_NOT")
    out = np.zeros(x.shape, np.uint8 if bool_out else xs.dtype)
    f = kernel(libs, "unary", DTYPES[name][2])
    f.argtypes = [Geo, I32, P, P]
    f(geo(x.shape, strides_of(out), strides_of(xs)), UN[op], ptr(out), ptr(xs))
    return out


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("op", sorted(FLOAT_UNARY))
def test_unary_float(libs, name, op):
    v = np.array([-3.5, -1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 2.5, 7.0, np.inf, -np.inf, np.nan])
    if op in ("ASIN", "ACOS", "ATANH", "ERFINV"):
        v = np.clip(v, -1, 1)
    x = torch.tensor(v.tolist(), dtype=DTYPES[name][0])
    got = from_storage(run_unary(libs, name, op, x), name)
    ref = FLOAT_UNARY[op](x)
    ref = ref.numpy() if ref.dtype == torch.bool else ref.double().numpy()
    if ref.dtype == bool:
        np.testing.assert_array_equal(got.astype(bool), ref)
    else:
        tol = {"float16": 2e-3, "bfloat16": 1e-2, "float32": 1e-6, "float64": 1e-13}[name]
        np.testing.assert_allclose(got.astype(np.float64), ref, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("op", ["NEG", "ABS", "SIGN", "RELU", "FLOOR", "ROUND", "LOGICAL_NOT", "BIT_NOT"])
def test_unary_int(libs, name, op):
    x = values(name, (4, 4), np.random.default_rng(4))
    ref = {"BIT_NOT": torch.bitwise_not, **FLOAT_UNARY}[op](x).numpy()
    got = run_unary(libs, name, op, x)
    np.testing.assert_array_equal(got.astype(ref.dtype), ref)


@pytest.mark.parametrize("src", list(DTYPES))
@pytest.mark.parametrize("dst", list(DTYPES))
def test_cast(libs, src, dst):
    v = [-300.75, -129.0, -1.5, -0.0, 0.0, 0.5, 1.0, 2.75, 127.0, 200.0, 255.0, 70000.5]
    if src == "bool":
        v = [0, 1, 1, 0]
    x = torch.tensor(v, dtype=torch.float64).to(DTYPES[src][0])
    xs = x.float().numpy().view(np.uint32) >> 16 if src == "bfloat16" else None
    xs = xs.astype(np.uint16) if xs is not None else x.numpy().astype(DTYPES[src][1])
    out = np.zeros(len(v), np.uint16 if dst == "bfloat16" else DTYPES[dst][1])
    f = kernel(libs, "cast", DTYPES[src][2])
    f.argtypes = [Geo, I32, P, P]
    f(geo((len(v),), [1], [1]), DTYPES[dst][3], ptr(out), ptr(xs))
    ref = x.to(DTYPES[dst][0])
    np.testing.assert_array_equal(from_storage(out, dst).astype(np.float64), ref.double().numpy())


def test_copy_into_strided_destination(libs):
    src = np.arange(12, dtype=np.float32).reshape(3, 4)
    dst = np.zeros((4, 3), np.float64).T  # a transposed float64 view
    f = kernel(libs, "cast", "f32")
    f.argtypes = [Geo, I32, P, P]
    f(geo((3, 4), strides_of(dst), strides_of(src)), DTYPES["float64"][3], ptr(dst), ptr(src))
    np.testing.assert_array_equal(dst, src)


def test_where_and_fill(libs):
    rng = np.random.default_rng(5)
    cond = (rng.random((3, 4)) < 0.5).astype(np.uint8)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    out = np.zeros((3, 4), np.float32)
    f = kernel(libs, "where", "f32")
    f.argtypes = [Geo, P, P, P, P, U64, U64, I32]
    bits = int(np.float32(-7.0).view(np.uint32))
    f(geo((3, 4), [4, 1], [4, 1], [4, 1], [4, 1]), ptr(out), ptr(cond), ptr(a), None, 0, bits, 2)
    np.testing.assert_array_equal(out, np.where(cond.astype(bool), a, np.float32(-7.0)))
    h = np.zeros((2, 3), np.float16)
    f = kernel(libs, "fill", "f16")
    f.argtypes = [Geo, P, U64]
    f(geo((2, 3), [3, 1]), ptr(h), int(np.float16(1.5).view(np.uint16)))
    assert (h == 1.5).all()


def test_random_matches_the_cpu_generator(libs):
    lib = libs
    n, seed, offset = 1001, 1234, 7
    g = torch.Generator()
    g.set_state((seed, offset))
    u = np.zeros(n, np.float64)
    lib.uniform.argtypes = [ctypes.c_int64, I32, P, U64, U64, ctypes.c_double, ctypes.c_double, ctypes.c_double]
    lib.uniform(n, DTYPES["float64"][3], ptr(u), seed, offset, 0.0, 1.0, 2.0 ** 53)
    np.testing.assert_array_equal(u, torch.rand(n, generator=g, dtype=torch.float64).numpy())
    g.set_state((seed, offset))
    z = np.zeros(n, np.float64)
    lib.normal.argtypes = [ctypes.c_int64, I32, P, U64, U64, ctypes.c_double, ctypes.c_double]
    lib.normal(n, DTYPES["float64"][3], ptr(z), seed, offset, 0.0, 1.0)
    np.testing.assert_allclose(z, torch.randn(n, generator=g, dtype=torch.float64).numpy(), rtol=1e-14, atol=1e-14)
    g.set_state((seed, offset))
    k = np.zeros(n, np.int64)
    lib.integers.argtypes = [ctypes.c_int64, I32, P, U64, U64, ctypes.c_int64, U64]
    lib.integers(n, DTYPES["int64"][3], ptr(k), seed, offset, -5, 17)
    np.testing.assert_array_equal(k, torch.randint(-5, 12, (n,), generator=g).numpy())
    # float32 keeps 24 random bits, as torch.rand(dtype=float32) on the CPU
    g.set_state((seed, offset))
    f32 = np.zeros(n, np.float32)
    lib.uniform(n, DTYPES["float32"][3], ptr(f32), seed, offset, 0.0, 1.0, 2.0 ** 24)
    np.testing.assert_array_equal(f32, torch.rand(n, generator=g).numpy())
