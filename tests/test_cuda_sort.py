"""Sorting family on every device: flip (and the cumsum/cumprod gradients built
on it), sort/argsort/msort/topk/kthvalue and unique/unique_consecutive. The
CPU case checks against numpy (a stable order with NaN largest), the CUDA case
against the CPU result, indices exactly: ties, NaN, descending, strided
inputs, rows longer than a block and of no power-of-two length."""
import numpy as np
import pytest

import ferrotorch as torch
from devices import ALL_DTYPES, DEVICES, FLOATS, assert_close, assert_same, ids, make, on, to_numpy


def sample(shape, dtype, seed=0):
    """Values with many ties (a few distinct integers) and, for floats, NaNs, infinities and -0.0."""
    x = make(shape, dtype, low=-3, high=4, seed=seed)
    if dtype.is_floating_point:
        x = x.round()
        flat = x.view(-1)
        n = flat.numel()
        rng = np.random.default_rng(seed + 1)
        for value in (float("nan"), float("inf"), -float("inf"), -0.0):
            k = max(1, n // 12)
            flat[torch.from_numpy(rng.choice(n, k, replace=False))] = value
    return x


def ref_argsort(a, axis, descending):
    """Stable argsort along axis, NaN largest (last ascending, first descending)."""
    a = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    out = np.empty(a.shape, dtype=np.int64)
    for ix in np.ndindex(a.shape[:-1]):
        lane = a[ix]
        nan = np.isnan(lane)
        v = np.where(nan, 0.0, lane)
        out[ix] = np.lexsort((-v, ~nan)) if descending else np.lexsort((v, nan))
    return np.moveaxis(out, -1, axis)


def both(device, x, fn):
    """fn on CPU x, checked by the caller; on CUDA, fn on x moved there, checked against the CPU."""
    expected = fn(x)
    if device == "cpu":
        return expected, None
    actual = fn(x.to(device))
    actual = actual if isinstance(actual, tuple) else (actual,)
    exp = expected if isinstance(expected, tuple) else (expected,)
    assert len(actual) == len(exp)
    for a, e in zip(actual, exp):
        assert a.device.type == "cuda"
        assert_same(a, e)
    return expected, actual


# ---------------------------------------------------------------- flip

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
@pytest.mark.parametrize("dims", [(0,), (1,), (-1,), (0, 2), (0, 1, 2)])
def test_flip(device, dtype, dims):
    x = make((3, 4, 5), dtype, seed=3)
    expected, _ = both(device, x, lambda t: t.flip(dims))
    assert_close(expected, np.flip(to_numpy(x), dims))
    # strided input: a transposed, stepped view
    y = x.transpose(0, 2)[::2]
    expected, _ = both(device, y, lambda t: t.flip(dims))
    assert_close(expected, np.flip(to_numpy(y), dims))


@pytest.mark.parametrize("device", DEVICES)
def test_fliplr_flipud_and_edge_shapes(device):
    x = make((4, 6), torch.float32)
    both(device, x, lambda t: (t.fliplr(), t.flipud(), torch.flip(t, [])))
    both(device, torch.tensor(2.5), lambda t: t.flip([0]))
    both(device, torch.zeros(0, 3), lambda t: t.flip([0, 1]))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_cumprod_gradients(device, dim):
    base = make((3, 4, 5), torch.float64, low=0.5, high=1.5, seed=1)
    zeros = base.clone()
    zeros[1, 2, 3] = 0.0
    zeros[0, 0, 0] = 0.0
    w = make((3, 4, 5), torch.float64, seed=2)
    for x0, op in ((base, "cumsum"), (base, "cumprod"), (zeros, "cumprod")):
        grads = []
        for dev in ("cpu", device):
            x = x0.to(dev).detach().requires_grad_()
            getattr(x, op)(dim).backward(w.to(dev))
            grads.append(x.grad)
        assert grads[1].device.type == device
        assert_same(grads[1], grads[0])
    if device == "cpu":  # d/dx of sum(w * cumsum(x)) is the reversed cumsum of w
        x = base.clone().requires_grad_()
        x.cumsum(dim).backward(w)
        assert_close(x.grad, np.flip(np.cumsum(np.flip(w.numpy(), dim), dim), dim))


# ---------------------------------------------------------------- sort

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort(device, dtype, descending, dim):
    x = sample((6, 37, 3), dtype)
    (v, i), _ = both(device, x, lambda t: tuple(t.sort(dim, descending)))
    assert v.dtype == dtype and i.dtype == torch.int64
    ref = ref_argsort(to_numpy(x), dim, descending)
    np.testing.assert_array_equal(i.numpy(), ref)
    assert_close(v, np.take_along_axis(to_numpy(x), ref, dim))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 100, 1025, 3000])
