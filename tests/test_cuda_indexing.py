"""Indexing on every device: nonzero / argwhere / masked_select, advanced
``__getitem__`` / ``__setitem__``, index_put_, masked_fill / masked_scatter /
take, and their gradients. The CPU case is checked against numpy, the CUDA
case against the CPU."""
import numpy as np
import pytest

import ferrotorch as torch
from devices import ALL_DTYPES, DEVICES, assert_close, assert_same, check, cuda_only, ids, make, to_numpy

_C = torch._C


def with_specials(x):
    """``x`` with a NaN and a -0.0 (floats), which nonzero counts as nonzero / zero."""
    if x.dtype.is_floating_point and x.numel() >= 3:
        x = x.clone()
        flat = x.view(-1)
        flat[0] = float("nan")
        flat[1] = -0.0
        flat[2] = 0.0
    return x


def sparse(shape, dtype, seed=0):
    """Values that are zero about half the time."""
    flat = (max(1, int(np.prod(shape))),)
    x = make(flat, dtype, low=-1, high=2, seed=seed)
    if dtype.is_floating_point:
        x = x * make(flat, torch.bool, seed=seed + 1).to(dtype)
    return with_specials(x)[:int(np.prod(shape))].reshape(*shape)


NZ_SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 4), (2, 0, 3), (5000,), (3, 1500)]


# ---- nonzero / argwhere / masked_select -------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
@pytest.mark.parametrize("shape", NZ_SHAPES, ids=str)
def test_nonzero(device, dtype, shape):
    x = sparse(shape, dtype)
    r = check(device, lambda lib, x: lib.argwhere(x) if lib is np else x.nonzero(), x)
    assert r.dtype == torch.int64 and r.shape[1] == len(shape)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool], ids=ids)
def test_nonzero_noncontiguous_and_as_tuple(device, dtype):
    x = sparse((6, 5, 4), dtype).permute(2, 0, 1)[:, ::2]
    assert not x.is_contiguous()
    check(device, lambda lib, x: lib.argwhere(x) if lib is np else torch.argwhere(x), x)
    cpu = x.nonzero(as_tuple=True)
    got = x.to(device).nonzero(as_tuple=True)
    assert len(got) == 3
    for g, c, e in zip(got, cpu, np.nonzero(to_numpy(x))):
        assert_close(c, e)
        assert g.device.type == device
        assert_same(g, c)
    # torch.where(cond) is nonzero(as_tuple=True)
    for g, c in zip(torch.where(x.to(device)), cpu):
        assert_same(g, c)


@pytest.mark.parametrize("device", DEVICES)
def test_nonzero_0d_as_tuple(device):
    for v, n in [(3.0, 1), (0.0, 0)]:
        t = torch.tensor(v, device=device).nonzero(as_tuple=True)
        assert len(t) == 1 and t[0].shape == (n,) and t[0].device.type == device
        assert t[0].tolist() == [0] * n


@cuda_only
def test_nonzero_reads_back_only_its_size():
    x = sparse((40, 50), torch.float32).cuda()
    before = _C._cuda_device_to_host_copies()
    r = x.nonzero()
    assert _C._cuda_device_to_host_copies() - before == 1
    assert_same(r, x.cpu().nonzero())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_masked_select_dtypes(device, dtype):
    x, m = make((5, 300), dtype, seed=1), make((5, 300), torch.bool, seed=2)
    check(device, lambda lib, x, m: x[m] if lib is np else x.masked_select(m), x, m)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", ["broadcast_mask", "broadcast_src", "noncontig", "empty", "none", "0d"])
def test_masked_select_shapes(device, case):
    x = make((4, 6), torch.float32, seed=3)
    m = make((4, 6), torch.bool, seed=4)
    if case == "broadcast_mask":
        m = m[:1]
    elif case == "broadcast_src":
        x, m = x[:, :1], m
    elif case == "noncontig":
        x, m = x.t(), m.t()
    elif case == "empty":
        x, m = x[:0], m[:0]
    elif case == "none":
        m = torch.zeros(4, 6, dtype=torch.bool)
    else:
        x, m = torch.tensor(2.5), torch.tensor(True)
    check(device, lambda lib, x, m: (np.broadcast_arrays(x, m)[0][np.broadcast_arrays(x, m)[1]]
                                     if lib is np else torch.masked_select(x, m)), x, m)


# ---- advanced __getitem__ ---------------------------------------------------------------------

