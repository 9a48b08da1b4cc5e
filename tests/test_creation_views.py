"""Factories, views and conversions against numpy."""
import numpy as np
import pytest

import ferrotorch as torch
from devices import host

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")

ALL_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
              torch.int16, torch.int8, torch.uint8, torch.bool]


def test_factories_match_numpy():
    np.testing.assert_array_equal(host(torch.arange(5)), np.arange(5))
    assert torch.arange(5).dtype == torch.int64 and torch.arange(0, 1, 0.25).dtype == torch.float32
    np.testing.assert_allclose(host(torch.arange(1, 2.5, 0.5, dtype=torch.float64)), np.arange(1, 2.5, 0.5))
    np.testing.assert_allclose(host(torch.arange(10, 0, -3)), np.arange(10, 0, -3))
    np.testing.assert_allclose(host(torch.linspace(-1, 1, 7, dtype=torch.float64)), np.linspace(-1, 1, 7), rtol=1e-15)
    np.testing.assert_allclose(host(torch.logspace(0, 3, 4, dtype=torch.float64)), np.logspace(0, 3, 4))
    np.testing.assert_array_equal(host(torch.eye(3, 4)), np.eye(3, 4, dtype=np.float32))
    np.testing.assert_array_equal(host(torch.full((2, 2), 7)), np.full((2, 2), 7))
    assert torch.full((2,), 7).dtype == torch.int64 and torch.full((2,), 1.5).dtype == torch.float32
    assert torch.full((2,), True).dtype == torch.bool
    assert torch.zeros((2, 3)).shape == (2, 3) and torch.ones([4]).shape == (4,)
    assert torch.zeros(torch.Size([1, 2])).shape == torch.Size([1, 2])
    z = torch.zeros_like(torch.ones(2, 3, dtype=torch.int32))
    assert z.dtype == torch.int32 and z.sum().item() == 0
    assert torch.ones_like(torch.ones(2), dtype=torch.float64).dtype == torch.float64
    assert torch.rand(3, 4).shape == (3, 4) and torch.randn(2, dtype=torch.float64).dtype == torch.float64
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.zeros(-1)


def test_default_dtype_switch():
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([1.5]).dtype == torch.float64
        assert torch.zeros(1).dtype == torch.float64
        assert (torch.tensor([1]) / 2).dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert torch.get_default_dtype() == torch.float32
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


def test_random_distributions():
    torch.manual_seed(0)
    r = torch.rand(100000)
    assert 0 <= r.min().item() and r.max().item() < 1 and abs(r.mean().item() - 0.5) < 0.01
    n = torch.normal(2.0, 3.0, size=(100000,))
    assert abs(n.mean().item() - 2.0) < 0.05 and abs(n.std().item() - 3.0) < 0.05
    m = torch.normal(torch.zeros(3), torch.ones(3))
    assert m.shape == (3,)


def test_view_family_matches_numpy(rng):
    a = rng.standard_normal((2, 3, 4))
    t = torch.tensor(a, dtype=torch.float64)
    np.testing.assert_array_equal(host(t.permute(2, 0, 1)), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(host(t.transpose(0, 2)), a.swapaxes(0, 2))
    np.testing.assert_array_equal(host(t.reshape(4, -1)), a.reshape(4, -1))
    np.testing.assert_array_equal(host(t.flatten(1)), a.reshape(2, 12))
    np.testing.assert_array_equal(host(t.unflatten(2, (2, 2))), a.reshape(2, 3, 2, 2))
    np.testing.assert_array_equal(host(t.unsqueeze(-1)), a[..., None])
    np.testing.assert_array_equal(host(t[:, :1].squeeze()), a[:, 0])
    np.testing.assert_array_equal(host(t.narrow(2, 1, 2)), a[:, :, 1:3])
    np.testing.assert_array_equal(host(t.select(1, -1)), a[:, -1])
    np.testing.assert_array_equal(host(t.diagonal(0, 1, 2)), np.diagonal(a, 0, 1, 2))
    np.testing.assert_array_equal(host(t.diagonal(1, 1, 2)), np.diagonal(a, 1, 1, 2))
    np.testing.assert_array_equal(host(t.movedim(0, -1)), np.moveaxis(a, 0, -1))
    np.testing.assert_array_equal(host(t.mT), a.swapaxes(-1, -2))
    np.testing.assert_array_equal(host(t[..., 1]), a[..., 1])
    np.testing.assert_array_equal(host(t[None, 1, ::2, None]), a[None, 1, ::2, None])
    np.testing.assert_array_equal(host(t[:, -2:, 1:-1:2]), a[:, -2:, 1:-1:2])
    parts = t.split(2, dim=2)
    assert [p.shape[2] for p in parts] == [2, 2]
    assert [p.shape[1] for p in t.split([1, 2], dim=1)] == [1, 2]
    assert [c.shape[1] for c in t.chunk(2, 1)] == [2, 1]
    assert len(t.unbind(0)) == 2 and np.array_equal(host(t.unbind(1)[2]), a[:, 2])
    e = torch.tensor([[1.0], [2.0]]).expand(2, 3)
    assert e.stride() == (1, 0) and e.tolist() == [[1, 1, 1], [2, 2, 2]]
    assert torch.ones(3).expand_as(torch.ones(2, 3)).shape == (2, 3)
    for i in (0, 1):  # views share storage
        assert t.permute(2, 0, 1).data_ptr() == t.data_ptr() or i
    assert not t.transpose(0, 1).is_contiguous() and t.transpose(0, 1).contiguous().is_contiguous()


def test_view_errors():
    t = torch.ones(2, 3)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        t.view(4, 2)
    with pytest.raises(IndexError):
        t.unsqueeze(4)
    with pytest.raises(RuntimeError):
        t.permute(0, 0)
    with pytest.raises(RuntimeError, match="expanded size"):
        t.expand(3, 3)
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0]


