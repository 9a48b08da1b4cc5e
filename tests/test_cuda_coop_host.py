"""Cooperative CUDA kernels (shared memory, __syncthreads, warp shuffles)
checked on the CPU through the host emulator's block execution.

kernels/*.cu are built for the host (tests/kernels_host.h): a `coop_<kernel>`
thunk runs the launch's real grid and block sizes, each block's threads as
fibers switched at barriers and shuffles. These tests call the reduction and
softmax kernels directly with the block sizes the Rust launcher uses (256
threads) and every thread-group shape: a whole block, a warp and a thread per
item, one pass and two (partials), against numpy."""
import ctypes
import re

import numpy as np
import pytest

import kernels_host

KERNELS = kernels_host.ROOT / "kernels"
pytestmark = pytest.mark.skipif(not kernels_host.AVAILABLE, reason="needs g++ to build the kernels for the host")
MAX_DIMS = 8
BLOCK = 256
P, I32, U32 = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint


def enum_codes(path, name):
    body = re.search(r"enum %s \{(.*?)\};" % name, (KERNELS / path).read_text(), re.S).group(1)
    return {k.strip(): i for i, k in enumerate(body.split(","))}


OPS = enum_codes("reduce.cu", "RedOp")
DT = enum_codes("common.cuh", "DtypeCode")
NP = {"f32": (np.float32, "D_F32"), "f64": (np.float64, "D_F64"), "i64": (np.int64, "D_I64"),
      "i32": (np.int32, "D_I32"), "u8": (np.uint8, "D_U8"), "f16": (np.float16, "D_F16")}


class RGeo(ctypes.Structure):
    _fields_ = [("m", ctypes.c_int64), ("r", ctypes.c_int64), ("splits", ctypes.c_int64), ("group", ctypes.c_int64),
                ("kdim", ctypes.c_int32), ("rdim", ctypes.c_int32),
                ("kshape", ctypes.c_int64 * MAX_DIMS), ("kst", ctypes.c_int64 * MAX_DIMS),
                ("rshape", ctypes.c_int64 * MAX_DIMS), ("rst", ctypes.c_int64 * MAX_DIMS)]