X = make((4, 5, 6), torch.float32, seed=5)
I = torch.tensor([3, 0, -1, 2])
J = torch.tensor([[1], [-2]])
K = torch.tensor([0, 5, 5, 1])
M01 = make((4, 5), torch.bool, seed=6)
M12 = make((5, 6), torch.bool, seed=7)


def _swap(x, a, b):
    return np.swapaxes(x, a, b) if isinstance(x, np.ndarray) else x.transpose(a, b)


# fn(x, t): t turns an index tensor into what x's library takes (numpy arrays for numpy)
GETITEM = {
    "one": lambda x, t: x[t(I)],
    "one_2d": lambda x, t: x[t(J)],
    "after_slice": lambda x, t: x[:, t(J)],
    "last_dim": lambda x, t: x[..., t(K)],
    "two_adjacent": lambda x, t: x[t(I), t(torch.tensor([4, 0, 1, -5]))],
    "broadcast": lambda x, t: x[t(J), t(torch.tensor([0, 1, 4]))],
    "three": lambda x, t: x[t(I), t(torch.tensor([0])), t(K)],
    "separated_by_slice": lambda x, t: x[t(I), :, t(K)],
    "separated_with_2d": lambda x, t: x[t(J), 1:4, t(torch.tensor([[0, 5, 2]]))],
    "tensor_slice": lambda x, t: x[t(I), 1:3],
    "none_and_ellipsis": lambda x, t: x[None, ..., t(K)],
    "adjacent_after_slice": lambda x, t: x[:, t(torch.tensor([1, 3])), t(torch.tensor([0, 5]))],
    "mask_dim0": lambda x, t: x[t(M01[:, 0])],
    "mask_two_dims": lambda x, t: x[t(M01)],
    "mask_inner_dims": lambda x, t: x[:, t(M12)],
    "mask_full": lambda x, t: x[x > 0.5],
    "mask_and_tensor": lambda x, t: x[t(M01[:, 0]), 1:, t(torch.tensor([2]))],
    "mask_empty": lambda x, t: x[t(torch.zeros(4, dtype=torch.bool))],
    "empty_index": lambda x, t: x[t(torch.tensor([], dtype=torch.int64))],
    "list": lambda x, t: x[[0, 2], :, [1, 1]],
    "int32_index": lambda x, t: x[:, t(torch.tensor([4, 1], dtype=torch.int32))],
    "uint8_mask": lambda x, t: x[t(M01[:, 0].to(torch.uint8))],
    "noncontig_src": lambda x, t: _swap(x, 0, 2)[t(K), :, t(I)],
    "zero_d_index": lambda x, t: x[t(torch.tensor(2)), t(I[:2])],
    "int_and_tensor": lambda x, t: x[t(I), :, 1],
}
# numpy treats a mask next to an index array (and an int) as index arrays broadcast together;
# PyTorch applies ints first. These cases are checked CUDA-vs-CPU only.
NUMPY_DIFFERS = {"int_and_tensor"}


def _np(k):
    a = to_numpy(k)
    return a.astype(bool) if a.dtype == np.uint8 else a


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(GETITEM))
def test_getitem_advanced(device, name):
    fn = GETITEM[name]
    expected = fn(X, lambda k: k)
    if device == "cpu":
        if name not in NUMPY_DIFFERS:
            assert_close(expected, fn(to_numpy(X), _np))
        return
    # index tensors on the CPU (allowed for a CUDA tensor, as in PyTorch) ...
    got = fn(X.to(device), lambda k: k)
    assert got.device.type == device
    assert_same(got, expected)
    # ... and on the device
    got = fn(X.to(device), lambda k: k.to(device))
    assert_same(got, expected)


@cuda_only
def test_getitem_cuda_index_tensors():
    x = X.cuda()
    for got, exp in [(x[I.cuda(), :, K.cuda()], X[I, :, K]), (x[M01.cuda()], X[M01]),
                     (x[:, M12.cuda()], X[:, M12]), (x[J.cuda(), torch.tensor([0, 1, 4])], X[J, torch.tensor([0, 1, 4])])]:
        assert_same(got, exp)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_getitem_dtypes(device, dtype):
    x = make((5, 7), dtype, seed=8)
    check(device, lambda lib, x: x[[4, -1, 0], 2:] if lib is np else x[torch.tensor([4, -1, 0]), 2:], x)
    check(device, lambda lib, x: x[:, [6, 0]][[1, 1, 3]], x)


