"""Joining/shaping, scans, norms and sorting against NumPy (float64 reference)."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from devices import host

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")


def T(a, dtype=torch.float64):
    return torch.tensor(host(a).tolist(), dtype=dtype)


def close(t, ref, atol=1e-9):
    np.testing.assert_allclose(np.array(t.tolist(), dtype=np.float64).reshape(np.shape(ref)), ref, atol=atol, rtol=1e-7)


@pytest.fixture
def a34(rng):
    x = rng.standard_normal((3, 4))
    return T(x), x


def test_cat_promotes_and_noncontiguous(rng):
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    tx, ty = T(x), T(y).t()
    close(torch.cat([tx, ty], 0), np.concatenate([x, y.T], 0))
    close(torch.cat((tx, ty), dim=-1) if False else torch.cat([tx.t(), T(y)], 1), np.concatenate([x.T, y], 1))
    r = torch.cat([torch.tensor([1, 2]), torch.tensor([0.5], dtype=torch.float32)])
    assert r.dtype == torch.float32 and r.tolist() == [1.0, 2.0, 0.5]
    close(torch.concat([tx, tx[::2]]), np.concatenate([x, x[::2]]))
    close(torch.concatenate([tx, tx], axis=1), np.concatenate([x, x], 1))
    # legacy: empty 1-D tensors are skipped
    assert torch.cat([torch.zeros(0), T(x)]).shape == (2, 3)
    assert torch.cat([torch.zeros(0, 3), torch.zeros(2, 3)]).shape == (2, 3)


def test_cat_errors():
    with pytest.raises(RuntimeError):
        torch.cat([])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        torch.cat([torch.zeros(2, 3), torch.zeros(3)])
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        torch.cat([torch.tensor(1.0)])
    with pytest.raises(IndexError):
        torch.cat([torch.zeros(2), torch.zeros(2)], dim=2)
    with pytest.raises(TypeError):
        torch.cat(torch.zeros(2))


def test_stack_hstack_vstack(rng):
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    for d in (0, 1, 2, -1):
        close(torch.stack([T(x), T(y)], d), np.stack([x, y], d))
    close(torch.stack([T(x).t(), T(y).t()]), np.stack([x.T, y.T]))
    assert torch.stack([torch.tensor(1.0), torch.tensor(2.0)]).tolist() == [1.0, 2.0]
    close(torch.hstack([T(x), T(y)]), np.hstack([x, y]))
    close(torch.vstack([T(x), T(y[0])]), np.vstack([x, y[0]]))
    close(torch.hstack([T(x[0]), T(y[0])]), np.hstack([x[0], y[0]]))
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        torch.stack([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(RuntimeError):
        torch.stack([])


def test_flip_roll(rng):
    x = rng.standard_normal((3, 4, 5))
    t = T(x)
    close(torch.flip(t, [0, 2]), np.flip(x, (0, 2)))
    close(t.flip(1), np.flip(x, 1))
    close(t.transpose(0, 2)[::2].flip(0, 1), np.flip(x.transpose(2, 1, 0)[::2], (0, 1)))
    assert torch.flip(torch.tensor(3.0), []).item() == 3.0
    assert torch.zeros(0, 2).flip(0).shape == (0, 2)
    close(t.roll(2), np.roll(x, 2))
    close(t.roll(-1, 1), np.roll(x, -1, 1))
    close(torch.roll(t.transpose(0, 1), (1, 7), (0, 2)), np.roll(x.transpose(1, 0, 2), (1, 7), (0, 2)))
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        t.roll((1, 2), 0)
    with pytest.raises(RuntimeError):
        t.flip(0, 0)


def test_repeat_tile_repeat_interleave(rng):
    x = rng.standard_normal((2, 3))
    t = T(x)
    close(t.repeat(2, 1, 3), np.tile(x, (2, 1, 3)))
    close(t.t().repeat(2, 2), np.tile(x.T, (2, 2)))
    close(t.tile((2,)), np.tile(x, 2))
    close(torch.tile(t, (2, 1, 2)), np.tile(x, (2, 1, 2)))
    assert t.repeat(0, 1).shape == (0, 3)
    with pytest.raises(RuntimeError):
        t.repeat(2)
    close(t.repeat_interleave(2), np.repeat(x, 2))
    close(t.repeat_interleave(2, dim=1), np.repeat(x, 2, 1))
    close(torch.repeat_interleave(t.t(), torch.tensor([1, 0, 2]), dim=0), np.repeat(x.T, [1, 0, 2], 0))
    assert torch.repeat_interleave(torch.tensor([1, 2])).tolist() == [0, 1, 1]
    with pytest.raises(RuntimeError):
        t.repeat_interleave(torch.tensor([1, 2]), dim=1)
    with pytest.raises(RuntimeError):
        t.repeat_interleave(-1)


def test_broadcast_meshgrid():
    a, b = torch.zeros(3, 1), torch.ones(4)
    ra, rb = torch.broadcast_tensors(a, b)
    assert ra.shape == rb.shape == (3, 4)
    assert torch.broadcast_shapes((3, 1), (4,), 1) == (3, 4)
    with pytest.raises(RuntimeError):
        torch.broadcast_shapes((3,), (4,))
    x, y = np.arange(3.0), np.arange(4.0)
    for ind in ("ij", "xy"):
        gx, gy = torch.meshgrid(T(x), T(y), indexing=ind)
        nx, ny = np.meshgrid(x, y, indexing=ind)
        close(gx, nx)
        close(gy, ny)
    g = torch.meshgrid([T(x), T(y), T(x)])
    assert [t.shape for t in g] == [(3, 4, 3)] * 3


def test_tril_triu(rng):
    x = rng.standard_normal((2, 4, 5))
    t = T(x)
    for k in (-1, 0, 2):
        close(t.tril(k), np.tril(x, k))
        close(torch.triu(t, k), np.triu(x, k))
    close(t.transpose(1, 2).tril(), np.tril(x.transpose(0, 2, 1)))
    u = T(x[0])
    u.triu_(1)
    close(u, np.triu(x[0], 1))
    assert torch.ones(2, 2, dtype=torch.bool).tril().tolist() == [[True, False], [True, True]]
    with pytest.raises(RuntimeError):
        torch.zeros(3).tril()


def test_outer_addmm(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(4)
    close(torch.outer(T(a), T(b)), np.outer(a, b))
    m1, m2, inp = rng.standard_normal((3, 2)), rng.standard_normal((2, 4)), rng.standard_normal(4)
    close(torch.addmm(T(inp), T(m1), T(m2), beta=0.5, alpha=2.0), 0.5 * inp + 2 * m1 @ m2)
    close(T(inp).addmm(T(m1.T).t(), T(m2)), inp + m1 @ m2)
    with pytest.raises(RuntimeError):
        torch.outer(T(m1), T(b))
    with pytest.raises(RuntimeError):
        torch.addmm(T(inp), T(m1), T(m1))


@pytest.mark.parametrize(
    "eq,shapes",
    [
        ("ij,jk->ik", [(3, 4), (4, 5)]),
        ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("ii->i", [(4, 4)]),
        ("ij->ji", [(3, 4)]),
        ("i,i->", [(5,), (5,)]),
        ("i,j->ij", [(3,), (4,)]),
        ("ij,jk", [(3, 4), (4, 2)]),
        ("ba,ca", [(3, 4), (2, 4)]),
        ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
        ("i...->...", [(3, 2, 2)]),
        ("ij,ij->i", [(3, 4), (3, 4)]),
        ("ii", [(3, 3)]),
        ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
        ("ij,kl->ijkl", [(2, 3), (1, 2)]),
        ("i j , j k -> i k", [(2, 3), (3, 2)]),
    ],
)
def test_einsum(rng, eq, shapes):
    arrs = [rng.standard_normal(s) for s in shapes]
    ts = [T(a) for a in arrs]
    close(torch.einsum(eq, *ts), np.einsum(eq.replace(" ", ""), *arrs))
    close(torch.einsum(eq, ts), np.einsum(eq.replace(" ", ""), *arrs))


def test_einsum_noncontig_and_errors(rng):
    x = rng.standard_normal((4, 3))
    close(torch.einsum("ij,jk->ik", T(x).t(), T(x)[:, ::2]), np.einsum("ij,jk->ik", x.T, x[:, ::2]))
    assert torch.einsum("ij,jk->ik", torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2, dtype=torch.int64)).tolist() == [[2, 2], [2, 2]]
    with pytest.raises(RuntimeError):
        torch.einsum("ij,jk->ik", T(x))
    with pytest.raises(RuntimeError):
        torch.einsum("ij,jk->ik", T(x), T(x))
    with pytest.raises(RuntimeError):
        torch.einsum("ijk->i", T(x))
    with pytest.raises(RuntimeError):
        torch.einsum("ij->z", T(x))


def test_cumsum_cumprod(rng):
    x = rng.standard_normal((3, 4))
    t = T(x)
    for d in (0, 1, -1):
        close(t.cumsum(d), np.cumsum(x, d))
        close(torch.cumprod(t, d), np.cumprod(x, d))
    close(t.t().cumsum(0), np.cumsum(x.T, 0))
    i = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
    r = i.cumsum(1)
    assert r.dtype == torch.int64 and r.tolist() == [[1, 3], [3, 7]]
    assert torch.cumprod(i, 0).dtype == torch.int64
    assert torch.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert i.cumsum(0, dtype=torch.float32).dtype == torch.float32
    assert torch.tensor(2.0).cumsum(0).item() == 2.0
    assert torch.zeros(0, 3).cumsum(0).shape == (0, 3)
    with pytest.raises(IndexError):
        t.cumsum(2)


def test_logsumexp(rng):
    x = rng.standard_normal((3, 4)) * 50
    t = T(x)
    ref = lambda a, ax, kd=False: np.log(np.sum(np.exp(a - a.max(ax, keepdims=True)), ax, keepdims=kd)) + (a.max(ax, keepdims=True) if kd else a.max(ax))
    close(t.logsumexp(1), ref(x, 1))
    close(torch.logsumexp(t, 0, keepdim=True), ref(x, 0, True))
    close(t.logsumexp((0, 1)), ref(x, (0, 1)))
    big = torch.tensor([1000.0, 1000.0])
    assert abs(big.logsumexp(0).item() - (1000 + math.log(2))) < 1e-3
    assert torch.tensor([-math.inf, -math.inf]).logsumexp(0).item() == -math.inf
    assert torch.tensor([1, 2]).logsumexp(0).dtype == torch.float32


def test_norm(rng):
    x = rng.standard_normal((3, 4))
    t = T(x)
    close(t.norm(), np.linalg.norm(x))
    close(torch.norm(t, p="fro"), np.linalg.norm(x, "fro"))
    close(t.norm(1, dim=1), np.linalg.norm(x, 1, axis=1))
    close(t.t().norm(3, dim=0, keepdim=True), np.sum(np.abs(x.T) ** 3, 0, keepdims=True) ** (1 / 3))
    close(t.norm(math.inf, dim=0), np.linalg.norm(x, np.inf, axis=0))
    close(t.norm(-math.inf), np.min(np.abs(x)))
    close(t.norm(0), np.count_nonzero(x))
    close(torch.linalg.vector_norm(t, 2, dim=(0, 1)), np.linalg.norm(x))
    close(torch.linalg.vector_norm(t, ord=1), np.abs(x).sum())
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).norm()


def test_sort_argsort(rng):
    x = rng.integers(0, 5, (4, 6)).astype(np.float64)
    t = T(x)
    for d in (0, 1, -1):
        v, i = torch.sort(t, d, stable=True)
        close(v, np.sort(x, d, kind="stable"))
        assert np.array_equal(np.array(i.tolist()), np.argsort(x, d, kind="stable"))
        assert np.array_equal(np.array(t.argsort(dim=d, stable=True).tolist()), np.argsort(x, d, kind="stable"))
    r = t.sort(descending=True)
    assert type(r).__name__ == "sort" and r.values is r[0]
    close(r.values, -np.sort(-x, 1))
    # stable descending keeps the original order of ties
    di = np.array(t.sort(1, descending=True, stable=True).indices.tolist())
    assert np.array_equal(di, np.argsort(-x, 1, kind="stable"))
    tt = t.t()[::2]
    close(tt.sort(0).values, np.sort(x.T[::2], 0))
    n = torch.tensor([3.0, math.nan, 1.0, -math.inf])
    assert n.sort().indices.tolist() == [3, 2, 0, 1]
    assert n.sort(descending=True).indices.tolist() == [1, 0, 2, 3]
    assert torch.tensor(2.0).sort().values.item() == 2.0
    assert torch.zeros(0).sort().values.shape == (0,)
    assert torch.tensor([3, 1, 2]).sort().values.tolist() == [1, 2, 3]
    close(torch.msort(T(x)), np.sort(x, 0))
    with pytest.raises(IndexError):
        t.sort(2)


def test_topk(rng):
    x = rng.standard_normal((3, 7))
    t = T(x)
    r = torch.topk(t, 3)
    assert type(r).__name__ == "topk"
    close(r.values, -np.sort(-x, 1)[:, :3])
    assert np.array_equal(np.array(r.indices.tolist()), np.argsort(-x, 1)[:, :3])
    close(t.t().topk(2, dim=0, largest=False).values, np.sort(x.T, 0)[:2])
    assert torch.tensor([1.0, math.nan, 2.0]).topk(1).indices.tolist() == [1]
    with pytest.raises(RuntimeError, match="out of range"):
        t.topk(8)


def test_unique(rng):
    x = rng.integers(0, 6, (4, 5))
    t = torch.tensor(x.tolist())
    u, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
    assert torch.unique(t).tolist() == u.tolist()
    tu, tinv, tcnt = torch.unique(t, return_inverse=True, return_counts=True)
    assert tu.tolist() == u.tolist() and tcnt.tolist() == cnt.tolist()
    assert tinv.shape == (4, 5) and np.array_equal(np.array(tinv.tolist()).ravel(), inv.ravel())
    u2, c2 = t.t().unique(return_counts=True)
    assert u2.tolist() == u.tolist() and c2.tolist() == cnt.tolist()
    assert torch.zeros(0).unique().shape == (0,)
    assert t.unique().dtype == torch.int64