def test_sort_lengths(device, n):
    x = sample((3, n), torch.float32, seed=n)
    for descending in (False, True):
        (v, i), _ = both(device, x, lambda t: tuple(t.sort(descending=descending)))
        np.testing.assert_array_equal(i.numpy(), ref_argsort(to_numpy(x), 1, descending))
    # a single long row, distinct values
    y = make((n,), torch.float64, seed=n)
    (v, i), _ = both(device, y, lambda t: tuple(t.sort()))
    np.testing.assert_array_equal(v.numpy(), np.sort(y.numpy()))


@pytest.mark.parametrize("device", DEVICES)
def test_sort_strided_and_edge_shapes(device):
    x = sample((5, 40, 6), torch.float16)
    views = [x.transpose(0, 1), x[:, ::3, 1:], x.permute(2, 0, 1)[1], x.expand(2, 5, 40, 6)[1]]
    for y in views:
        for dim in range(y.ndim):
            (v, i), _ = both(device, y, lambda t: tuple(t.sort(dim, stable=True)))
            np.testing.assert_array_equal(i.numpy(), ref_argsort(to_numpy(y), dim, False))
    both(device, torch.tensor(3.0), lambda t: tuple(t.sort()))
    both(device, torch.zeros(4, 0), lambda t: tuple(t.sort(0)))
    both(device, torch.zeros(0, 4), lambda t: tuple(t.sort(0)))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.int32, torch.uint8, torch.bool], ids=ids)
def test_argsort_msort(device, dtype):
    x = sample((9, 11), dtype, seed=4)
    (a, m), _ = both(device, x, lambda t: (t.argsort(0, descending=True), torch.msort(t)))
    ref = ref_argsort(to_numpy(x), 0, True)
    np.testing.assert_array_equal(a.numpy(), ref)
    assert_close(m, np.take_along_axis(to_numpy(x), ref_argsort(to_numpy(x), 0, False), 0))
    (a,), _ = both(device, x, lambda t: (torch.argsort(t, dim=-1),))
    np.testing.assert_array_equal(a.numpy(), ref_argsort(to_numpy(x), 1, False))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.int64, torch.int8], ids=ids)