@cuda_only
def test_getitem_out_of_range_is_a_device_assert():
    x = X.cuda()
    with pytest.raises(IndexError):
        X[torch.tensor([0, 4])]
    with pytest.raises(RuntimeError, match="device-side assert triggered"):
        x[torch.tensor([0, 4]), :, torch.tensor([1, 1])].cpu()
    with pytest.raises(RuntimeError, match="device-side assert triggered"):
        x[:, :, torch.tensor([-7])].cpu()
    # reported once; the device keeps working
    assert_same(x[I, :, K], X[I, :, K])


@pytest.mark.parametrize("device", DEVICES)
def test_index_errors(device):
    x = X.to(device)
    with pytest.raises(IndexError, match="shape of the mask"):
        x[torch.ones(3, dtype=torch.bool)]
    with pytest.raises(IndexError, match="could not be broadcast"):
        x[torch.tensor([0, 1]), torch.tensor([0, 1, 2])]
    with pytest.raises(IndexError, match="tensors used as indices"):
        x[torch.tensor([0.0])]


@cuda_only
def test_cuda_indices_for_a_cpu_tensor_are_refused():
    with pytest.raises(RuntimeError, match="indices should be either on cpu"):
        X[I.cuda(), :, K.cuda()]


# ---- index_put_ / __setitem__ -----------------------------------------------------------------

def put_ref(x, key, values, accumulate):
    """numpy index_put: np.add.at handles duplicate indices."""
    x = x.copy()
    if accumulate:
        np.add.at(x, key, values)
    else:
        x[key] = values
    return x


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case,accumulate", [(c, a) for c in ["one", "two", "mask", "empty"] for a in (False, True)]
                         # slices go through __setitem__, which does not accumulate
                         + [("separated", False), ("broadcast_value", False)])
def test_index_put(device, accumulate, case):
    x = make((4, 5, 3), torch.float64, seed=9)
    if case == "one":
        idx, v = (torch.tensor([2, 0, -1]),), make((3, 5, 3), torch.float64, seed=10)
    elif case == "two":
        idx, v = (torch.tensor([1, 3]), torch.tensor([[4], [0]])), make((2, 2, 3), torch.float64, seed=10)
    elif case == "separated":
        idx, v = (torch.tensor([1, 3]), slice(None), torch.tensor([2, 0])), make((2, 5), torch.float64, seed=10)
    elif case == "mask":
        idx, v = (make((4, 5), torch.bool, seed=11),), torch.tensor([1.5, -2.0, 3.0])
    elif case == "broadcast_value":
        idx, v = (slice(None), torch.tensor([0, 2])), torch.tensor(7.0)
    else:
        idx, v = (torch.tensor([], dtype=torch.int64),), torch.tensor(1.0)

    def run(x, idx, v):
        x = x.clone()
        if any(isinstance(i, slice) for i in idx):
            x[idx] = v
        elif case == "mask":
            x.index_put_(idx, v[:1], accumulate)
        else:
            x.index_put_(idx, v, accumulate)
        return x

    expected = run(x, idx, v)
    if device == "cpu":
        key = tuple(to_numpy(i) if isinstance(i, torch.Tensor) else i for i in idx)
        vv = to_numpy(v[:1]) if case == "mask" else to_numpy(v)
        if case == "separated":
            ref = to_numpy(x).copy()
            for r, (a, c) in enumerate(zip(key[0], key[2])):
                ref[a, :, c] = vv[r]
        else:
            ref = put_ref(to_numpy(x), key, vv, accumulate)
        assert_close(expected, ref)
        return
    xd = x.to(device)
    idx_d = tuple(i.to(device) if isinstance(i, torch.Tensor) and n % 2 else i for n, i in enumerate(idx))
    got = run(xd, idx_d, v.to(device))
    assert_same(got, expected)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_index_put_accumulate_duplicates(device, dtype):
    x = make((6, 3), dtype, low=0, high=3, seed=12)
    idx = torch.tensor([1, 4, 1, 1, 0, 4])
    v = make((6, 3), dtype, low=0, high=3, seed=13)

    def fn(lib, x, idx, v):
        if lib is np:
            return put_ref(x, (idx,), v, True)
        return x.clone().index_put_((idx,), v, accumulate=True)
    check(device, fn, x, idx, v)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_setitem_mask_scalar_and_tensor(device, dtype):
    x = make((5, 4), dtype, seed=14)
    m = make((5, 4), torch.bool, seed=15)

    def fn(lib, x, m):
        x = x.copy() if lib is np else x.clone()
        x[m] = 1
        x[[0, 3], 1:3] = 0
        return x
    check(device, fn, x, m)

    def fn2(lib, x):
        x = x.copy() if lib is np else x.clone()
        rows = [4, 1] if lib is np else torch.tensor([4, 1])
        x[rows] = x[0]
        return x
    check(device, fn2, x)


