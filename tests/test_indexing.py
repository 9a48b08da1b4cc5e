"""Indexing ops and advanced __getitem__/__setitem__ checked against numpy."""
import numpy as np
import pytest

import ferrotorch as torch
from devices import host, raises_out_of_range

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")


def T(a):
    a = host(a)
    if a.dtype == np.float64:
        return torch.tensor(a, dtype=torch.float64)
    if a.dtype == np.bool_:
        return torch.tensor(a, dtype=torch.bool)
    return torch.tensor(a.astype(np.int64), dtype=torch.int64)


def N(t):
    return host(t.tolist())


def check(t, ref):
    got = N(t)
    ref = host(ref)
    assert tuple(t.shape) == ref.shape, (tuple(t.shape), ref.shape)
    np.testing.assert_allclose(got.reshape(ref.shape).astype(np.float64), ref.astype(np.float64))


@pytest.fixture
def base(rng):
    return rng.standard_normal((4, 5, 6))


def views(a):
    """(tensor, array) pairs: contiguous, transposed, stepped slice."""
    t = T(a)
    yield t, a
    yield t.transpose(0, 2), a.transpose(2, 1, 0)
    yield t[::2, 1::2], a[::2, 1::2]


GET_CASES = [
    lambda I: I([0, 2]),
    lambda I: I([-1, 0, 3]),
    lambda I: I([[0, 1], [1, 0]]),
    lambda I: (slice(None), I([0, 1, 0])),
    lambda I: (slice(None), I([0, 1]), I([1, 0])),
    lambda I: (I([0, 1]), slice(None), I([1, 0])),
    lambda I: (Ellipsis, I([1, -1])),
    lambda I: (I([[0], [1]]), I([0, 1, 0])),
    lambda I: (None, I([1]), slice(0, 2)),
    lambda I: I(np.array([], dtype=np.int64)),
]


@pytest.mark.parametrize("k", range(len(GET_CASES)))
@pytest.mark.parametrize("as_list", [False, True])
def test_getitem_int_indices(base, k, as_list):
    for t, a in views(base):
        try:
            idx_np = GET_CASES[k](np.asarray)
        except Exception:
            continue
        try:
            ref = a[idx_np]
        except IndexError:
            continue
        conv = (lambda x: host(x).tolist()) if as_list else (lambda x: T(host(x, dtype=np.int64)))
        check(t[GET_CASES[k](conv)], ref)


