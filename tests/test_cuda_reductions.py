"""Reductions and softmax on every device: the CPU case against numpy, the
CUDA case against the CPU (CUDA backend II, first part)."""
import numpy as np
import pytest

import ferrotorch as torch
from devices import DEVICES, FLOATS, assert_close, assert_same, ids, to_numpy

SHAPES = [((5, 7), None), ((5, 7), 1), ((5, 7), 0), ((3, 4, 5), (0, 2)), ((3, 4, 5), (2, 1)),
          # long reductions with few outputs take the two-pass (split) path on CUDA
          ((200_000,), None), ((3, 70_000), 1), ((70_000, 3), 0)]


def data(shape, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64).to(dtype)


def on(device, x):
    return x.to(device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape,dim", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
def test_float_reductions(device, shape, dim, name):
    x = data(shape)
    args = () if dim is None else (dim,)
    got = getattr(on(device, x), name)(*args)
    np_fn = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min}[name]
    assert got.device.type == device
    assert_close(got, np_fn(x.numpy(), axis=dim))
    if device != "cpu":
        assert_same(got, getattr(x, name)(*args))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS + [torch.int64, torch.int32, torch.uint8, torch.bool], ids=ids)
def test_sum_dtypes_and_keepdim(device, dtype):
    x = (data((6, 9)) * 4).to(dtype)
    got = on(device, x).sum(1, keepdim=True)
    want = x.sum(1, keepdim=True)
    assert got.shape == (6, 1) and got.dtype == want.dtype
    assert_close(got, want, tol={torch.float64: (1e-12, 1e-12), torch.float32: (1e-5, 1e-5),
                                 torch.float16: (1e-2, 1e-2), torch.bfloat16: (3e-2, 3e-2)})


@pytest.mark.parametrize("device", DEVICES)
def test_prod_var_std(device):
    x = data((4, 6)) * 0.5 + 1
    g = on(device, x)
    assert_close(g.prod(1), np.prod(x.numpy(), axis=1))
    assert_close(g.var(0), np.var(x.numpy(), axis=0, ddof=1))
    assert_close(g.std(), np.std(x.numpy(), ddof=1))
    i = torch.tensor([[3, -2, 5], [7, 1, -1]])
    assert_close(on(device, i).prod(), np.prod(i.numpy()))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape,dim", [((5, 7), 1), ((5, 7), 0), ((200_000,), None)], ids=str)
def test_arg_extremes_and_max_dim(device, shape, dim):
    x = data(shape)
    g = on(device, x)
    assert_close(g.argmax(dim), np.argmax(x.numpy(), axis=dim))
    assert_close(g.argmin(dim), np.argmin(x.numpy(), axis=dim))
    if dim is not None:
        v, i = g.max(dim)
        assert_close(v, np.max(x.numpy(), axis=dim))
        assert_close(i, np.argmax(x.numpy(), axis=dim))
        v, i = g.min(dim, keepdim=True)
        assert v.shape[dim] == 1
        assert_close(i.squeeze(dim), np.argmin(x.numpy(), axis=dim))


@pytest.mark.parametrize("device", DEVICES)
def test_nan_and_ties(device):
    x = on(device, torch.tensor([[1.0, float("nan"), 3.0, float("nan")], [2.0, 5.0, 5.0, 1.0]]))
    assert np.isnan(to_numpy(x.amax(1))[0]) and to_numpy(x.amax(1))[1] == 5
    assert to_numpy(x.argmax(1)).tolist() == [1, 1]  # first NaN; first of equal maxima
    assert to_numpy(x.argmin(1)).tolist() == [1, 3]


@pytest.mark.parametrize("device", DEVICES)
def test_all_any(device):
    m = torch.tensor([[True, False, True], [True, True, True]])
    g = on(device, m)
    assert to_numpy(g.all(1)).tolist() == [False, True] and bool(g.any()) and not bool(on(device, ~m[1]).any())
    u = on(device, torch.tensor([0, 3, 0], dtype=torch.uint8))
    assert u.any().dtype == torch.uint8 and int(u.any()) == 1 and int(u.all()) == 0


@pytest.mark.parametrize("device", DEVICES)
def test_empty_reductions(device):
    e = on(device, torch.zeros(0, 3))
    assert_close(e.sum(0), np.zeros(3))
    assert_close(e.prod(0), np.ones(3))
    assert bool(e.all()) and not bool(e.any())
    with pytest.raises(IndexError):
        e.argmax()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax(device, dtype, dim):
    x = data((6, 11), dtype) * 3
    g = on(device, x)
    xn = x.double().numpy()
    e = np.exp(xn - xn.max(axis=dim, keepdims=True))
    sm = e / e.sum(axis=dim, keepdims=True)
    tol = {torch.float64: (1e-12, 1e-12), torch.float32: (1e-5, 1e-6), torch.float16: (2e-3, 1e-3),
           torch.bfloat16: (2e-2, 1e-2)}
    assert g.softmax(dim).dtype == dtype
    assert_close(g.softmax(dim), sm, tol)
    assert_close(g.log_softmax(dim), np.log(sm), {k: (r, a * 10) for k, (r, a) in tol.items()})


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_cumsum_cumprod(device, dim):
    x = data((3, 4, 5)) * 0.5 + 1
    g = on(device, x)
    assert_close(g.cumsum(dim), np.cumsum(x.numpy(), axis=dim))
    assert_close(g.cumprod(dim), np.cumprod(x.numpy(), axis=dim))
    i = torch.tensor([[3, -2, 5], [7, 1, -1]], dtype=torch.int32)
    assert on(device, i).cumsum(1).dtype == torch.int64  # integers accumulate in int64
    assert_close(on(device, i).cumsum(1), np.cumsum(i.numpy(), axis=1))
    assert_close(on(device, i).cumprod(0, dtype=torch.float32), np.cumprod(i.numpy(), axis=0))
    t = on(device, x).transpose(0, 2)  # strided input
    assert_close(t.cumsum(1), np.cumsum(x.numpy().transpose(2, 1, 0), axis=1))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape,dim", [((5000,), 0), ((2, 7001), 1), ((4099, 3), 0), ((2, 3000, 2), 1)])