@pytest.mark.parametrize("device", DEVICES)
def test_setitem_noncontiguous_target_and_broadcast_value(device):
    def fn(lib, x, v):
        x = x.copy() if lib is np else x.clone()
        t = x.T
        cols = [2, 0] if lib is np else torch.tensor([2, 0])
        t[:, cols] = v  # writes through the transposed view
        t[t > 1.0] = -1.0
        return x
    check(device, fn, make((3, 4), torch.float32, seed=16), make((4, 1), torch.float32, seed=17))


@pytest.mark.parametrize("device", DEVICES)
def test_setitem_and_index_put_with_data_values(device):
    def fn(lib, x):
        x = x.copy() if lib is np else x.clone()
        rows = [2, 0] if lib is np else torch.tensor([2, 0])
        x[rows] = [[1, 2, 3], [4, 5, 6]]
        if lib is np:
            x[[1, 3], [0, 2]] = [7, 8]
        else:
            x.index_put_((torch.tensor([1, 3]), torch.tensor([0, 2])), [7, 8])
        return x
    check(device, fn, make((4, 3), torch.int32, seed=35))


@pytest.mark.parametrize("device", DEVICES)
def test_setitem_values_aliasing_self(device):
    def fn(lib, x):
        x = x.copy() if lib is np else x.clone()
        rows = [1, 2, 3] if lib is np else torch.tensor([1, 2, 3])
        x[rows] = x[:3]
        return x
    check(device, fn, make((4, 3), torch.float64, seed=18))


@cuda_only
def test_setitem_out_of_range_is_a_device_assert():
    x = X.cuda()
    x[torch.tensor([9])] = 1.0
    with pytest.raises(RuntimeError, match="device-side assert triggered"):
        x.cpu()
    assert_same(x.cpu(), X)


# ---- masked_fill / masked_scatter / take ------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int32, torch.bool], ids=ids)
def test_masked_fill(device, dtype):
    x, m = make((3, 5), dtype, seed=19), make((5,), torch.bool, seed=20)

    def fn(lib, x, m):
        if lib is np:
            return np.where(m, np.ones_like(x), x)
        y = x.clone()
        y.masked_fill_(m, 1)
        assert_same(y, x.masked_fill(m, torch.tensor(1)))
        return y
    check(device, fn, x, m)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_masked_scatter(device, dtype):
    x, m = make((4, 6), dtype, seed=21), make((4, 6), torch.bool, seed=22)
    src = make((30,), dtype, seed=23)

    def fn(lib, x, m, src):
        if lib is np:
            r = x.copy()
            r[m] = src[:m.sum()]
            return r
        return x.masked_scatter(m, src)
    check(device, fn, x, m, src)
    # broadcast mask, in place, non-contiguous self
    xt, mb = make((6, 4), dtype, seed=24).t(), make((6,), torch.bool, seed=25)

    def fn2(lib, x, m, src):
        if lib is np:
            r = x.copy()
            mm = np.broadcast_to(m, r.shape)
            r[mm] = src[:mm.sum()]
            return r
        y = x.clone()
        y.masked_scatter_(m, src)
        return y
    check(device, fn2, xt, mb, src)


@pytest.mark.parametrize("device", DEVICES)
def test_masked_scatter_short_source(device):
    x = torch.zeros(5, device=device)
    m = torch.ones(5, dtype=torch.bool, device=device)
    src = torch.ones(3, device=device)
    if device == "cpu":
        with pytest.raises(RuntimeError, match="Number of elements of source"):
            x.masked_scatter(m, src)
    else:
        with pytest.raises(RuntimeError, match="device-side assert triggered"):
            x.masked_scatter(m, src).cpu()


@pytest.mark.parametrize("device", DEVICES)
def test_take(device):
    x = make((4, 5), torch.float32, seed=26).t()
    idx = torch.tensor([[0, -1], [7, 19]])
    check(device, lambda lib, x, i: np.take(x, i) if lib is np else torch.take(x, i), x, idx)


