"""Python-composed API gaps: comparisons, new_* factories, random fills and
sampling, pointwise/matrix/index composites, lgamma/digamma and torch.linalg
(numpy float64 references, gradcheck in float64, PyTorch's error types)."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck, gradgradcheck

NAN, INF = float("nan"), float("inf")


def T(a, dtype=torch.float64, requires_grad=False):
    t = torch.tensor(np.asarray(a).tolist(), dtype=dtype)
    return t.requires_grad_() if requires_grad else t


def A(t):
    return np.array(t.tolist(), dtype=np.float64).reshape(tuple(t.shape))


def close(t, ref, atol=1e-9, rtol=1e-7):
    np.testing.assert_allclose(A(t), np.asarray(ref, dtype=np.float64), atol=atol, rtol=rtol)


# ---- isclose / allclose / equal ---------------------------------------------------

def test_isclose_matches_numpy_and_rules():
    a = T([1.0, NAN, 1e10, INF, INF, 0.0, 1.0])
    b = T([1.00001, NAN, 1.0001e10, INF, -INF, 1e-9, 1.1])
    assert torch.isclose(a, b).tolist() == np.isclose(A(a), A(b)).tolist()
    assert torch.isclose(a, b, equal_nan=True).tolist() == np.isclose(A(a), A(b), equal_nan=True).tolist()
    assert torch.isclose(a, b, rtol=0.2).tolist() == np.isclose(A(a), A(b), rtol=0.2).tolist()
    # broadcasting, integer and bool inputs
    r = torch.isclose(T([[1.0], [2.0]]), T([1.0, 2.0, 2.5]), atol=0.5)
    assert r.shape == (2, 3) and r.tolist() == [[True, False, False], [False, True, True]]
    assert torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3]), atol=1).tolist() == [True, True]
    assert torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])).tolist() == [True, False]
    assert torch.isclose(torch.tensor([True, False]), torch.tensor([True, True])).tolist() == [True, False]
    assert T([1.0]).isclose(T([1.0 + 1e-9])).tolist() == [True]


def test_isclose_errors():
    with pytest.raises(RuntimeError, match="Long did not match Float"):
        torch.isclose(torch.tensor([1]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Double did not match Float"):
        torch.allclose(T([1.0]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got -1"):
        torch.isclose(T([1.0]), T([1.0]), rtol=-1)
    with pytest.raises(RuntimeError, match="atol must be greater than or equal to zero"):
        torch.isclose(T([1.0]), T([1.0]), atol=-1)
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        torch.isclose(T([1.0]), 1.0)


def test_allclose_and_equal_return_python_bools():
    assert torch.allclose(T([1.0, 2.0]), T([1.0, 2.0 + 1e-7])) is True
    assert torch.allclose(T([1.0, 2.0]), T([1.0, 3.0])) is False
    assert torch.allclose(T([1.0]), T([1.0, 1.0])) is True  # broadcasts
    assert torch.allclose(T([NAN]), T([NAN])) is False
    assert torch.allclose(T([NAN]), T([NAN]), equal_nan=True) is True
    assert T([1.0]).allclose(T([1.5]), atol=0.5) is True
    assert torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2])) is True
    assert torch.equal(torch.tensor([1]), torch.tensor([1.0])) is True  # values compared after promotion
    assert torch.equal(torch.tensor([1, 2]), torch.tensor([[1, 2]])) is False  # shapes differ
    x = T([NAN])
    assert torch.equal(x, x) is False
    assert torch.equal(torch.zeros(0), torch.zeros(0, 3)) is False
    assert torch.zeros(2, 3).equal(torch.zeros(2, 3)) is True
    with pytest.raises(TypeError):
        torch.equal(T([1.0]), 1.0)


# ---- new_* factories --------------------------------------------------------------

def test_new_factories_take_dtype_from_self():
    x = T([1.0, 2.0])
    for r in (x.new_zeros(2, 3), x.new_zeros((2, 3)), x.new_zeros([2, 3]), x.new_zeros(torch.Size([2, 3])),
              x.new_zeros(size=(2, 3))):
        assert r.dtype == torch.float64 and r.shape == (2, 3) and not r.requires_grad
        assert A(r).tolist() == np.zeros((2, 3)).tolist()
    assert x.new_ones(2).tolist() == [1.0, 1.0] and x.new_ones(2).dtype == torch.float64
    o = x.new_ones((2, 3), dtype=torch.int32)
    assert o.dtype == torch.int32 and o.tolist() == [[1] * 3] * 2
    assert x.new_empty([4]).shape == (4,) and x.new_empty(2, 2).dtype == torch.float64
    assert x.new_zeros([]).shape == ()
    f = x.new_full((2,), 3)
    assert f.dtype == torch.float64 and f.tolist() == [3.0, 3.0]
    assert torch.tensor([1, 2]).new_full((2,), 2.5).tolist() == [2, 2]
    r = torch.tensor([1.0]).new_ones(2, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2]).new_ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="size"):
        x.new_zeros()


def test_new_tensor_copies_and_casts_to_self_dtype():
    assert torch.tensor([1, 2]).new_tensor([1.5]).tolist() == [1]
    r = torch.tensor([1.0]).new_tensor([1, 2])
    assert r.dtype == torch.float32 and r.tolist() == [1.0, 2.0]
    assert T([1.0]).new_tensor(3.5, requires_grad=True).requires_grad
    assert T([1.0]).new_tensor([1], dtype=torch.int16).dtype == torch.int16
    src = torch.tensor([1, 2])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        c = T([1.0]).new_tensor(src)
    assert c.dtype == torch.float64 and c.tolist() == [1.0, 2.0]
    c[0] = 7
    assert src.tolist() == [1, 2]  # a copy, not a view
