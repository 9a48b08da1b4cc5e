"""Elementwise ops over dtypes, against numpy."""
import itertools

import numpy as np
import pytest

import ferrotorch as torch
from devices import host

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")


def T(a, dtype=None):
    return torch.tensor(host(a), dtype=dtype)


INT_A = np.array([-7, -3, 0, 3, 7, 10])
INT_B = np.array([2, -2, 3, 3, -4, 5])


@pytest.mark.parametrize("op,ref", [
    ("floor_divide", np.floor_divide), ("remainder", np.remainder), ("fmod", np.fmod),
    ("mul", np.multiply), ("sub", np.subtract), ("maximum", np.maximum), ("minimum", np.minimum),
    ("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor),
])
def test_integer_binary(op, ref):
    got = getattr(T(INT_A), op)(T(INT_B))
    assert got.dtype == torch.int64
    np.testing.assert_array_equal(host(got), ref(INT_A, INT_B))


@pytest.mark.parametrize("op,ref", [("floor_divide", np.floor_divide), ("remainder", np.remainder), ("fmod", np.fmod), ("atan2", np.arctan2), ("pow", np.power)])
def test_float_binary(op, ref):
    a, b = INT_A.astype(np.float64) + 0.5, INT_B.astype(np.float64)
    if op == "pow":
        a = np.abs(a)
    np.testing.assert_allclose(host(getattr(T(a), op)(T(b))), ref(a, b), rtol=1e-12)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons(op):
    ref = getattr(np, {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}[op])
    a = np.array([1.0, 2.0, np.nan, 4.0])
    b = np.array([1.0, 3.0, np.nan, 0.0])
    got = getattr(T(a), op)(T(b))
    assert got.dtype == torch.bool
    np.testing.assert_array_equal(host(got), ref(a, b))
    np.testing.assert_array_equal(host(getattr(T(a), op)(2)), ref(a, 2))


def test_operators_and_reflected():
    x = T([1.0, 2.0, 4.0])
    assert (2 - x).tolist() == [1.0, 0.0, -2.0]
    assert (1 / x).tolist() == [1.0, 0.5, 0.25]
    assert (2 ** T([1, 2])).tolist() == [2, 4]
    assert (x ** 2).tolist() == [1.0, 4.0, 16.0]
    assert (7 // T([2, -2])).tolist() == [3, -4]
    assert (-x).tolist() == [-1.0, -2.0, -4.0] and abs(T([-1, 2])).tolist() == [1, 2]
    assert (~T([True, False])).tolist() == [False, True] and (~T([0, 1])).tolist() == [-1, -2]
    assert (T([True, False]) & T([True, True])).tolist() == [True, False]
    assert (T([1, 2]) << 2).tolist() == [4, 8] and (T([8, -8]) >> 1).tolist() == [4, -4]
    assert (x == 2).tolist() == [False, True, False]
    y = x.clone()
    y *= 2
    y -= 1
    y /= 2
    assert y.tolist() == [0.5, 1.5, 3.5]
    assert x.add(1, alpha=2).tolist() == [3.0, 4.0, 6.0] and x.sub(x, alpha=0.5).tolist() == [0.5, 1.0, 2.0]
    assert T([7, -7]).div(2, rounding_mode="trunc").tolist() == [3, -3]
    assert T([7.0, -7.0]).div(2, rounding_mode="floor").tolist() == [3.0, -4.0]
    np_a = np.ones(3)
    if torch.get_default_device().type == "cpu":  # a numpy array is a CPU tensor: no CUDA operand
        assert isinstance(np_a + T([1.0, 1.0, 1.0]), torch.Tensor)


def test_integer_semantics():
    assert (T([127], torch.int8) + 1).tolist() == [-128]  # wraps like PyTorch
    assert (T([250], torch.uint8) + T([10], torch.uint8)).tolist() == [4]
    if torch.get_default_device().type == "cpu":  # CUDA kernels check neither (PyTorch)
        with pytest.raises(RuntimeError, match="negative integer powers"):
            T([2]) ** T([-1])
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            T([1]) % 0
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        T([True]) - T([False])
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -T([True])
    with pytest.raises(RuntimeError, match="not implemented for 'Double'"):
        T([1.0]) & T([1.0])
    assert (T([True]) + T([True])).tolist() == [True]


@pytest.mark.parametrize("name,ref", [
    ("sqrt", np.sqrt), ("log", np.log), ("exp2", np.exp2), ("expm1", np.expm1), ("log2", np.log2), ("log10", np.log10),
    ("rsqrt", lambda x: 1 / np.sqrt(x)), ("asinh", np.arcsinh), ("atan", np.arctan), ("cosh", np.cosh),
    ("reciprocal", np.reciprocal), ("ceil", np.ceil), ("trunc", np.trunc), ("frac", lambda x: x - np.trunc(x)),
])
def test_float_unary(name, ref):
    a = np.array([0.25, 0.5, 1.5, 3.75, 10.0])
    np.testing.assert_allclose(host(getattr(T(a), name)()), ref(a), rtol=1e-12)


def test_erf_family():
    import math
    a = np.array([-1.5, -0.1, 0.0, 0.3, 2.0])
    np.testing.assert_allclose(host(T(a).erf()), [math.erf(v) for v in a], rtol=1e-12)
    np.testing.assert_allclose(host(T(a).erfc()), [math.erfc(v) for v in a], rtol=1e-12)
    y = np.array([-0.9, -0.2, 0.0, 0.5, 0.99])
    np.testing.assert_allclose(host(T(y).erfinv().erf()), y, rtol=1e-12)


def test_int_inputs_promote_for_float_ops():
    r = T([1, 4]).sqrt()
    assert r.dtype == torch.float32 and r.tolist() == [1.0, 2.0]
    assert T([1, 2]).abs().dtype == torch.int64


def test_half_types_compute_in_float():
    a = T([1.0, 2.0, 3.0], torch.float16)
    r = a * 1.5 + a
    assert r.dtype == torch.float16 and r.tolist() == [2.5, 5.0, 7.5]
    b = T([1.0, 2.0], torch.bfloat16).exp()
    assert b.dtype == torch.bfloat16
    np.testing.assert_allclose(b.float().tolist(), np.exp([1.0, 2.0]), rtol=1e-2)


def test_clamp_lerp_nan_to_num_where():
    x = T([-2.0, 0.5, 3.0, np.nan])
    np.testing.assert_array_equal(host(x.clamp(-1, 1)), np.clip(np.array([-2.0, 0.5, 3.0, np.nan]), -1, 1))
    assert x.clamp(min=0)[:3].tolist() == [0.0, 0.5, 3.0] and torch.clip(x, max=0)[:3].tolist() == [-2.0, 0.0, 0.0]
    assert x.clamp(T([0.0, 0.0, 0.0, 0.0]), 2)[:3].tolist() == [0.0, 0.5, 2.0]
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        x.clamp()
    s, e = T([0.0, 10.0]), T([10.0, 20.0])
    assert s.lerp(e, 0.5).tolist() == [5.0, 15.0] and s.lerp(e, T([0.0, 1.0])).tolist() == [0.0, 20.0]
    y = T([np.nan, np.inf, -np.inf, 1.0], torch.float32).nan_to_num()
    assert y.tolist()[0] == 0.0 and y.tolist()[1] == np.finfo(np.float32).max and y.tolist()[3] == 1.0
    assert T([np.nan, np.inf]).nan_to_num(nan=1.0, posinf=2.0).tolist() == [1.0, 2.0]
    c = T([True, False, True])
    assert torch.where(c, T([1, 2, 3]), T([10, 20, 30])).tolist() == [1, 20, 3]
    assert torch.where(c, 1.0, T([10, 20, 30])).dtype == torch.float32
    assert T([1.0, np.nan]).isnan().tolist() == [False, True] and T([1, 2]).isfinite().tolist() == [True, True]
    assert T([0, 2]).logical_not().tolist() == [True, False] and T([1, 0]).logical_xor(T([1, 1])).tolist() == [False, True]


def test_inplace_methods_and_views():
    x = torch.zeros(2, 3)
    x[0].add_(1)
    x[:, 1].mul_(5)
    x.t()[2].sub_(2)
    assert x.tolist() == [[1.0, 5.0, -1.0], [0.0, 0.0, -2.0]]
    y = T([1.0, 4.0])
    assert y.sqrt_() is y and y.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="can't be cast"):
        T([1, 2]).sqrt_()
    x.clamp_(max=0)
    assert x.max().item() == 0
    a = torch.arange(6.0)
    a[1:] += a[:-1]  # overlapping read/write: PyTorch's out-of-place semantics
    assert a.tolist() == [0.0, 1.0, 3.0, 5.0, 7.0, 9.0]


def _views(rng):
    """(ferrotorch, numpy) pairs over one float64 base: 0-d, contiguous,
    transposed, offset, stepped and expanded views, all broadcastable to (4, 6)."""
    base = np.abs(rng.standard_normal((6, 8))) + 0.25
    tb = torch.tensor(base)
    return [
        (torch.tensor(1.75, dtype=torch.float64), np.array(1.75)),
        (tb[:4, :6], base[:4, :6]),
        (tb[:6, :4].t(), base[:6, :4].T),
        (tb[1:5, 2:8], base[1:5, 2:8]),
        (tb[:, ::2].t(), base[:, ::2].T),  # stepped and transposed
        (tb[:4, :1].expand(4, 6), np.broadcast_to(base[:4, :1], (4, 6))),
        (tb[0, :6], base[0, :6]),
    ]


BINARY_REFS = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
    "atan2": np.arctan2, "maximum": np.maximum, "minimum": np.minimum, "remainder": np.remainder,
    "fmod": np.fmod, "floor_divide": np.floor_divide, "gt": np.greater, "eq": np.equal,
}


@pytest.mark.parametrize("op", sorted(BINARY_REFS))
def test_binary_ops_on_strided_views(rng, op):
    views = _views(rng)
    for (ta, na), (tb, nb) in itertools.product(views, views):
        got = getattr(ta, op)(tb)
        np.testing.assert_allclose(host(got, dtype=np.float64), BINARY_REFS[op](na, nb), rtol=1e-12)


def test_empty_broadcasts():
    e = torch.zeros(0, 3)
    assert (e + torch.ones(3)).shape == (0, 3) and (e * 2).shape == (0, 3)
    assert torch.zeros(2, 0).exp().shape == (2, 0)