# ---- scatter_add / index_add for every dtype (compare-and-swap atomics on CUDA) ---------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_index_add_scatter_add_dtypes(device, dtype):
    x = make((5, 3), dtype, low=0, high=3, seed=27)
    src = make((4, 3), dtype, low=0, high=3, seed=28)
    idx = torch.tensor([4, 0, 4, 4])

    def fn(lib, x, src, idx):
        if lib is np:
            return put_ref(x, (idx,), src, True)
        a = x.index_add(0, idx, src)
        b = x.scatter_add(0, idx[:, None].expand(4, 3).contiguous(), src)
        assert_same(b, a)
        return a
    check(device, fn, x, src, idx)


# ---- autograd ---------------------------------------------------------------------------------

def grads(device, fn, *xs):
    leaves = [x.to(device).detach().requires_grad_(True) for x in xs]
    out = fn(*leaves)
    g = torch.arange(out.numel(), dtype=out.dtype).reshape(*out.shape).to(device)
    out.backward(g)
    return [leaf.grad for leaf in leaves]


BACKWARD = {
    "index_dup": lambda x: x[torch.tensor([1, 1, 3, -3])],
    "two_separated": lambda x: x[torch.tensor([0, 2, 0]), :, torch.tensor([1, 1, 0])],
    "mask": lambda x: x[x.detach() > 0],
    "masked_select": lambda x: torch.masked_select(x, torch.tensor([True, False, True], device=x.device)),
    "take": lambda x: torch.take(x, torch.tensor([0, 5, 5, -1])),
    "index_put": lambda x: x.index_put((torch.tensor([1, 0]),), torch.ones(2, 3, device=x.device) * 2),
    "index_put_acc": lambda x: x.index_put((torch.tensor([1, 1]),), torch.ones(3, device=x.device),
                                           accumulate=True),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(BACKWARD))
def test_backward(device, name):
    x = make((4, 2, 3), torch.float64, seed=29)
    fn = BACKWARD[name]
    expected = grads("cpu", fn, x)[0]
    if device == "cpu":
        # finite differences of a linear map are exact: compare with the numeric gradient
        assert torch.autograd.gradcheck(fn, (x.detach().requires_grad_(True),))
        return
    got = grads(device, lambda t: fn(t), x)[0]
    assert_same(got, expected)


@pytest.mark.parametrize("device", DEVICES)
def test_masked_scatter_backward(device):
    x = make((3, 4), torch.float64, seed=30)
    m = make((3, 4), torch.bool, seed=31)
    src = make((20,), torch.float64, seed=32)
    exp = grads("cpu", lambda a, b: a.masked_scatter(m, b), x, src)
    got = grads(device, lambda a, b: a.masked_scatter(m.to(device), b), x, src)
    for g, e in zip(got, exp):
        assert_same(g, e)
    # source's grad: the output grad at the true positions, zero after
    mm = to_numpy(m).reshape(-1)
    gout = np.arange(12.0)
    assert_close(exp[1], np.concatenate([gout[mm], np.zeros(20 - mm.sum())]))
    assert_close(exp[0], np.where(mm, 0.0, gout).reshape(3, 4))


@cuda_only
def test_integer_index_backward_has_no_device_to_host_copies():
    x = make((6, 5), torch.float32, seed=33).cuda().requires_grad_(True)
    i, j = torch.tensor([5, 0, 5]).cuda(), torch.tensor([1, -1, 1]).cuda()
    g = torch.ones(3, 5).cuda()
    y = x[i] * 2 + x[:, j].t()[:, :5][:3]
    gy = torch.ones(3, 5).cuda()
    before = _C._cuda_device_to_host_copies()
    y.backward(gy)
    z = torch.take(x, i)
    z.backward(torch.ones(3).cuda())
    assert _C._cuda_device_to_host_copies() == before
    del g
    xc = x.detach().cpu().requires_grad_(True)
    (xc[i.cpu()] * 2 + xc[:, j.cpu()].t()[:, :5][:3]).backward(gy.cpu())
    torch.take(xc, i.cpu()).backward(torch.ones(3))
    assert_same(x.grad, xc.grad)


@cuda_only
def test_masked_backward_has_no_device_to_host_copies():
    x = make((6, 5), torch.float32, seed=34).cuda().requires_grad_(True)
    m = (x.detach() > 0)
    y = torch.masked_select(x, m)
    g = torch.ones(y.shape[0]).cuda()
    before = _C._cuda_device_to_host_copies()
    y.backward(g)
    assert _C._cuda_device_to_host_copies() == before
    assert_same(x.grad, m.to(torch.float32))