class SGeo(ctypes.Structure):
    _fields_ = [("outer", ctypes.c_int64), ("n", ctypes.c_int64), ("inner", ctypes.c_int64), ("group", ctypes.c_int64)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    return ctypes.CDLL(str(kernels_host.build(tmp_path_factory.mktemp("coop_host"))))


def launch(lib, name, grid, args):
    """coop_<name>(params, grid, block): params as cuLaunchKernel takes them."""
    keep = [a if isinstance(a, (ctypes._SimpleCData, ctypes.Structure)) else P(a) for a in args]
    params = (P * len(keep))(*[ctypes.cast(ctypes.pointer(a), P) for a in keep])
    getattr(lib, "coop_" + name)(params, U32(grid), U32(BLOCK))


def rgeo(m, r, splits, group, kept, red):
    g = RGeo(m=m, r=r, splits=splits, group=group, kdim=len(kept[0]), rdim=len(red[0]))
    for d, (s, st) in enumerate(zip(*kept)):
        g.kshape[d], g.kst[d] = s, st
    for d, (s, st) in enumerate(zip(*red)):
        g.rshape[d], g.rst[d] = s, st
    return g


def reduce_rows(lib, x, op, group, splits, grid, suffix, out_dt):
    """op over the last axis of the 2-D array x (rows contiguous), as the Rust launcher would."""
    m, r = x.shape
    out = np.zeros(m, NP[out_dt][0])
    kept, red = ([m], [r]), ([r], [1])
    if splits == 1:
        launch(lib, f"reduce_{suffix}", grid, [rgeo(m, r, 1, group, kept, red), I32(OPS[op]),
                                                I32(DT[NP[out_dt][1]]), out.ctypes.data, x.ctypes.data])
        return out
    part = np.zeros(m * splits * 2, np.int64)  # 16 bytes per partial
    launch(lib, f"reduce_{suffix}", grid, [rgeo(m, r, splits, group, kept, red), I32(OPS[op]),
                                            I32(DT[NP[out_dt][1]]), part.ctypes.data, x.ctypes.data])
    launch(lib, f"reduce_partials_{suffix}", 3, [rgeo(m, splits, 1, 32 if splits >= 32 else 1, ([m], [1]), ([splits], [m])),
                                                  I32(OPS[op]), I32(DT[NP[out_dt][1]]), out.ctypes.data,
                                                  part.ctypes.data])
    return out


GROUPS = [(BLOCK, 1), (32, 1), (1, 1), (BLOCK, 5), (32, 3), (1, 4)]  # (threads per item, slices)


@pytest.mark.parametrize("group,splits", GROUPS, ids=str)
@pytest.mark.parametrize("r", [1, 31, 32, 33, 1000, 5000])
def test_reduce_float_rows(lib, group, splits, r):
    rng = np.random.default_rng(r)
    x = rng.standard_normal((7, r)).astype(np.float32)
    x[3, r // 2] = x[3].max()  # a tie: argmax keeps the first
    for op, ref in [("R_SUM", lambda a: a.astype(np.float64).sum(1)), ("R_MAX", lambda a: a.max(1)),
                    ("R_MIN", lambda a: a.min(1)), ("R_ARGMAX", lambda a: a.argmax(1)),
                    ("R_ARGMIN", lambda a: a.argmin(1))]:
        out_dt = "i64" if op.startswith("R_ARG") else "f32"
        got = reduce_rows(lib, x, op, group, min(splits, r), 2, "f32", out_dt)
        np.testing.assert_allclose(got, ref(x).astype(got.dtype), rtol=1e-6, atol=1e-6, err_msg=op)


@pytest.mark.parametrize("group,splits", GROUPS, ids=str)
def test_reduce_nan_ties_and_logic(lib, group, splits):
    x = np.array([[1.0, np.nan, 3.0, np.nan] * 50, [2.0, 5.0, 5.0, 1.0] * 50], np.float64)
    s = min(splits, 4)
    assert np.isnan(reduce_rows(lib, x, "R_MAX", group, s, 1, "f64", "f64")[0])
    assert reduce_rows(lib, x, "R_ARGMAX", group, s, 1, "f64", "i64").tolist() == [1, 1]
    assert reduce_rows(lib, x, "R_ARGMIN", group, s, 1, "f64", "i64").tolist() == [1, 3]
    b = np.zeros((3, 300), np.uint8)
    b[1, 299] = 1
    b[2] = 1
    assert reduce_rows(lib, b, "R_ANY", group, s, 2, "u8", "u8").tolist() == [0, 1, 1]
    assert reduce_rows(lib, b, "R_ALL", group, s, 2, "u8", "u8").tolist() == [0, 0, 1]


@pytest.mark.parametrize("group,splits", GROUPS, ids=str)
def test_reduce_integer_sum_prod(lib, group, splits):
    rng = np.random.default_rng(1)
    x = rng.integers(-1000, 1000, (5, 777)).astype(np.int32)
    got = reduce_rows(lib, x, "R_SUM", group, splits, 2, "i32", "i64")
    np.testing.assert_array_equal(got, x.astype(np.int64).sum(1))
    p = rng.integers(-3, 4, (4, 70)).astype(np.int64)
    got = reduce_rows(lib, p, "R_PROD", group, min(splits, 2), 1, "i64", "i64")
    np.testing.assert_array_equal(got, np.prod(p, axis=1))  # int64 wrapping product


def test_reduce_unaligned_rows_take_the_scalar_head(lib):
    # rows of 1001 float16: every row starts at a different alignment for the 4-wide loads
    x = np.random.default_rng(2).standard_normal((6, 1001)).astype(np.float16)
    got = reduce_rows(lib, x, "R_SUM", BLOCK, 1, 2, "f16", "f64")
    np.testing.assert_allclose(got, x.astype(np.float64).sum(1), rtol=1e-12)


def run_softmax(lib, x, log, group, dim):
    outer, n, inner = int(np.prod(x.shape[:dim])), x.shape[dim], int(np.prod(x.shape[dim + 1:]))
    out = np.zeros_like(x)
    suffix = {np.float32: "f32", np.float64: "f64"}[x.dtype.type]
    launch(lib, f"softmax_{suffix}", 3, [SGeo(outer, n, inner, group), I32(log), out.ctypes.data, x.ctypes.data])
    return out


def np_softmax(x, dim, log):
    x = x.astype(np.float64)
    z = x - x.max(axis=dim, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=dim, keepdims=True))
    return z - lse if log else np.exp(z - lse)


@pytest.mark.parametrize("n", [1, 31, 32, 33, 1000, 1025, 3000])
@pytest.mark.parametrize("group", [32, BLOCK])
@pytest.mark.parametrize("log", [0, 1])
def test_softmax_rows(lib, n, group, log):
    if group == 32 and n > 1024:
        pytest.skip("a warp takes rows up to 1024 elements")
    x = (np.random.default_rng(n).standard_normal((5, n)) * 4).astype(np.float32)
    np.testing.assert_allclose(run_softmax(lib, x, log, group, 1), np_softmax(x, 1, log), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("log", [0, 1])
def test_softmax_columns_and_special_values(lib, log):
    x = np.random.default_rng(0).standard_normal((3, 40, 5))
    np.testing.assert_allclose(run_softmax(lib, x, log, 1, 1), np_softmax(x, 1, log), rtol=1e-12, atol=1e-14)
    y = np.array([[0.0, -np.inf, 1.0] * 20, [np.nan, 0.0, 1.0] * 20, [-np.inf] * 60, [np.inf, 0.0, 0.0] * 20])
    for group in (32, BLOCK):
        got = run_softmax(lib, y, log, group, 1)
        with np.errstate(invalid="ignore"):
            want = np_softmax(y, 1, log)
        want[3] = np.nan  # an inf in the row: exp(inf - inf) makes the sum, and so every output, NaN
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, equal_nan=True)


@pytest.mark.parametrize("n,group", [(33, 32), (1000, 32), (3000, BLOCK), (40, 1)])
@pytest.mark.parametrize("log", [0, 1])
def test_softmax_backward(lib, n, group, log):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((4, n))
    dy = rng.standard_normal((4, n))
    if group == 1:  # rows along dim 0 of an [n, 4] array
        x, dy = x.T.copy(), dy.T.copy()
    dim = 0 if group == 1 else 1
    y = np_softmax(x, dim, log)
    outer, inner = (1, 4) if group == 1 else (4, 1)
    dx = np.zeros_like(x)
    launch(lib, "softmax_backward_f64", 2, [SGeo(outer, n, inner, group), I32(log), dx.ctypes.data, dy.ctypes.data,
                                             y.ctypes.data])
    if log:
        want = dy - np.exp(y) * dy.sum(axis=dim, keepdims=True)
    else:
        want = y * (dy - (dy * y).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(dx, want, rtol=1e-10, atol=1e-12)


PRIMITIVES = r"""
#include <cstdio>
__global__ void k(int *out) {
  __shared__ int sh[64];
  const int t = threadIdx.x, lane = t % 32;
  sh[t] = t * 10 + blockIdx.x;
  __syncthreads();
  int v = sh[(t + 1) % blockDim.x];  // a neighbour's write, visible after the barrier
  int base = (blockIdx.x * blockDim.x + t) * 6;
  out[base + 0] = v;
  out[base + 1] = __shfl_down_sync(0xffffffffu, t, 3);
  out[base + 2] = __shfl_up_sync(0xffffffffu, t, 2, 16);
  out[base + 3] = __shfl_xor_sync(0xffffffffu, t, 5);
  out[base + 4] = __shfl_sync(0xffffffffu, t, 7, 8);
  out[base + 5] = lane == 0 ? (int)(gridDim.x * 1000 + blockDim.x) : 0;
}
int main() {
  static int out[2 * 64 * 6];
  ft_launch_blocks(2, 64, [&] { k(out); });
  for (int i = 0; i < 2 * 64 * 6; i++) printf("%d\n", out[i]);
  // plain kernels still see one thread afterwards
  printf("%u %u %u %u\n", blockIdx.x, threadIdx.x, blockDim.x, gridDim.x);
}
"""

DEADLOCK = r"""
__global__ void k() { if (threadIdx.x < 40) __syncthreads(); else __syncwarp(); }
int main() { ft_launch_blocks(1, 64, [&] { k(); }); }
"""


def run_host_program(tmp_path, src):
    import subprocess
    cpp, exe = tmp_path / "p.cpp", tmp_path / "p"
    cpp.write_text(src)
    subprocess.run(["g++", "-std=c++17", "-O1", "-DFT_HOST", "-include", str(kernels_host.ROOT / "tests" / "kernels_host.h"),
                    str(cpp), "-o", str(exe)], check=True)
    return subprocess.run([str(exe)], capture_output=True, text=True)


def test_emulator_barriers_shared_memory_and_shuffles(tmp_path):
    r = run_host_program(tmp_path, PRIMITIVES)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    got = np.array(lines[:2 * 64 * 6], np.int64).reshape(2, 64, 6)
    t = np.arange(64)
    lane = t % 32
    for b in range(2):
        np.testing.assert_array_equal(got[b, :, 0], (t + 1) % 64 * 10 + b)
        np.testing.assert_array_equal(got[b, :, 1], np.where(lane + 3 < 32, t + 3, t))  # past the warp: own value
        np.testing.assert_array_equal(got[b, :, 2], np.where(lane % 16 >= 2, t - 2, t))  # within 16-lane segments
        np.testing.assert_array_equal(got[b, :, 3], t ^ 5)
        np.testing.assert_array_equal(got[b, :, 4], t // 8 * 8 + 7)
        np.testing.assert_array_equal(got[b, :, 5], np.where(lane == 0, 2064, 0))
    assert lines[2 * 64 * 6] == "0 0 1 1"


def test_emulator_reports_a_barrier_not_every_thread_reaches(tmp_path):
    r = run_host_program(tmp_path, DEADLOCK)
    assert r.returncode != 0 and "deadlock in block 0" in r.stderr, (r.returncode, r.stderr)
