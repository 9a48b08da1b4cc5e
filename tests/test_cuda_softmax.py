"""softmax / log_softmax (the fused CUDA kernels) on every device: forward,
backward and cross_entropy, on sizes that take each kernel path: a warp per
row (rows up to 1024 elements), a block per row, a thread per row (dims other
than the last). The CPU case against numpy, the CUDA case against the CPU."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from devices import DEVICES, FLOATS, assert_close, assert_same, ids, to_numpy

TOL = {torch.float64: (1e-12, 1e-12), torch.float32: (1e-5, 1e-6), torch.float16: (5e-3, 1e-3),
       torch.bfloat16: (3e-2, 1e-2)}
LOG_TOL = {k: (r, a * 10) for k, (r, a) in TOL.items()}


def np_softmax(x, dim, log):
    z = x - x.max(axis=dim, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=dim, keepdims=True))
    return z - lse if log else np.exp(z - lse)


def data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return torch.from_numpy(np.asarray(rng.standard_normal(shape) * 3)).to(dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape,dim", [((4, 1), 1), ((4, 31), 1), ((3, 33), -1), ((2, 1000), 1), ((2, 1025), 1),
                                       ((2, 5000), 1), ((40, 3), 0), ((3, 30, 4), 1), ((7,), 0), ((), 0)], ids=str)
@pytest.mark.parametrize("log", [False, True])
def test_forward_paths(device, shape, dim, log):
    x = data(shape, torch.float64, seed=len(shape))
    got = (x.to(device).log_softmax(dim) if log else x.to(device).softmax(dim))
    assert got.device.type == device and got.shape == x.shape
    assert_close(got, np_softmax(x.numpy(), dim if x.ndim else None, log), TOL)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("dim", [0, 1])
def test_dtypes_match_cpu(device, dtype, dim):
    x = data((37, 70), dtype, seed=3)
    for log in (False, True):
        f = (lambda t: t.log_softmax(dim)) if log else (lambda t: t.softmax(dim))
        want = f(x)
        assert_same(f(x.to(device)), want, LOG_TOL if log else TOL)
        assert_close(want, np_softmax(x.double().numpy(), dim, log), LOG_TOL if log else TOL)


@pytest.mark.parametrize("device", DEVICES)
def test_special_values(device):
    inf, nan = float("inf"), float("nan")
    x = torch.tensor([[0.0, -inf, 1.0, 2.0], [nan, 0.0, 1.0, 2.0], [-inf] * 4, [inf, 0.0, 0.0, 1.0]])
    for log in (False, True):
        got = to_numpy(x.to(device).log_softmax(1) if log else x.to(device).softmax(1))
        assert got[0, 1] == (-inf if log else 0.0) and np.isfinite(got[0, [0, 2, 3]]).all()
        assert np.isnan(got[1:]).all()  # NaN, all -inf and +inf rows are NaN as on the CPU


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape,dim", [((3, 33), 1), ((2, 1500), 1), ((30, 4), 0), ((2, 5, 3), 1)], ids=str)
@pytest.mark.parametrize("log", [False, True])
def test_backward(device, shape, dim, log):
    x = data(shape, torch.float64, seed=5)
    w = data(shape, torch.float64, seed=6)
    xs = x.detach().to(device).requires_grad_()
    y = xs.log_softmax(dim) if log else xs.softmax(dim)
    (y * w.to(device)).sum().backward()
    yn = np_softmax(x.numpy(), dim, log)
    wn = w.numpy()
    want = wn - np.exp(yn) * wn.sum(dim, keepdims=True) if log else yn * (wn - (wn * yn).sum(dim, keepdims=True))
    assert xs.grad.device.type == device
    assert_close(xs.grad, want, TOL)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16], ids=ids)
def test_backward_matches_cpu_and_double_backward(device, dtype):
    x = data((6, 50), dtype, seed=8)
    grads = []
    for dev in ("cpu", device):
        xs = x.detach().to(dev).requires_grad_()
        xs.log_softmax(1)[:, :7].sum().backward()  # a gradient that is not contiguous before the kernel
        grads.append(xs.grad)
    assert_same(grads[1], grads[0], {torch.float32: (1e-5, 1e-6), torch.float16: (1e-2, 1e-3)})
    # create_graph keeps the composed, differentiable backward
    xs = x.double().to(device).requires_grad_()
    (g,) = torch.autograd.grad(xs.softmax(1)[:, 0].sum(), xs, create_graph=True)
    (gg,) = torch.autograd.grad((g * g).sum(), xs)
    xc = x.double().requires_grad_()
    (gc,) = torch.autograd.grad(xc.softmax(1)[:, 0].sum(), xc, create_graph=True)
    (ggc,) = torch.autograd.grad((gc * gc).sum(), xc)
    assert_same(gg, ggc)


@pytest.mark.parametrize("device", DEVICES)
def test_cross_entropy(device):
    logits = data((64, 10), torch.float32, seed=11)
    target = torch.from_numpy(np.random.default_rng(0).integers(0, 10, 64))
    got = []
    for dev in ("cpu", device):
        lg = logits.detach().to(dev).requires_grad_()
        loss = F.cross_entropy(lg, target.to(dev), label_smoothing=0.1)
        loss.backward()
        got.append((loss, lg.grad))
    assert_same(got[1][0], got[0][0], {torch.float32: (1e-5, 1e-6)})
    assert_same(got[1][1], got[0][1], {torch.float32: (1e-5, 1e-7)})
    ln = logits.double().numpy()
    lp = np_softmax(ln, 1, True)
    want = -(0.9 * lp[np.arange(64), target.numpy()] + 0.1 * lp.mean(1)).mean()
    assert_close(got[0][0], np.array(want, np.float64), {torch.float32: (1e-5, 1e-6)})
