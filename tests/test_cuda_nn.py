"""Convolution, unfold/fold and pooling on every device, with their gradients:
the CPU case against the numpy references of test_nn_conv, the CUDA case
against the CPU. Ends with a small CNN trained entirely on the device."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from devices import DEVICES, MATMUL_TOL, assert_close, assert_same, cuda_only, make, to_numpy
from test_nn_conv import (adaptive_pool2d_np, avg_pool2d_np, conv2d_np, conv_transpose2d_np,
                          max_pool2d_np)

# convolutions sum in a backend-dependent order (cuBLAS GEMMs)
CONV_TOL = MATMUL_TOL


def run(fn, device, *inputs, grad_seed=7):
    """fn(*inputs) on `device` with every float input requiring grad; returns the output
    and the grads of (output * a fixed random cotangent).sum() for each input, as CPU tensors
    are compared by the caller."""
    xs = [x.detach().to(device).requires_grad_() if isinstance(x, torch.Tensor) else x for x in inputs]
    out = fn(*xs)
    first = out[0] if isinstance(out, tuple) else out
    gy = make(tuple(first.shape), first.dtype, seed=grad_seed).to(device)
    (first * gy).sum().backward()
    grads = [x.grad for x in xs if isinstance(x, torch.Tensor)]
    for g in grads:
        assert g is not None and g.device.type == torch.device(device).type
    return out, grads


def same_everywhere(fn, device, *inputs, tol=CONV_TOL):
    """fn on `device` equals fn on the CPU: outputs (values and indices) and grads."""
    out, grads = run(fn, device, *inputs)
    ref_out, ref_grads = run(fn, "cpu", *inputs)
    outs = out if isinstance(out, tuple) else (out,)
    refs = ref_out if isinstance(ref_out, tuple) else (ref_out,)
    for a, e in zip(outs, refs):
        assert a.device.type == torch.device(device).type
        assert_same(a, e, tol)
    for a, e in zip(grads, ref_grads):
        assert_same(a, e, tol)
    return out, grads


def np_of(t):
    return to_numpy(t)


# ---------------------------------------------------------------- convolution
CONV_CASES = [  # (N, C, H, W, O, kh, kw, stride, padding, dilation, groups)
    (2, 4, 7, 6, 6, 3, 3, 1, 1, 1, 1),
    (1, 4, 9, 8, 4, 3, 2, 2, 0, 2, 2),
    (3, 6, 5, 5, 6, 1, 1, 1, 0, 1, 3),   # pointwise, grouped
    (2, 3, 8, 8, 5, 2, 3, 3, 2, 1, 1),
    (1, 2, 4, 4, 2, 1, 1, 2, 0, 1, 1),   # strided 1x1
    (2, 4, 6, 7, 4, 3, 3, 1, 2, 2, 4),   # depthwise with dilation
    (3, 16, 9, 7, 8, 3, 3, 1, 1, 1, 1),  # the CPU's Winograd path
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conv2d_forward_and_grads(device, case, dtype):
    n, c, h, w, o, kh, kw, s, p, d, g = case
    x, wt, b = make((n, c, h, w), dtype, seed=1), make((o, c // g, kh, kw), dtype, seed=2), make((o,), dtype, seed=3)
    fn = lambda x, wt, b: F.conv2d(x, wt, b, stride=s, padding=p, dilation=d, groups=g)
    if device == "cpu":
        y = fn(x, wt, b)
        assert_close(y, conv2d_np(np_of(x), np_of(wt), np_of(b), (s, s), ((p, p), (p, p)), (d, d), g), CONV_TOL)
        return
    same_everywhere(fn, device, x, wt, b)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("s,p,op,d,g", [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (3, 2, 2, 2, 2), (2, 0, 1, 1, 4)])
def test_conv_transpose2d_forward_and_grads(device, s, p, op, d, g):
    # weight [c_in, c_out / groups, kh, kw]
    x, wt, b = make((2, 4, 5, 4), torch.float64, seed=1), make((4, 3, 3, 2), torch.float64, seed=2), make((3 * g,), torch.float64, seed=3)
    fn = lambda x, wt, b: F.conv_transpose2d(x, wt, b, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    if device == "cpu":
        ref = conv_transpose2d_np(np_of(x), np_of(wt), np_of(b), (s, s), (p, p), (op, op), (d, d), g)
        assert_close(fn(x, wt, b), ref, CONV_TOL)
        return
    same_everywhere(fn, device, x, wt, b)


@pytest.mark.parametrize("device", DEVICES)
def test_conv1d_same_padding_and_transpose1d(device):
    x, w = make((2, 3, 11), torch.float32, seed=1), make((4, 3, 4), torch.float32, seed=2)
    b = make((4,), torch.float32, seed=3)
    same = lambda x, w, b: F.conv1d(x, w, b, padding="same", dilation=2)  # odd total padding: 3 then 3
    valid = lambda x, w, b: F.conv1d(x, w, b, stride=2, padding="valid")
    wt = make((3, 2, 3), torch.float32, seed=4)
    tr = lambda x, w, b: F.conv_transpose1d(x, w, b[:2], stride=2, padding=1, output_padding=1)
    if device == "cpu":
        xs, ws, bs = np_of(x)[:, :, None], np_of(w)[:, :, None], np_of(b)
        assert_close(same(x, w, b), conv2d_np(xs, ws, bs, (1, 1), ((0, 0), (3, 3)), (1, 2))[:, :, 0], CONV_TOL)
        assert_close(valid(x, w, b), conv2d_np(xs, ws, bs, (1, 2))[:, :, 0], CONV_TOL)
        ref = conv_transpose2d_np(xs, np_of(wt)[:, :, None], bs[:2], (1, 2), (0, 1), (0, 1))[:, :, 0]
        assert_close(tr(x, wt, b), ref, CONV_TOL)
        return
    for fn, w_ in ((same, w), (valid, w), (tr, wt)):
        same_everywhere(fn, device, x, w_, b)


@pytest.mark.parametrize("device", DEVICES)
def test_conv2d_same_padding_asymmetric(device):
    x, w = make((1, 2, 6, 5), torch.float64, seed=1), make((3, 2, 4, 2), torch.float64, seed=2)
    fn = lambda x, w: F.conv2d(x, w, padding="same")
    if device == "cpu":  # PyTorch pads the odd element at the end
        assert_close(fn(x, w), conv2d_np(np_of(x), np_of(w), None, (1, 1), ((1, 2), (0, 1))), CONV_TOL)
        return
    same_everywhere(fn, device, x, w)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_conv_half_precision_and_unbatched(device, dtype):
    x, w, b = make((3, 6, 5), dtype, seed=1), make((4, 3, 3, 3), dtype, seed=2), make((4,), dtype, seed=3)
    fn = lambda x, w, b: F.conv2d(x, w, b, padding=1)
    if device == "cpu":  # computed in float32 and rounded once
        ref = conv2d_np(np_of(x)[None], np_of(w), np_of(b), (1, 1), ((1, 1), (1, 1)))[0]
        assert_close(fn(x, w, b), ref, {dtype: (2e-2, 2e-2)})
        return
    out, grads = same_everywhere(fn, device, x, w, b)
    assert out.dtype == dtype and all(g.dtype == dtype for g in grads)
    tr = lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, groups=2, output_padding=1)
    same_everywhere(tr, device, make((2, 4, 5), dtype, seed=4), make((4, 3, 3), dtype, seed=5), make((6,), dtype, seed=6))


@pytest.mark.parametrize("device", DEVICES)
def test_conv_double_backward(device):
    def grads(dev):
        x = make((2, 2, 5, 5), torch.float64, seed=1).to(dev).requires_grad_()
        w = make((3, 2, 3, 3), torch.float64, seed=2).to(dev).requires_grad_()
        y = F.conv2d(x, w, stride=2, padding=1)
        gx, gw = torch.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        (gx.pow(2).sum() + gw.pow(2).sum()).backward()
        return x.grad, w.grad
    gx, gw = grads(device)
    if device == "cpu":  # sum(y^2) is quadratic: its double backward is finite differences-exact
        from ferrotorch.autograd import gradgradcheck
        x = make((1, 1, 4, 4), torch.float64, seed=1).requires_grad_()
        w = make((2, 1, 3, 3), torch.float64, seed=2).requires_grad_()
        assert gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, w))
        return
    rx, rw = grads("cpu")
    assert_same(gx, rx, CONV_TOL)
    assert_same(gw, rw, CONV_TOL)


@pytest.mark.parametrize("device", DEVICES)
def test_conv_integer_input_is_not_implemented(device):
    x, w = torch.ones(1, 1, 3, 3, dtype=torch.int64).to(device), torch.ones(1, 1, 2, 2, dtype=torch.int64).to(device)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.conv2d(x, w)


@cuda_only
def test_conv_mixed_devices_error():
    x = torch.ones(1, 1, 3, 3).to("cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.conv2d(x, torch.ones(1, 1, 2, 2))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.conv2d(x, torch.ones(1, 1, 2, 2).to("cuda"), torch.ones(1))


# ---------------------------------------------------------------- unfold / fold
def unfold_np(x, k, d, p, s):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i, j] = xp[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0], j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("k,d,p,s", [((2, 3), (1, 1), (0, 1), (1, 2)), ((3, 3), (2, 1), (2, 2), (2, 1)), ((1, 1), (1, 1), (0, 0), (1, 1))])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_unfold_fold(device, k, d, p, s, dtype):
    x = make((2, 3, 7, 6), dtype, seed=1)
    unf = lambda x: F.unfold(x, k, dilation=d, padding=p, stride=s)
    cols = unf(x)
    fold = lambda c: F.fold(c, (7, 6), k, dilation=d, padding=p, stride=s)
    if device == "cpu":
        assert_close(cols, unfold_np(np_of(x), k, d, p, s))
        # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
        c = make(tuple(cols.shape), torch.float64, seed=2)
        lhs = (unf(x.double()) * c).sum().item()
        assert abs(lhs - (x.double() * fold(c)).sum().item()) < 1e-9 * max(1.0, abs(lhs))
        return
    same_everywhere(unf, device, x, tol=None)
    same_everywhere(fold, device, make(tuple(cols.shape), dtype, seed=3))
    # unbatched input
    assert_same(F.unfold(x[0].to(device), k, dilation=d, padding=p, stride=s), F.unfold(x[0], k, dilation=d, padding=p, stride=s))


# ---------------------------------------------------------------- pooling
MAX_CASES = [  # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((3, 2), (1, 2), (1, 0), (2, 1), False),
    ((2, 3), (3, 2), (1, 1), (2, 2), True),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("k,s,p,d,ceil", MAX_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_max_pool2d(device, k, s, p, d, ceil, dtype):
    x = make((2, 3, 9, 8), dtype, seed=1)
    fn = lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    if device == "cpu":
        vals, idx = fn(x)
        rv, ri = max_pool2d_np(np_of(x), k, s, p, d, ceil)
        assert_close(vals, rv)
        assert_close(idx, ri)
        return
    same_everywhere(fn, device, x, tol=None)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_pool_half_precision_and_1d(device, dtype):
    x = make((2, 4, 10), dtype, seed=1)
    fns = [lambda x: F.max_pool1d(x, 3, 2, 1, 2, ceil_mode=True, return_indices=True),
           lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
           lambda x: F.adaptive_avg_pool1d(x, 4),
           lambda x: F.adaptive_max_pool1d(x, 3, return_indices=True)]
    if device == "cpu":
        x4 = np_of(x)[:, :, None]
        vals, idx = fns[0](x)
        rv, ri = max_pool2d_np(x4, (1, 3), (1, 2), (0, 1), (1, 2), True)
        assert_close(vals, rv[:, :, 0])
        assert_close(idx, ri[:, :, 0])
        assert_close(fns[1](x), avg_pool2d_np(x4, (1, 3), (1, 2), (0, 1), True, False)[:, :, 0])
        assert_close(fns[2](x), adaptive_pool2d_np(x4, (1, 4), np.mean)[:, :, 0])
        return
    for fn in fns:
        out, grads = same_everywhere(fn, device, x, tol=None)
        assert grads[0].dtype == dtype


@pytest.mark.parametrize("device", DEVICES)
def test_max_pool_nan_wins(device):
    x = torch.tensor([[[[1.0, float("nan"), 3.0], [4.0, 5.0, float("nan")], [0.0, 2.0, 9.0]]]])
    vals, idx = F.max_pool2d(x.to(device), 2, 1, return_indices=True)
    assert np.isnan(to_numpy(vals)).tolist() == [[[[True, True], [False, True]]]]
    assert to_numpy(idx).tolist() == [[[[1, 1], [4, 5]]]]


AVG_CASES = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ((2, 2), (2, 2), (0, 0), False, True, None),
    ((3, 3), (2, 2), (1, 1), True, True, None),
    ((3, 3), (2, 2), (1, 1), True, False, None),
    ((3, 2), (2, 1), (1, 1), False, True, 5),
    ((2, 3), (3, 2), (1, 1), True, False, None),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("k,s,p,ceil,cip,div", AVG_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_avg_pool2d(device, k, s, p, ceil, cip, div, dtype):
    x = make((2, 3, 9, 8), dtype, seed=1)
    fn = lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip, divisor_override=div)
    if device == "cpu":
        assert_close(fn(x), avg_pool2d_np(np_of(x), k, s, p, ceil, cip, div))
        return
    same_everywhere(fn, device, x, tol=None)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("out", [(1, 1), (3, 2), (4, 5), (9, 8), (2, 7)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_adaptive_pools(device, out, dtype):
    x = make((2, 3, 9, 8), dtype, seed=1)
    avg = lambda x: F.adaptive_avg_pool2d(x, out)
    mx = lambda x: F.adaptive_max_pool2d(x, out, return_indices=True)
    if device == "cpu":
        assert_close(avg(x), adaptive_pool2d_np(np_of(x), out, np.mean))
        assert_close(mx(x)[0], adaptive_pool2d_np(np_of(x), out, np.max))
        return
    same_everywhere(avg, device, x, tol=None)
    same_everywhere(mx, device, x, tol=None)


@pytest.mark.parametrize("device", DEVICES)
def test_pool_double_backward(device):
    def grads(dev):
        x = make((1, 2, 6, 5), torch.float64, seed=1).to(dev).requires_grad_()
        y = F.max_pool2d(x, 2, 1) * 2 + F.avg_pool2d(x, 3, 2, 1)[..., :1, :1]
        (g,) = torch.autograd.grad((y * y).sum(), [x], create_graph=True)
        (g * g).sum().backward()
        return g.detach(), x.grad
    g, gg = grads(device)
    if device == "cpu":
        from ferrotorch.autograd import gradgradcheck
        x = make((1, 1, 5, 4), torch.float64, seed=1).requires_grad_()
        assert gradgradcheck(lambda x: F.max_pool2d(x, 2, 1) + F.avg_pool2d(x, 3, 2, 1).sum(), (x,))
        return
    rg, rgg = grads("cpu")
    assert_same(g, rg)
    assert_same(gg, rgg)


@pytest.mark.parametrize("device", DEVICES)
def test_pool_integer_input_is_not_implemented(device):
    x = torch.ones(1, 1, 4, 4, dtype=torch.int64).to(device)
    for fn in (lambda: F.max_pool2d(x, 2), lambda: F.avg_pool2d(x, 2)):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            fn()


# ---------------------------------------------------------------- a CNN on the device
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=1, padding=1, groups=2)
        self.fc = nn.Linear(8 * 2 * 2, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def train_cnn(device, steps=4):
    torch.manual_seed(0)
    model = SmallCNN().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(8, 1, 8, 8).to(device), torch.randint(0, 3, (8,)).to(device)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("device", DEVICES)
def test_small_cnn_training(device):
    losses = train_cnn(device)
    assert losses[-1] < losses[0]
    if device != "cpu":
        np.testing.assert_allclose(losses, train_cnn("cpu"), rtol=1e-4, atol=1e-5)


@cuda_only
def test_cnn_training_step_copies_nothing_to_the_host():
    from ferrotorch import _C
    torch.manual_seed(0)
    model = SmallCNN().to("cuda")
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(8, 1, 8, 8).to("cuda"), torch.randint(0, 3, (8,)).to("cuda")
    before = _C._cuda_device_to_host_copies()
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert _C._cuda_device_to_host_copies() == before
    assert all(p.grad.device.type == "cuda" for p in model.parameters())


# ---------------------------------------------------------------- composite nn ops on the device
# These are built from device ops in Python; on CUDA they must keep every helper tensor
# (indices, weights, masks, states) on the input's device and copy nothing to the host.
def interp(mode, **kw):
    return lambda a: F.interpolate(a, mode=mode, **kw)


COMPOSITES = {
    "nearest": (interp("nearest", scale_factor=2), [(1, 2, 3, 4)]),
    "nearest-exact": (interp("nearest-exact", size=(5, 7)), [(1, 2, 3, 4)]),
    "bilinear": (interp("bilinear", size=(5, 7)), [(1, 2, 3, 4)]),
    "bilinear-corners": (interp("bilinear", size=(5, 7), align_corners=True), [(1, 2, 3, 4)]),
    "bicubic": (interp("bicubic", size=(5, 7)), [(1, 2, 3, 4)]),
    "linear": (interp("linear", size=7), [(1, 2, 4)]),
    "trilinear": (interp("trilinear", size=(3, 5, 7)), [(1, 2, 2, 3, 4)]),
    "area": (interp("area", size=(2, 3)), [(1, 2, 5, 7)]),
    "pad-constant": (lambda a: F.pad(a, (1, 2, 0, 1), value=0.5), [(2, 3, 4)]),
    "pad-reflect": (lambda a: F.pad(a, (2, 1), mode="reflect"), [(2, 3, 4)]),
    "pad-replicate": (lambda a: F.pad(a, (1, 2, 2, 1), mode="replicate"), [(1, 2, 3, 4)]),
    "pad-circular": (lambda a: F.pad(a, (1, 2, 2, 1, 1, 0), mode="circular"), [(1, 2, 2, 3, 4)]),
    "sdpa-causal": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    "nll-weight-ignore": (lambda a, w: F.cross_entropy(a, torch.tensor([1, 2, 4, 2]).to(a.device), weight=w.abs(),
                                                       ignore_index=2, label_smoothing=0.1), [(4, 5), (5,)]),
    "bce": (lambda a: F.binary_cross_entropy(a.sigmoid(), (a.detach() * 0.7).sigmoid()), [(4, 5)]),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(COMPOSITES))
def test_composite_ops(device, name):
    fn, shapes = COMPOSITES[name]
    inputs = [make(s, torch.float32, seed=i) for i, s in enumerate(shapes)]
    if device == "cpu":  # the references live in test_nn_functional; here: the op runs and differentiates
        out, grads = run(fn, "cpu", *inputs)
        assert all(g.abs().sum().item() > 0 for g in grads)
        return
    from ferrotorch import _C
    before = _C._cuda_device_to_host_copies()
    out, _ = run(fn, device, *inputs)
    assert _C._cuda_device_to_host_copies() == before
    same_everywhere(fn, device, *inputs)


@pytest.mark.parametrize("device", DEVICES)
def test_embedding_on_device(device):
    w = make((10, 4), torch.float32, seed=1)
    idx = torch.tensor([[1, 3], [3, 9], [0, 3]])
    plain = lambda w: F.embedding(idx.to(w.device), w, padding_idx=0)
    freq = lambda w: F.embedding(idx.to(w.device), w, scale_grad_by_freq=True)
    renorm = lambda w: F.embedding(idx.to(w.device), w.clone(), max_norm=1.0)
    if device == "cpu":
        out, (g,) = run(freq, "cpu", w)
        gy = make((3, 2, 4), torch.float32, seed=7).numpy()
        want = np.zeros((10, 4))
        for (i, j), k in np.ndenumerate(idx.numpy()):
            want[k] += gy[i, j] / (idx.numpy() == k).sum()  # each row's grad over its count
        assert_close(g, want)
        r = renorm(w)
        assert np.allclose(np.linalg.norm(to_numpy(r), axis=-1).max(), 1.0, atol=1e-4)
        return
    from ferrotorch import _C
    before = _C._cuda_device_to_host_copies()
    for fn in (plain, freq, renorm):
        run(fn, device, w)
    assert _C._cuda_device_to_host_copies() == before
    for fn in (plain, freq, renorm):
        same_everywhere(fn, device, w, tol=None)
    bag = lambda w: F.embedding_bag(torch.tensor([1, 3, 3, 9, 0]).to(w.device), w, torch.tensor([0, 2]).to(w.device), mode="max")
    same_everywhere(bag, device, w, tol=None)


BAGS = [  # offsets (an empty bag included), embedding_bag keyword arguments
    ([0, 2, 2, 5], dict(mode="sum")),
    ([0, 2, 2, 5], dict(mode="mean", padding_idx=3)),
    ([0, 1, 4, 6], dict(mode="sum", include_last_offset=True, scale_grad_by_freq=True)),
    ([0, 3], dict(mode="sum", per_sample=True)),
    ([0, 3, 3], dict(mode="mean", include_last_offset=True)),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("offsets,kw", BAGS)
def test_embedding_bag_sum_mean_on_device(device, offsets, kw):
    kw = dict(kw)
    per_sample = kw.pop("per_sample", False)
    idx = torch.tensor([1, 3, 3, 9, 0, 4, 3])
    w, psw = make((10, 4), torch.float32, seed=1), make((7,), torch.float32, seed=2)

    def fn(w, *psw):
        dev = w.device
        return F.embedding_bag(idx.to(dev), w, torch.tensor(offsets).to(dev), per_sample_weights=psw[0] if psw else None, **kw)
    inputs = (w, psw) if per_sample else (w,)
    if device == "cpu":  # each bag reduces its slice of rows
        out = fn(*inputs)
        ends = offsets[1:] if kw.get("include_last_offset") else offsets[1:] + [7]
        starts = offsets[:-1] if kw.get("include_last_offset") else offsets
        want = []
        for a, b in zip(starts, ends):
            ks = [k for k in range(a, b) if idx[k].item() != kw.get("padding_idx", -1)]
            rows = [to_numpy(w)[idx[k].item()] * (to_numpy(psw)[k] if per_sample else 1) for k in ks]
            total = np.sum(rows, 0) if rows else np.zeros(4)
            want.append(total / max(len(rows), 1) if kw["mode"] == "mean" else total)
        assert_close(out, np.array(want))
        return
    from ferrotorch import _C
    before = _C._cuda_device_to_host_copies()
    run(fn, device, *inputs)
    assert _C._cuda_device_to_host_copies() == before
    same_everywhere(fn, device, *inputs, tol=CONV_TOL)


@cuda_only
def test_embedding_bad_index_is_reported_on_device():
    w = torch.randn(5, 2).to("cuda")
    for bad in (5, -1):
        out = F.embedding(torch.tensor([0, bad]).to("cuda"), w)  # no host check: reported at the next sync
        with pytest.raises(RuntimeError, match="device-side assert triggered"):
            out.cpu()
    onehot = F.one_hot(torch.tensor([0, 7]).to("cuda"), 4)
    with pytest.raises(RuntimeError, match="device-side assert triggered"):
        onehot.cpu()
    assert F.one_hot(torch.tensor([0, 3]).to("cuda"), 4).cpu().tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_modules_on_device(device, kind):
    def fwd(dev):
        torch.manual_seed(0)
        m = getattr(nn, kind)(4, 5, num_layers=2, bidirectional=kind == "LSTM", batch_first=kind == "GRU").to(dev)
        x = make((3, 2, 4), torch.float32, seed=1).to(dev).requires_grad_()
        out, _ = m(x)
        (out * make(tuple(out.shape), torch.float32, seed=7).to(dev)).sum().backward()
        return out, [x.grad] + [p.grad for p in m.parameters()]
    out, grads = fwd(device)
    assert out.device.type == torch.device(device).type
    if device != "cpu":
        ref, rgrads = fwd("cpu")
        assert_same(out, ref, CONV_TOL)
        for a, e in zip(grads, rgrads):
            assert_same(a, e, CONV_TOL)