@pytest.mark.parametrize("src", ALL_DTYPES)
@pytest.mark.parametrize("dst", ALL_DTYPES)
def test_casts_match_numpy(src, dst):
    vals = [-3.7, -1.0, 0.0, 0.5, 2.5, 100.0]
    npname = {torch.bfloat16: None}.get(src, str(src).split(".")[1])
    t = torch.tensor(vals).to(src)
    r = t.to(dst)
    assert r.dtype == dst
    if npname is None or dst == torch.bfloat16:
        return
    ref = np.array(vals, dtype=np.float32).astype(npname)
    with np.errstate(invalid="ignore"):
        expect = ref.astype(str(dst).split(".")[1]) if dst != torch.bool else ref != 0
    if src in (torch.float32, torch.float64, torch.float16) and dst == torch.uint8:
        expect = np.array([int(v) & 0xFF for v in ref.astype(np.float64)], dtype=np.uint8)
    np.testing.assert_array_equal(host(r), expect)


def test_conversions():
    t = torch.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert torch.tensor(3).item() == 3 and isinstance(torch.tensor(3).item(), int)
    assert isinstance(torch.tensor(True).item(), bool)
    assert float(torch.tensor([2.5])) == 2.5 and int(torch.tensor(7)) == 7
    assert [1, 2, 3][torch.tensor(1)] == 2
    assert len(t) == 2 and [r.tolist() for r in t] == [[1.5, 2.0], [3.0, 4.0]]
    assert bool(torch.tensor([1])) is True
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(torch.tensor([1, 2]))
    with pytest.raises(TypeError):
        len(torch.tensor(1))
    assert t.long().dtype == torch.int64 and t.int().dtype == torch.int32 and t.half().dtype == torch.float16
    assert t.double().dtype == torch.float64 and t.bool().dtype == torch.bool and t.bfloat16().dtype == torch.bfloat16
    assert t.type_as(torch.tensor([1])).dtype == torch.int64 and t.type() == ("torch.FloatTensor" if t.device.type == "cpu" else "torch.cuda.FloatTensor")
    assert t.to(torch.float64).dtype == torch.float64 and t.to(t.device) is t
    assert t.to(torch.ones(1, dtype=torch.int8)).dtype == torch.int8
    c = t.clone()
    c[0, 0] = 9
    assert t[0, 0].item() == 1.5
    d = torch.zeros(2, 2)
    d.copy_(torch.tensor([1, 2]))
    assert d.tolist() == [[1, 2], [1, 2]]
    assert t.element_size() == 4 and t.nbytes == 16 and t.numel() == 4 and t.dim() == 2 and t.ndim == 2
    assert t.size() == (2, 2) and t.size(-1) == 2
    a = host(t)
    assert a.dtype == np.float32 and a.shape == (2, 2)
    if t.device.type == "cpu":  # shares the numpy memory (on CUDA, as_tensor copies to the device)
        assert torch.as_tensor(a).data_ptr() == t.data_ptr()
    with pytest.raises(RuntimeError, match="requires grad"):
        torch.ones(2, requires_grad=True).cpu().numpy()
    with pytest.raises(TypeError):
        torch.ones(2, dtype=torch.bfloat16).cpu().numpy()
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(np.arange(4)[::-1])
