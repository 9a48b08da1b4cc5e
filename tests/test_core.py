"""Core tensor behaviour checked against numpy (float64 reference) and
PyTorch's documented outputs."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ferrotorch as torch
from devices import host

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")

ROOT = Path(__file__).resolve().parents[1]


def as_np(t):
    return host(t.tolist(), dtype=np.float64)


def shapes_and_views(rng):
    """(ferrotorch tensor, numpy float64 array) pairs: 0-d, empty, contiguous,
    transposed, stepped and expanded inputs."""
    base = rng.standard_normal((4, 6))
    tb = torch.tensor(base, dtype=torch.float64)
    yield torch.tensor(1.5, dtype=torch.float64), np.array(1.5)
    yield torch.zeros(0, 3, dtype=torch.float64), np.zeros((0, 3))
    yield tb, base
    yield tb.t(), base.T
    yield tb[::2, 1::3], base[::2, 1::3]
    yield tb[:, :1].expand(4, 5), np.broadcast_to(base[:, :1], (4, 5))


def test_seed_examples_print_what_seed_says():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py")], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[1] == "tensor([1, 2, 3])"
    assert "tensor([5, 7, 9])" in lines
    assert "tensor(2)" in lines
    assert "tensor([[1],\n        [2],\n        [3]])" in out


@pytest.mark.parametrize("name,fn", [
    ("exp", np.exp), ("log1p", np.log1p), ("sin", np.sin), ("tanh", np.tanh), ("abs", np.abs),
    ("neg", np.negative), ("floor", np.floor), ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("relu", lambda x: np.maximum(x, 0)), ("round", np.round), ("sign", np.sign),
])
def test_unary_matches_numpy(rng, name, fn):
    for t, a in shapes_and_views(rng):
        np.testing.assert_allclose(as_np(getattr(t, name)()).reshape(a.shape), fn(a), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_binary_broadcast_matches_numpy(rng, op):
    a = np.abs(rng.standard_normal((3, 1, 4))) + 0.5
    b = np.abs(rng.standard_normal((5, 1))) + 0.5
    ta, tb = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    got = eval(f"ta {op} tb")
    np.testing.assert_allclose(as_np(got), eval(f"a {op} b"), rtol=1e-12)
    assert tuple(got.shape) == (3, 5, 4)


def test_type_promotion():
    i = torch.tensor([1, 2])
    assert (i + 1).dtype == torch.int64
    assert (i + 1.5).dtype == torch.float32
    assert (i / 2).dtype == torch.float32
    assert (torch.tensor([1, 2], dtype=torch.int32) + torch.tensor(1.5, dtype=torch.float64)).dtype == torch.float64
    assert (torch.tensor([1.0], dtype=torch.float16) + 2.5).dtype == torch.float16
    assert (torch.tensor([True]) + 1).dtype == torch.int64
    assert (torch.tensor([1], dtype=torch.uint8) + torch.tensor([1], dtype=torch.int8)).dtype == torch.int16
    assert torch.tensor([1, 2.0]).dtype == torch.float32
    assert torch.tensor(3).dtype == torch.int64 and torch.tensor(True).dtype == torch.bool


@pytest.mark.parametrize("dims,keep", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_reductions_match_numpy(rng, dims, keep):
    a = rng.standard_normal((5, 7))
    t = torch.tensor(a, dtype=torch.float64)
    np_axis = dims
    np.testing.assert_allclose(as_np(t.sum(dims, keep)), np.sum(a, axis=np_axis, keepdims=keep), rtol=1e-12)
    np.testing.assert_allclose(as_np(t.mean(dims, keep)), np.mean(a, axis=np_axis, keepdims=keep), rtol=1e-12)
    np.testing.assert_allclose(as_np(t.amax(dims, keep)), np.amax(a, axis=np_axis, keepdims=keep))
    np.testing.assert_allclose(as_np(t.var(dims, keepdim=keep)), np.var(a, axis=np_axis, ddof=1, keepdims=keep), rtol=1e-10)


def test_max_with_dim_returns_values_and_indices(rng):
    a = rng.standard_normal((4, 5))
    r = torch.tensor(a).max(1)
    np.testing.assert_allclose(as_np(r.values), a.max(1).astype(np.float32), rtol=1e-6)
    assert r.indices.tolist() == a.argmax(1).tolist()
    v, i = torch.tensor(a).min(dim=0, keepdim=True)
    assert tuple(v.shape) == (1, 5) and i.tolist() == [a.argmin(0).tolist()]


def test_large_sum_is_accurate():
    t = torch.ones(1 << 22)
    assert t.sum().item() == float(1 << 22)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 1, 2, 3), (4, 3, 2))])
def test_matmul_matches_numpy(rng, sa, sb):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    got = torch.tensor(a, dtype=torch.float64) @ torch.tensor(b, dtype=torch.float64)
    np.testing.assert_allclose(as_np(got).reshape(np.shape(a @ b)), a @ b, rtol=1e-10)


def test_matmul_transposed_operands(rng):
    a = rng.standard_normal((64, 32)).astype(np.float32)
    ta = torch.from_numpy(a)
    np.testing.assert_allclose(host(ta.t() @ ta), a.T @ a, rtol=1e-4, atol=1e-4)


def test_views_share_storage():
    x = torch.zeros(3, 4)
    v = x[1]
    v += 1
    assert x.sum().item() == 4
    x.t()[2, 0] = 7
    assert x[0, 2].item() == 7
    y = x.view(12)
    y[0] = 5
    assert x[0, 0].item() == 5
    assert x[:, 1].stride() == (4,) and x[1:].storage_offset() == 4


def test_numpy_interop_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = torch.from_numpy(a)
    a[0, 0] = 42
    assert t[0, 0].item() == 42
    n = t.cpu().numpy()
    n[1, 2] = -1
    assert t[1, 2].item() == -1


def test_inplace_dtype_rules():
    i = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 1.5
    f = torch.tensor([1.0, 2.0])
    f += torch.tensor([1, 1])
    assert f.tolist() == [2.0, 3.0]


def test_errors_have_pytorch_types():
    with pytest.raises(RuntimeError, match="must match the size"):
        torch.ones(3) + torch.ones(4)
    with pytest.raises(IndexError):
        torch.ones(3)[5]
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.ones(3).sum(2)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        torch.ones(2, 3) @ torch.ones(2, 3)
    if torch.get_default_device().type == "cpu":  # CUDA integer division by zero does not raise (PyTorch)
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            torch.tensor([1]) // torch.tensor([0])
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.ones(2, 3).t().view(6)
    with pytest.raises(TypeError):
        torch.ones(2) + "a"


def test_repr_matches_pytorch():
    assert repr(torch.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(torch.tensor(4.0)) == "tensor(4.)"
    assert repr(torch.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(torch.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(torch.tensor([1, 2], dtype=torch.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(torch.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(torch.tensor([True, False])) == "tensor([ True, False])"
    assert repr(torch.tensor([2.0], requires_grad=True)) == "tensor([2.], requires_grad=True)"
    assert repr(torch.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert repr(torch.tensor([float("nan"), 1.0, float("inf")])) == "tensor([nan, 1., inf])"
    assert repr(torch.tensor([1.0], dtype=torch.float64)) == "tensor([1.], dtype=torch.float64)"
    assert str(torch.ones(2, 2).shape) == "torch.Size([2, 2])"
    assert repr(torch.float32) == "torch.float32" and torch.float is torch.float32


def test_generator_reproducible():
    torch.manual_seed(3)
    a = torch.randn(5)
    torch.manual_seed(3)
    b = torch.randn(5)
    assert a.tolist() == b.tolist()
    g = torch.Generator().manual_seed(7)
    r = torch.randint(0, 10, (1000,), generator=g)
    assert 0 <= r.min().item() and r.max().item() <= 9
    p = torch.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