@pytest.mark.parametrize("largest", [True, False])
def test_topk(device, dtype, largest):
    x = sample((7, 50), dtype, seed=5)
    for k, dim in ((1, 1), (5, 1), (50, 1), (0, 1), (3, 0)):
        (v, i), _ = both(device, x, lambda t: tuple(t.topk(k, dim, largest=largest)))
        ref = np.take(ref_argsort(to_numpy(x), dim, largest), np.arange(k), axis=dim)
        np.testing.assert_array_equal(i.numpy(), ref)
        assert_close(v, np.take_along_axis(to_numpy(x), ref, dim))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int16, torch.uint8], ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(device, dtype, keepdim):
    x = sample((6, 33), dtype, seed=6)
    for k, dim in ((1, 1), (17, 1), (33, -1), (4, 0)):
        (v, i), _ = both(device, x, lambda t: tuple(torch.kthvalue(t, k, dim, keepdim=keepdim)))
        ref = np.take(ref_argsort(to_numpy(x), dim, False), [k - 1], axis=dim)
        if not keepdim:
            ref = ref.squeeze(dim)
        np.testing.assert_array_equal(i.numpy(), ref)
        xv = to_numpy(x)
        assert_close(v, np.take_along_axis(xv, ref if keepdim else np.expand_dims(ref, dim), dim).reshape(ref.shape))
    r = torch.tensor([3.0, 1.0, 2.0]).to(device).kthvalue(2)
    assert (r.values.item(), r.indices.item()) == (2.0, 2) and type(r).__name__ == "kthvalue"
    with pytest.raises(IndexError, match="k out of range"):
        x.to(device).kthvalue(34)
    with pytest.raises(IndexError, match="k out of range"):
        x.to(device).kthvalue(0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", ["sort", "sort_desc", "topk", "kthvalue", "kthvalue_keep", "msort"])
def test_sort_gradients(device, op):
    x0 = sample((4, 9), torch.float64, seed=7)
    x0 = x0.nan_to_num(0.0)  # ties remain; their gradient goes to the index picked
    f = {
        "sort": lambda t: t.sort(1).values,
        "sort_desc": lambda t: t.sort(0, descending=True).values,
        "topk": lambda t: t.topk(3, 1).values,
        "kthvalue": lambda t: t.kthvalue(5, 1).values,
        "kthvalue_keep": lambda t: t.kthvalue(2, 0, keepdim=True).values,
        "msort": lambda t: torch.msort(t),
    }[op]
    grads = []
    for dev in ("cpu", device):
        x = x0.to(dev).detach().requires_grad_()
        y = f(x)
        w = make(tuple(y.shape), torch.float64, seed=8).to(dev)
        (y * w).sum().backward()
        grads.append(x.grad)
    assert grads[1].device.type == device
    assert_same(grads[1], grads[0])
    if device == "cpu" and op == "sort":  # each input's grad is the weight at its sorted position
        i = x0.sort(1).indices.numpy()
        w = make((4, 9), torch.float64, seed=8).numpy()
        expect = np.zeros((4, 9))
        np.put_along_axis(expect, i, w, 1)
        assert_close(grads[0], expect)


# ---------------------------------------------------------------- unique

def ref_runs(flat):
    """(first value of each run of equal neighbours, run of each element, run lengths); NaNs never equal."""
    vals, inv, counts = [], [], []
    for k, v in enumerate(flat):
        if k == 0 or not (v == flat[k - 1]):
            vals.append(v)
            counts.append(0)
        counts[-1] += 1
        inv.append(len(vals) - 1)
    return np.array(vals, dtype=np.float64), np.array(inv, dtype=np.int64), np.array(counts, dtype=np.int64)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_unique(device, dtype):
    x = sample((5, 7, 3), dtype, seed=9)
    flat = to_numpy(x).reshape(-1)
    order = ref_argsort(flat, 0, False)
    vals, runs, counts = ref_runs(flat[order])
    inverse = np.empty_like(runs)
    inverse[order] = runs
    (u, i, c), cu = both(device, x, lambda t: tuple(torch.unique(t, return_inverse=True, return_counts=True)))
    if device == "cuda":
        x_cuda = x.to(device)
        start = torch._C._cuda_device_to_host_copies()
        torch.unique(x_cuda, return_inverse=True, return_counts=True)
        assert torch._C._cuda_device_to_host_copies() - start == 1  # the count of unique values only
    assert u.dtype == dtype and i.shape == x.shape and c.dtype == torch.int64
    assert_close(u, vals)
    np.testing.assert_array_equal(i.numpy().reshape(-1), inverse)
    np.testing.assert_array_equal(c.numpy(), counts)
    if dtype.is_floating_point:  # NaNs are each their own value, as in PyTorch
        assert np.isnan(to_numpy(u)).sum() == np.isnan(flat).sum()


@pytest.mark.parametrize("device", DEVICES)
def test_unique_long_and_edge_cases(device):
    x = make((3000,), torch.int64, low=0, high=700, seed=10)
    (u, i, c), _ = both(device, x, lambda t: tuple(t.unique(return_inverse=True, return_counts=True)))
    v, inv, cnt = np.unique(x.numpy(), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(u.numpy(), v)
    np.testing.assert_array_equal(i.numpy(), inv)
    np.testing.assert_array_equal(c.numpy(), cnt)
    (u,), _ = both(device, x[::7], lambda t: (t.unique(),))  # strided
    np.testing.assert_array_equal(u.numpy(), np.unique(x.numpy()[::7]))
    (u, i, c), _ = both(device, torch.zeros(0, 2), lambda t: tuple(t.unique(return_inverse=True, return_counts=True)))
    assert tuple(u.shape) == (0,) and tuple(i.shape) == (0, 2) and tuple(c.shape) == (0,)
    (u, i), _ = both(device, torch.tensor(5), lambda t: tuple(t.unique(return_inverse=True)))
    assert u.tolist() == [5] and i.shape == () and i.item() == 0
    b = torch.tensor([True, False, True])
    (u, c), _ = both(device, b, lambda t: tuple(t.unique(return_counts=True)))
    assert u.tolist() == [False, True] and c.tolist() == [1, 2]
    with pytest.raises(NotImplementedError):
        x.to(device).unique(dim=0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64, torch.uint8, torch.bool], ids=ids)
def test_unique_consecutive(device, dtype):
    x = sample((4, 25), dtype, seed=11)
    x = torch.from_numpy(np.repeat(to_numpy(x), 3, axis=1)).to(dtype)  # long runs
    x = x.transpose(0, 1)  # strided: runs follow the row-major order of the view
    (u, i, c), _ = both(device, x, lambda t: tuple(torch.unique_consecutive(t, return_inverse=True,
                                                                            return_counts=True)))
    vals, inv, counts = ref_runs(to_numpy(x).reshape(-1))
    assert u.dtype == dtype and i.shape == x.shape
    assert_close(u, vals)
    np.testing.assert_array_equal(i.numpy().reshape(-1), inv)
    np.testing.assert_array_equal(c.numpy(), counts)
    (u,), _ = both(device, x, lambda t: (t.unique_consecutive(),))
    assert_close(u, vals)
    with pytest.raises(NotImplementedError):
        x.to(device).unique_consecutive(dim=0)