def test_long_scans_in_chunks(device, shape, dim):
    # few rows of more than 2048 elements: CUDA cuts them into chunks joined by carries
    x = data(shape)
    assert_close(on(device, x).cumsum(dim), np.cumsum(x.numpy(), axis=dim))
    p = (data(shape) * 0.01 + 1).double()  # products that stay finite
    assert_close(on(device, p).cumprod(dim), np.cumprod(p.numpy(), axis=dim), {torch.float64: (1e-10, 1e-12)})
    # integers wrap like the CPU's int64 arithmetic, whatever the grouping
    i = torch.from_numpy(np.random.default_rng(1).integers(-9, 9, shape)).to(torch.int8)
    assert_same(on(device, i).cumsum(dim), i.cumsum(dim))
    assert_same(on(device, i).cumprod(dim), i.cumprod(dim))
    assert_same(on(device, i.bool()).cumsum(dim), i.bool().cumsum(dim))


# Sizes that take every CUDA reduction path: a block, a warp or a thread per
# output, one pass or two (partials), rows shorter and longer than a warp.
ROW_LENGTHS = [1, 31, 32, 33, 1000, 5000]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", ROW_LENGTHS)
@pytest.mark.parametrize("rows", [1, 3, 300])
def test_reduction_paths_by_size(device, n, rows):
    x = data((rows, n), torch.float32, seed=n + rows)
    x[rows // 2, n // 3] = x[rows // 2].max()  # a tie for argmax: the first one wins
    for dim in (1, 0):
        g = on(device, x)
        for name in ("sum", "amax", "amin", "argmax", "argmin"):
            got = getattr(g, name)(dim)
            want = getattr(x, name)(dim)
            # sums of up to 5000 terms in another order: cancellation leaves ~1e-4 absolute
            assert_same(got, want, {torch.float32: (1e-5, 1e-3)})
        assert_same(g.prod(dim), x.prod(dim), {torch.float32: (1e-5, 1e-30)})


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.uint8, torch.float16, torch.bfloat16, torch.float64],
                         ids=ids)
def test_long_reductions_every_dtype(device, dtype):
    # one output over many elements (two passes on CUDA), and few long rows
    x = (data((3, 40_001), seed=4) * 3).to(dtype)
    g = on(device, x)
    tol = {torch.float64: (1e-12, 1e-9), torch.float16: (1e-2, 1e-1), torch.bfloat16: (2e-2, 1e-1)}
    assert_same(g.sum(), x.sum(), tol)
    assert_same(g.sum(1), x.sum(1), tol)
    assert_same(g.amax(), x.amax(), tol)
    assert_same(g.argmin(), x.argmin())
    assert_same(g.argmax(1), x.argmax(1))
    assert_same((g > 0).all(1), (x > 0).all(1))
    assert_same((g > 0).any(), (x > 0).any())


@pytest.mark.parametrize("device", DEVICES)
def test_nan_and_ties_on_long_rows(device):
    x = torch.zeros(2, 70_000)
    x[0, 12_345] = float("nan")
    x[0, 60_000] = float("nan")
    x[1, 5] = 7.0
    x[1, 69_999] = 7.0
    g = on(device, x)
    assert to_numpy(g.argmax(1)).tolist() == [12_345, 5]
    assert to_numpy(g.argmin(1)).tolist() == [12_345, 0]
    assert np.isnan(to_numpy(g.amax(1))[0]) and np.isnan(to_numpy(g.sum(1))[0])
    assert int(g.flatten().argmax()) == 12_345


@pytest.mark.parametrize("device", DEVICES)
def test_strided_and_middle_dim_reductions(device):
    x = data((6, 50, 7), torch.float32, seed=9)
    g = on(device, x)
    for dims in [(1,), (0, 2), (0, 1), (2,)]:
        assert_same(g.sum(dims), x.sum(dims), {torch.float32: (1e-5, 1e-5)})
    t = x.transpose(0, 2)  # reductions over strided rows and columns
    gt = on(device, x).transpose(0, 2)
    for dim in (0, 1, 2):
        assert_same(gt.amax(dim), t.amax(dim))
        assert_same(gt.argmin(dim), t.argmin(dim))
