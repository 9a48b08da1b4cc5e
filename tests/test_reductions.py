"""Reductions against numpy over dtypes, dims, keepdim and edge shapes."""
import numpy as np
import pytest

import ferrotorch as torch
from devices import host

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")


@pytest.fixture
def a(rng):
    return rng.standard_normal((3, 4, 5))


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), (1,)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_float_reductions(a, dim, keepdim):
    t = torch.tensor(a)  # float64
    ax = dim
    np.testing.assert_allclose(host(t.sum(dim, keepdim)), a.sum(axis=ax, keepdims=keepdim), rtol=1e-12)
    if isinstance(dim, int):  # prod takes a single dim
        np.testing.assert_allclose(host(t.prod(dim, keepdim)), a.prod(axis=ax, keepdims=keepdim), rtol=1e-12)
    np.testing.assert_allclose(host(t.amin(dim, keepdim)), a.min(axis=ax, keepdims=keepdim))
    np.testing.assert_allclose(host(t.std(dim, keepdim=keepdim)), a.std(axis=ax, ddof=1, keepdims=keepdim), rtol=1e-10)
    np.testing.assert_allclose(host(t.var(dim, correction=0, keepdim=keepdim)), a.var(axis=ax, keepdims=keepdim), rtol=1e-10)


def test_reductions_on_non_contiguous(a):
    t = torch.tensor(a).permute(2, 0, 1)[:, ::2]
    ref = a.transpose(2, 0, 1)[:, ::2]
    np.testing.assert_allclose(host(t.sum(1)), ref.sum(1), rtol=1e-12)
    np.testing.assert_allclose(host(t.mean((0, 2))), ref.mean((0, 2)), rtol=1e-12)
    assert t.argmax(2).tolist() == ref.argmax(2).tolist()


def test_arg_reductions(a):
    t = torch.tensor(a)
    assert t.argmax().item() == a.argmax() and t.argmin().item() == a.argmin()
    assert t.argmax(1).tolist() == a.argmax(1).tolist()
    assert t.argmin(0, keepdim=True).shape == (1, 4, 5)
    ties = torch.tensor([1, 3, 3, 0])
    assert ties.argmax().item() == 1  # first occurrence
    assert torch.tensor([1.0, float("nan"), 2.0]).argmax().item() == 1  # NaN propagates
    assert torch.tensor([1.0, float("nan"), 2.0]).max().item() != torch.tensor([1.0, float("nan"), 2.0]).max().item()


def test_integer_and_bool_reductions():
    i = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
    assert i.sum().dtype == torch.int64 and i.sum().item() == 10
    assert i.sum(dtype=torch.float64).dtype == torch.float64
    assert i.prod().item() == 24 and i.prod(1).tolist() == [2, 12]
    assert i.max().item() == 4 and i.max().dtype == torch.int32
    b = torch.tensor([True, True, False])
    assert b.sum().item() == 2 and b.all().item() is False and b.any().item() is True
    assert torch.tensor([[1, 0], [1, 1]]).all(1).tolist() == [False, True]
    assert torch.tensor([0, 2], dtype=torch.uint8).any().dtype == torch.uint8
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        i.mean()
    assert i.mean(dtype=torch.float32).item() == 2.5


def test_empty_and_zero_dim():
    e = torch.zeros(0, 3)
    assert e.sum().item() == 0 and e.sum(0).tolist() == [0, 0, 0] and e.prod().item() == 1
    assert e.all().item() is True and e.any().item() is False
    assert np.isnan(e.mean().item())
    with pytest.raises(IndexError, match="Expected reduction dim"):
        e.max()
    s = torch.tensor(3.0)
    assert s.sum().item() == 3.0 and s.sum(0).item() == 3.0 and s.max(0).values.item() == 3.0
    f = np.arange(1.0, 6.0)
    assert torch.tensor(f).prod().item() == pytest.approx(f.prod(), rel=1e-12)
    assert s.argmax().item() == 0 and s.mean(dim=-1).item() == 3.0


def test_sum_float32_accuracy_and_parallel(rng):
    a = rng.standard_normal(3_000_001).astype(np.float32)
    assert abs(torch.from_numpy(a).sum().item() - a.astype(np.float64).sum()) < 1e-2
    m = rng.standard_normal((300, 2000)).astype(np.float32)
    np.testing.assert_allclose(host(torch.from_numpy(m).sum(0)), m.astype(np.float64).sum(0), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(host(torch.from_numpy(m).sum(1)), m.astype(np.float64).sum(1), rtol=1e-4, atol=1e-3)