def test_getitem_bool_masks(base):
    for t, a in views(base):
        m = a > 0
        check(t[T(m)], a[m])
        m2 = a[..., 0] > 0
        check(t[T(m2)], a[m2])
        m1 = np.array([True, False] * (a.shape[0] // 2) + [True] * (a.shape[0] % 2))
        check(t[m1.tolist()], a[m1])
        check(t[:, T(a[0, :, 0] > 0)], a[:, a[0, :, 0] > 0])
    t = T(base)
    check(t[T(np.zeros(base.shape, dtype=bool))], np.zeros(0))
    check(t[t > 0], base[base > 0])
    # 0-d bool tensor adds a dim
    check(t[torch.tensor(True)], base[None])
    check(t[torch.tensor(False)], base[None][:0])


def test_getitem_pytorch_int_select_before_advanced(base):
    # PyTorch applies ints as select, so [0, :, idx] keeps the advanced dim in place
    t = T(base)
    r = t[0, :, [1, 2]]
    check(r, base[0][:, [1, 2]])


def test_getitem_errors(base):
    t = T(base)
    with raises_out_of_range("index 5 is out of bounds for dimension 0 with size 4"):
        t[[5]]
    with raises_out_of_range():
        t[:, [-6]]
    with pytest.raises(IndexError):
        t[T(np.ones((3,), dtype=bool))]
    with pytest.raises(IndexError):
        t[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError):
        t[torch.tensor([0.0, 1.0])]
    with pytest.raises(IndexError):
        t[[0], [0], [0], [0]]


def test_setitem(base):
    for make in [lambda: (T(base), base.copy()), lambda: (T(base).transpose(0, 1), base.copy().transpose(1, 0, 2))]:
        t, a = make()
        t[[0, 2]] = 7.0
        a[[0, 2]] = 7.0
        check(t, a)
        t[:, [1, -1], 2] = T(np.array([1.0, 2.0]))
        a[:, [1, -1], 2] = np.array([1.0, 2.0])
        check(t, a)
        m = a > 0.5
        t[T(m)] = 0.0
        a[m] = 0.0
        check(t, a)
        v = np.arange(a.shape[2], dtype=np.float64)
        t[[1, 0]] = T(v)
        a[[1, 0]] = v
        check(t, a)
    # writes through a view reach the base
    t = T(base)
    a = base.copy()
    v = t[1:]
    v[[0, 1], [2, 3]] = -1.0
    a[1:][[0, 1], [2, 3]] = -1.0
    check(t, a)
    with pytest.raises(RuntimeError):
        t[[0, 1]] = T(np.zeros(3))
    with raises_out_of_range():
        t[[9]] = 1.0


def test_setitem_int_tensor_and_empty():
    t = torch.arange(6).reshape(2, 3)
    t[[1], [2]] = 42
    assert t.tolist() == [[0, 1, 2], [3, 4, 42]]
    t[[]] = 5
    assert t.tolist() == [[0, 1, 2], [3, 4, 42]]
    assert t[[]].shape == (0, 3)


def test_index_select(base):
    for t, a in views(base):
        for d in range(3):
            idx = np.array([a.shape[d] - 1, 0, -1, 0])
            check(t.index_select(d, T(idx)), np.take(a, idx, axis=d))
            check(torch.index_select(t, d, T(idx)), np.take(a, idx, axis=d))
        check(t.index_select(1, torch.tensor([], dtype=torch.int64)), a[:, :0])
    with raises_out_of_range():
        T(base).index_select(0, torch.tensor([4]))
    with pytest.raises(IndexError):
        T(base).index_select(0, torch.tensor([[0]]))


def test_gather_scatter_family(rng):
    a = rng.standard_normal((3, 4))
    for t, x in [(T(a), a), (T(a.T.copy()).t(), a)]:
        idx = rng.integers(0, 3, (2, 4))
        src = rng.standard_normal((2, 5))
        ref = x.copy()
        np.put_along_axis(ref, idx, src[:, :4], axis=0)  # later writes win like numpy for distinct idx
        # scatter with duplicate indices is nondeterministic in PyTorch; use distinct ones
        idx = np.stack([rng.permutation(3)[:2] for _ in range(4)], axis=1)
        ref = x.copy()
        np.put_along_axis(ref, idx, src[:, :4], axis=0)
        check(t.scatter(0, T(idx), T(src)), ref)
        check(torch.scatter(t, 0, T(idx), T(src)), ref)
        ref2 = x.copy()
        np.put_along_axis(ref2, idx, 2.5, axis=0)
        check(t.scatter(0, T(idx), 2.5), ref2)
        check(t.scatter(0, T(idx), value=2.5), ref2)
        # scatter_add with duplicates == np.add.at
        didx = rng.integers(-3, 3, (5, 4))
        s = rng.standard_normal((5, 4))
        ref3 = x.copy()
        cols = np.broadcast_to(np.arange(4), didx.shape)
        np.add.at(ref3, (didx, cols), s)
        check(t.scatter_add(0, T(didx), T(s)), ref3)
        c = t.clone()
        assert c.scatter_add_(0, T(didx), T(s)) is c
        check(c, ref3)
        check(t, x)  # out-of-place left input alone
    t = T(a)
    t.scatter_(1, T(np.array([[3], [0], [1]])), T(np.full((3, 1), 9.0)))
    ref = a.copy()
    ref[[0, 1, 2], [3, 0, 1]] = 9.0
    check(t, ref)
    with pytest.raises(RuntimeError, match="out of bounds|device-side assert"):
        T(a).scatter_(0, torch.tensor([[5]]), 1.0).sum().item()  # .item() syncs, raising a CUDA kernel's error
    with pytest.raises(RuntimeError):
        T(a).scatter_(0, torch.tensor([[0.0]]), 1.0)
    with pytest.raises(RuntimeError):
        T(a).scatter_(0, torch.tensor([[0]]), torch.tensor([[1]]))  # dtype mismatch
    # empty index is a no-op
    check(T(a).scatter(0, torch.zeros(0, 4, dtype=torch.int64), T(a)), a)


def test_index_add(rng):
    a = rng.standard_normal((4, 3))
    idx = np.array([0, 2, 0, -1, 3])
    src = rng.standard_normal((5, 3))
    ref = a.copy()
    np.add.at(ref, idx, 2.0 * src)
    for t in [T(a), T(a.T.copy()).t()]:
        check(t.index_add(0, T(idx), T(src), alpha=2.0), ref)
        check(torch.index_add(t, 0, T(idx), T(src), alpha=2), ref)
        c = t.clone()
        c.index_add_(0, T(idx), T(src), alpha=2.0)
        check(c, ref)
    ref1 = a.copy()
    src1 = rng.standard_normal((4, 2))
    np.add.at(ref1, (slice(None), np.array([2, 2])), src1)
    check(T(a).index_add(1, torch.tensor([2, 2]), T(src1)), ref1)
    ti = torch.zeros(3, dtype=torch.int64)
    ti.index_add_(0, torch.tensor([1, 1, 2]), torch.tensor([5, 6, 7]))
    assert ti.tolist() == [0, 11, 7]
    with pytest.raises(RuntimeError):
        T(a).index_add(0, T(idx), T(src[:, :2]))
    with raises_out_of_range():
        T(a).index_add(0, torch.tensor([4]), T(src[:1]))


def test_index_put(rng):
    a = rng.standard_normal((4, 5))
    i0, i1 = np.array([0, 3, 0]), np.array([1, -1, 1])
    v = np.array([1.0, 2.0, 3.0])
    ref = a.copy()
    np.add.at(ref, (i0, i1), v)
    t = T(a)
    check(t.index_put((T(i0), T(i1)), T(v), accumulate=True), ref)
    check(torch.index_put(t, (T(i0), T(i1)), T(v), True), ref)
    check(t, a)
    ref2 = a.copy()
    ref2[[1, 2]] = 0.5
    check(t.index_put_((T(np.array([1, 2])),), torch.tensor(0.5, dtype=torch.float64)), ref2)
    check(t, ref2)
    m = a > 0
    ref3 = a.copy()
    ref3[m] = -2.0
    check(T(a).index_put((T(m),), torch.tensor(-2.0, dtype=torch.float64)), ref3)


def test_masked(rng):
    a = rng.standard_normal((3, 4))
    m = rng.standard_normal(4) > 0
    for t, x in [(T(a), a), (T(a.T.copy()).t(), a), (T(a)[:, ::1], a)]:
        ref = np.where(m, 1.5, x)
        check(t.masked_fill(T(m), 1.5), ref)
        check(torch.masked_fill(t, T(m), torch.tensor(1.5)), ref)
        c = t.clone()
        c.masked_fill_(T(m), 1.5)
        check(c, ref)
        check(t.masked_select(T(m)), np.broadcast_to(x, (3, 4))[np.broadcast_to(m, (3, 4))])
        check(torch.masked_select(t, T(x > 0)), x[x > 0])
    ti = torch.arange(4)
    assert ti.masked_fill(ti > 1, 2.7).tolist() == [0, 1, 2, 2]
    assert ti.masked_fill(ti > 1, 2.7).dtype == torch.int64
    with pytest.raises(RuntimeError):
        T(a).masked_fill(torch.tensor([1, 0, 1, 0]), 0.0)
    with pytest.raises(RuntimeError):
        T(a).masked_fill(T(m), torch.tensor([1.0]))
    with pytest.raises(RuntimeError):
        T(a[0]).masked_fill_(T(np.ones((3, 4), dtype=bool)), 0.0)
    check(torch.tensor(2.0).masked_select(torch.tensor(True)), np.array([2.0]))


def test_nonzero_argwhere_where(rng):
    a = (rng.standard_normal((3, 4, 2)) > 0) * rng.standard_normal((3, 4, 2))
    for t, x in [(T(a), a), (T(a).transpose(0, 2), a.transpose(2, 1, 0))]:
        nz = t.nonzero()
        assert nz.dtype == torch.int64
        check(nz, np.argwhere(x))
        check(torch.argwhere(t), np.argwhere(x))
        tup = t.nonzero(as_tuple=True)
        assert isinstance(tup, tuple) and len(tup) == x.ndim
        for g, r in zip(tup, np.nonzero(x)):
            check(g, r)
        for g, r in zip(torch.where(t != 0), np.nonzero(x)):
            check(g, r)
    assert torch.zeros(0, 3).nonzero().shape == (0, 2)
    assert torch.tensor(3.0).nonzero().shape == (1, 0)
    assert [x.tolist() for x in torch.nonzero(torch.tensor(3.0), as_tuple=True)] == [[0]]


def test_take_and_take_along_dim(rng):
    a = rng.standard_normal((3, 4))
    idx = np.array([[0, -1], [5, 11]])
    for t, x in [(T(a), a), (T(a.T.copy()).t(), a)]:
        check(t.take(T(idx)), np.take(x, idx))
        check(torch.take(t, T(idx)), np.take(x, idx))
        ai = np.argsort(x, axis=1)
        check(t.take_along_dim(T(ai), dim=1), np.take_along_axis(x, ai, axis=1))
        check(torch.take_along_dim(t, T(ai[:1]), 1), np.take_along_axis(x, np.broadcast_to(ai[:1], x.shape), axis=1))
        flat = np.array([1, 7])
        check(torch.take_along_dim(t, T(flat)), x.reshape(-1)[flat])
    with raises_out_of_range():
        T(a).take(torch.tensor([12]))
