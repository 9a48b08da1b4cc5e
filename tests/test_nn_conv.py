"""Convolution, pooling and fold/unfold against numpy references written here."""
import itertools

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from ferrotorch.autograd import gradcheck, gradgradcheck


def t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


# ---------------------------------------------------------------- references
def pad_np(x, pads, value=0.0):
    """pads: per spatial dim (before, after)."""
    width = [(0, 0)] * (x.ndim - len(pads)) + list(pads)
    return np.pad(x, width, constant_values=value)


def conv2d_np(x, w, b=None, stride=(1, 1), pad=((0, 0), (0, 0)), dil=(1, 1), groups=1):
    """Direct definition: y[n,o,i,j] = sum_{c,p,q} x[n, g*cg+c, i*s+p*d, j*s+q*d] w[o,c,p,q]."""
    x = pad_np(x, pad)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dil[1] * (kw - 1) - 1) // stride[1] + 1
    og = o // groups
    y = np.zeros((n, o, oh, ow))
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        for p, q in itertools.product(range(kh), range(kw)):
            patch = xs[:, :, p * dil[0]: p * dil[0] + stride[0] * (oh - 1) + 1: stride[0],
                       q * dil[1]: q * dil[1] + stride[1] * (ow - 1) + 1: stride[1]]
            y[:, g * og:(g + 1) * og] += np.einsum("ncij,oc->noij", patch, w[g * og:(g + 1) * og, :, p, q])
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv_transpose2d_np(x, w, b=None, stride=(1, 1), pad=(0, 0), out_pad=(0, 0), dil=(1, 1), groups=1):
    """Scatter definition: every input pixel adds w * x at i*s + p*d - pad."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = cin // groups
    oh = (h - 1) * stride[0] - 2 * pad[0] + dil[0] * (kh - 1) + out_pad[0] + 1
    ow = (wd - 1) * stride[1] - 2 * pad[1] + dil[1] * (kw - 1) + out_pad[1] + 1
    big = np.zeros((n, og * groups, oh + 2 * pad[0] + stride[0], ow + 2 * pad[1] + stride[1]))
    for g in range(groups):
        for i, j, p, q in itertools.product(range(h), range(wd), range(kh), range(kw)):
            big[:, g * og:(g + 1) * og, i * stride[0] + p * dil[0], j * stride[1] + q * dil[1]] += \
                x[:, g * cg:(g + 1) * cg, i, j] @ w[g * cg:(g + 1) * cg, :, p, q]
    y = big[:, :, pad[0]:pad[0] + oh, pad[1]:pad[1] + ow]
    if b is not None:
        y = y + b[None, :, None, None]
    return y


def windows(n_in, k, s, p, d, ceil):
    """PyTorch's pooling windows along one dim: lists of input positions (padding excluded)."""
    out = (n_in + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n_in + p:
        out -= 1
    return [[i * s - p + t * d for t in range(k) if 0 <= i * s - p + t * d < n_in] for i in range(out)]


def max_pool2d_np(x, k, s, p, d, ceil):
    wh = windows(x.shape[2], k[0], s[0], p[0], d[0], ceil)
    ww = windows(x.shape[3], k[1], s[1], p[1], d[1], ceil)
    y = np.zeros(x.shape[:2] + (len(wh), len(ww)))
    idx = np.zeros(y.shape, dtype=np.int64)
    for a, rows in enumerate(wh):
        for b, cols in enumerate(ww):
            block = x[:, :, rows][:, :, :, cols].reshape(x.shape[0], x.shape[1], -1)
            arg = block.argmax(-1)
            y[:, :, a, b] = block.max(-1)
            idx[:, :, a, b] = np.array(rows)[arg // len(cols)] * x.shape[3] + np.array(cols)[arg % len(cols)]
    return y, idx


def avg_pool2d_np(x, k, s, p, ceil, count_include_pad, divisor=None):
    h, w = x.shape[2:]
    wh = windows(h, k[0], s[0], p[0], 1, ceil)
    ww = windows(w, k[1], s[1], p[1], 1, ceil)
    y = np.zeros(x.shape[:2] + (len(wh), len(ww)))
    for a, rows in enumerate(wh):
        for b, cols in enumerate(ww):
            total = x[:, :, rows][:, :, :, cols].sum((-1, -2))
            if divisor is not None:
                n = divisor
            elif count_include_pad:  # the window clipped to the padded input
                n = (min(a * s[0] - p[0] + k[0], h + p[0]) - (a * s[0] - p[0])) * \
                    (min(b * s[1] - p[1] + k[1], w + p[1]) - (b * s[1] - p[1]))
            else:
                n = len(rows) * len(cols)
            y[:, :, a, b] = total / n
    return y


def adaptive_bounds(n_in, n_out):
    return [(i * n_in // n_out, -(-(i + 1) * n_in // n_out)) for i in range(n_out)]


def adaptive_pool2d_np(x, out, fn):
    bh, bw = adaptive_bounds(x.shape[2], out[0]), adaptive_bounds(x.shape[3], out[1])
    y = np.zeros(x.shape[:2] + tuple(out))
    for a, (h0, h1) in enumerate(bh):
        for b, (w0, w1) in enumerate(bw):
            y[:, :, a, b] = fn(x[:, :, h0:h1, w0:w1], axis=(-1, -2))
    return y


# ---------------------------------------------------------------- convolution
CONV_CASES = [  # (N, C, H, W, O, kh, kw, stride, padding, dilation, groups)
    (2, 4, 7, 6, 6, 3, 3, 1, 1, 1, 1),
    (1, 4, 9, 8, 4, 3, 2, 2, 0, 2, 2),
    (3, 6, 5, 5, 6, 1, 1, 1, 0, 1, 3),   # pointwise, depthwise-like groups
    (2, 3, 8, 8, 5, 2, 3, 3, 2, 1, 1),
    (1, 2, 4, 4, 2, 1, 1, 2, 0, 1, 1),   # strided 1x1
    (2, 4, 6, 7, 4, 3, 3, 1, 2, 2, 4),   # depthwise with dilation
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_direct_definition(rng, case):
    n, c, h, w, o, kh, kw, s, p, d, g = case
    x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c // g, kh, kw)), rng.standard_normal(o)
    got = F.conv2d(t(x), t(wt), t(b), s, p, d, g).numpy()
    ref = conv2d_np(x, wt, b, (s, s), ((p, p), (p, p)), (d, d), g)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    # float32 runs natively
    got32 = F.conv2d(t(x.astype(np.float32)), t(wt.astype(np.float32)), t(b.astype(np.float32)), s, p, d, g)
    assert got32.dtype == torch.float32
    np.testing.assert_allclose(got32.numpy(), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_grads_match_finite_differences(rng, case):
    n, c, h, w, o, kh, kw, s, p, d, g = case
    x, wt, b = t(rng.standard_normal((n, c, h, w)), True), t(rng.standard_normal((o, c // g, kh, kw)), True), \
        t(rng.standard_normal(o), True)
    assert gradcheck(lambda x, wt, b: F.conv2d(x, wt, b, s, p, d, g), (x, wt, b))


def test_conv2d_double_backward(rng):
    x, wt, b = t(rng.standard_normal((2, 4, 5, 5)), True), t(rng.standard_normal((4, 2, 3, 3)), True), \
        t(rng.standard_normal(4), True)
    assert gradgradcheck(lambda x, wt, b: F.conv2d(x, wt, b, 2, 1, 1, 2), (x, wt, b))
    y = F.conv2d(x, wt, b, groups=2)
    assert "ConvolutionBackward0" in repr(y.grad_fn)
    gx, = torch.autograd.grad(y.sum(), x, create_graph=True)
    assert gx.grad_fn is not None


@pytest.mark.parametrize("s,p,op,d,g", [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (2, 0, 1, 2, 2), (3, 2, 2, 1, 1)])
def test_conv_transpose2d_matches_scatter_definition(rng, s, p, op, d, g):
    x, wt, b = rng.standard_normal((2, 4, 4, 3)), rng.standard_normal((4, 6 // g, 3, 2)), rng.standard_normal(6 // g * g)
    got = F.conv_transpose2d(t(x), t(wt), t(b), s, p, op, g, d).numpy()
    ref = conv_transpose2d_np(x, wt, b, (s, s), (p, p), (op, op), (d, d), g)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    xt, wtt, bt = t(x, True), t(wt, True), t(b, True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d), (xt, wtt, bt))
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, None, s, p, op, g, d), (xt, wtt))


def test_conv1d_and_transpose1d_match_2d_reference(rng):
    x, w, b = rng.standard_normal((2, 3, 11)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    got = F.conv1d(t(x), t(w), t(b), stride=2, padding=1, dilation=2).numpy()
    ref = conv2d_np(x[:, :, None], w[:, :, None], b, (1, 2), ((0, 0), (1, 1)), (1, 2))[:, :, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    wt = rng.standard_normal((3, 5, 3))
    got = F.conv_transpose1d(t(x), t(wt), None, stride=2, padding=1, output_padding=1).numpy()
    ref = conv_transpose2d_np(x[:, :, None], wt[:, :, None], None, (1, 2), (0, 1), (0, 1))[:, :, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    xt, wt_ = t(x, True), t(w, True)
    assert gradcheck(lambda x, w: F.conv1d(x, w, None, 2, 1, 2), (xt, wt_))


@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (4, 2), (3, 3)])
def test_padding_same_and_valid(rng, k, d):
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, k, k))
    total = d * (k - 1)
    ref = conv2d_np(x, w, pad=((total // 2, total - total // 2),) * 2, dil=(d, d))
    got = F.conv2d(t(x), t(w), padding="same", dilation=d)
    assert got.shape == (2, 4, 9, 8)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(F.conv2d(t(x), t(w), padding="valid", dilation=d).numpy(),
                               conv2d_np(x, w, dil=(d, d)), rtol=1e-10, atol=1e-10)
    xt, wt = t(x[:1, :, :5, :5], True), t(w, True)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding="same", dilation=d), (xt, wt))


def test_unbatched_and_half_precision(rng):
    x, w = rng.standard_normal((3, 6, 6)), rng.standard_normal((2, 3, 3, 3))
    np.testing.assert_allclose(F.conv2d(t(x), t(w)).numpy(), conv2d_np(x[None], w)[0], rtol=1e-10)
    for dt in (torch.float16, torch.bfloat16):
        y = F.conv2d(t(x).to(dt), t(w).to(dt))
        assert y.dtype == dt
        np.testing.assert_allclose(y.float().numpy(), conv2d_np(x[None], w)[0], rtol=0.05, atol=0.15)


@pytest.mark.parametrize("call,msg", [
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5).double(), torch.randn(4, 3, 3, 3)), "expected scalar type Double but found Float"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), torch.randn(4).double()), "Input type (float) and bias type (double) should be the same"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), stride=0), "non-positive stride is not supported"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), padding=-1), "negative padding is not supported"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), padding="foo"), "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), padding="same", stride=2), "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 7, 7)), "Calculated padded input size per channel: (5 x 5). Kernel size: (7 x 7). Kernel size can't be greater than actual input size"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 4, 3, 3)), "Given groups=1, weight of size [4, 4, 3, 3], expected input[1, 3, 5, 5] to have 4 channels, but got 3 channels instead"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(3, 3, 3, 3), groups=2), "expected weight to be divisible by 2 at dimension 0"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), torch.randn(3)), "expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"),
    (lambda: F.conv2d(torch.randn(5, 5), torch.randn(4, 3, 3, 3)), "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]"),
    (lambda: F.conv1d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3)), "Expected 2D (unbatched) or 3D (batched) input to conv1d"),
    (lambda: F.conv_transpose2d(torch.randn(1, 3, 5, 5), torch.randn(3, 4, 3, 3), stride=2, output_padding=2), "output padding must be smaller than either stride or dilation"),
    (lambda: F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), groups=0), "non-positive groups is not supported"),
])
def test_conv_errors(call, msg):
    with pytest.raises(RuntimeError) as e:
        call()
    assert msg in str(e.value)


def test_conv_integer_input_is_not_implemented():
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.conv2d(torch.ones(1, 1, 3, 3, dtype=torch.int64), torch.ones(1, 1, 2, 2, dtype=torch.int64))


# ---------------------------------------------------------------- pooling
POOL_CASES = [  # kernel, stride, padding, dilation, ceil_mode
    ((3, 3), (1, 1), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((2, 3), (2, 1), (0, 1), (1, 1), True),
    ((3, 3), (2, 2), (1, 1), (2, 2), True),
    ((2, 2), (3, 3), (1, 0), (1, 1), True),
]


@pytest.mark.parametrize("k,s,p,d,ceil", POOL_CASES)
def test_max_pool2d_values_indices_grads(rng, k, s, p, d, ceil):
    x = rng.standard_normal((2, 3, 9, 10))
    y, idx = F.max_pool2d(t(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    ry, ridx = max_pool2d_np(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(y.numpy(), ry)
    np.testing.assert_array_equal(idx.numpy(), ridx)
    assert idx.dtype == torch.int64
    xt = t(x[:1, :2, :7, :7], True)
    assert gradcheck(lambda x: F.max_pool2d(x, k, s, p, d, ceil), (xt,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, k, s, p, d, ceil), (xt,))


def test_max_pool_nan_propagates_and_1d(rng):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    y = F.max_pool2d(t(x), 2).numpy()
    assert np.isnan(y[0, 0, 0, 0]) and y[0, 0, 1, 1] == 15
    x1 = rng.standard_normal((2, 3, 10))
    y1, i1 = F.max_pool1d(t(x1), 3, 2, 1, return_indices=True)
    ry, ri = max_pool2d_np(x1[:, :, None], (1, 3), (1, 2), (0, 1), (1, 1), False)
    np.testing.assert_array_equal(y1.numpy(), ry[:, :, 0])
    np.testing.assert_array_equal(i1.numpy(), ri[:, :, 0])
    assert F.max_pool2d(t(x1), 2).shape == (2, 1, 5)  # 3-D input is unbatched (C, H, W)


@pytest.mark.parametrize("k,s,p,_d,ceil", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d(rng, k, s, p, _d, ceil, count_include_pad):
    x = rng.standard_normal((2, 3, 9, 10))
    got = F.avg_pool2d(t(x), k, s, p, ceil, count_include_pad).numpy()
    np.testing.assert_allclose(got, avg_pool2d_np(x, k, s, p, ceil, count_include_pad), rtol=1e-12)
    xt = t(x[:1, :2, :6, :7], True)
    assert gradgradcheck(lambda x: F.avg_pool2d(x, k, s, p, ceil, count_include_pad), (xt,))


def test_avg_pool_divisor_override_and_1d(rng):
    x = rng.standard_normal((2, 3, 9, 10))
    np.testing.assert_allclose(F.avg_pool2d(t(x), 3, divisor_override=2).numpy(),
                               avg_pool2d_np(x, (3, 3), (3, 3), (0, 0), False, True, 2), rtol=1e-12)
    x1 = rng.standard_normal((2, 3, 10))
    np.testing.assert_allclose(F.avg_pool1d(t(x1), 3, 2, 1).numpy(),
                               avg_pool2d_np(x1[:, :, None], (1, 3), (1, 2), (0, 1), False, True)[:, :, 0], rtol=1e-12)


@pytest.mark.parametrize("out", [(3, 4), (1, 1), (5, 7), (9, 10), (4, None)])
def test_adaptive_pools(rng, out):
    x = rng.standard_normal((2, 3, 9, 10))
    full = (out[0], 10 if out[1] is None else out[1])
    np.testing.assert_allclose(F.adaptive_avg_pool2d(t(x), out).numpy(), adaptive_pool2d_np(x, full, np.mean),
                               rtol=1e-12)
    np.testing.assert_array_equal(F.adaptive_max_pool2d(t(x), out).numpy(), adaptive_pool2d_np(x, full, np.max))
    xt = t(x[:1, :2], True)
    assert gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, out), (xt,))
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, out), (xt,))


def test_adaptive_pool_1d(rng):
    x = rng.standard_normal((2, 3, 10))
    np.testing.assert_allclose(F.adaptive_avg_pool1d(t(x), 4).numpy(),
                               adaptive_pool2d_np(x[:, :, None], (1, 4), np.mean)[:, :, 0], rtol=1e-12)
    np.testing.assert_array_equal(F.adaptive_max_pool1d(t(x), 4).numpy(),
                                  adaptive_pool2d_np(x[:, :, None], (1, 4), np.max)[:, :, 0])


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.max_pool2d(torch.randn(1, 3, 5, 5), 3, padding=2), RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (lambda: F.max_pool2d(torch.randn(1, 3, 5, 5), 7), RuntimeError, "Given input size: (3x5x5). Calculated output size: (3x0x0). Output size is too small"),
    (lambda: F.avg_pool2d(torch.randn(1, 3, 5, 5), 7), RuntimeError, "Output size is too small"),
    (lambda: F.max_pool2d(torch.randn(1, 3, 5, 5), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(torch.randn(5, 5), 2), RuntimeError, "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda: F.adaptive_avg_pool2d(torch.ones(1, 2, 3, 3, dtype=torch.int64), 2), NotImplementedError, "not implemented for 'Long'"),
])
def test_pool_errors(call, exc, msg):
    with pytest.raises(exc) as e:
        call()
    assert msg in str(e.value)


# ---------------------------------------------------------------- fold / unfold
def unfold_np(x, k, d, p, s):
    x = pad_np(x, ((p[0], p[0]), (p[1], p[1])))
    n, c, h, w = x.shape
    oh = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, k[0], k[1], oh, ow))
    for a, b in itertools.product(range(k[0]), range(k[1])):
        out[:, :, a, b] = x[:, :, a * d[0]: a * d[0] + s[0] * (oh - 1) + 1: s[0],
                            b * d[1]: b * d[1] + s[1] * (ow - 1) + 1: s[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


def test_unfold_fold_are_adjoint(rng):
    x = rng.standard_normal((2, 3, 9, 10))
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 3))
    cols = F.unfold(t(x), **kw)
    ref = unfold_np(x, (2, 3), (2, 1), (1, 2), (2, 3))
    np.testing.assert_array_equal(cols.numpy(), ref)
    # <unfold(x), c> == <x, fold(c)> for the adjoint pair
    c = rng.standard_normal(ref.shape)
    folded = F.fold(t(c), (9, 10), **kw).numpy()
    np.testing.assert_allclose((ref * c).sum(), (x * folded).sum(), rtol=1e-12)
    xt = t(x[:1, :2, :5, :6], True)
    assert gradgradcheck(lambda x: F.fold(F.unfold(x, 3, padding=1), (5, 6), 3, padding=1), (xt,))
    with pytest.raises(RuntimeError, match="expected size of input's dimension 2 to match the calculated number of sliding blocks"):
        F.fold(torch.randn(1, 12, 3), (5, 5), 2)


def test_conv_equals_unfold_matmul(rng):
    # the identity F.conv2d == W @ unfold(x), as the PyTorch docs show for Unfold
    x, w = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, 3, 3))
    cols = F.unfold(t(x), 3, padding=1)
    y = (t(w).view(4, -1) @ cols).view(2, 4, 6, 7)
    np.testing.assert_allclose(y.numpy(), F.conv2d(t(x), t(w), padding=1).numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- modules
def test_module_reprs_match_pytorch():
    cases = [
        (nn.Conv2d(3, 8, 3), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"),
        (nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False, padding_mode="reflect"),
         "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False, padding_mode=reflect)"),
        (nn.Conv1d(4, 8, 3, padding="same"), "Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same)"),
        (nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1),
         "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"),
        (nn.ConvTranspose1d(4, 8, 3), "ConvTranspose1d(4, 8, kernel_size=(3,), stride=(1,))"),
        (nn.Conv2d(4, 8, 3, groups=2, padding=(1, 2)),
         "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 2), groups=2)"),
        (nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)"),
        (nn.MaxPool1d(3), "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"),
        (nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
        (nn.AvgPool1d(3), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"),
        (nn.AdaptiveAvgPool2d((1, 1)), "AdaptiveAvgPool2d(output_size=(1, 1))"),
        (nn.AdaptiveMaxPool2d((2, None)), "AdaptiveMaxPool2d(output_size=(2, None))"),
        (nn.AdaptiveAvgPool1d(4), "AdaptiveAvgPool1d(output_size=4)"),
        (nn.Fold((4, 5), 2), "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"),
        (nn.Unfold(2, padding=1), "Unfold(kernel_size=2, dilation=1, padding=1, stride=1)"),
    ]
    for m, want in cases:
        assert repr(m) == want


def test_conv_module_init_shapes_and_state_dict():
    torch.manual_seed(0)
    m = nn.Conv2d(4, 8, 3, groups=2)
    assert m.weight.shape == (8, 2, 3, 3) and m.bias.shape == (8,)
    assert list(m.state_dict().keys()) == ["weight", "bias"]
    bound = 1 / np.sqrt(2 * 9)  # kaiming_uniform(a=sqrt(5)) and the bias share 1/sqrt(fan_in)
    assert np.abs(m.weight.detach().numpy()).max() <= bound and np.abs(m.bias.detach().numpy()).max() <= bound
    assert np.abs(m.weight.detach().numpy()).max() > bound * 0.8
    mt = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert mt.weight.shape == (4, 3, 3, 3)
    assert m(torch.randn(2, 4, 5, 5)).shape == (2, 8, 3, 3)
    assert mt(torch.randn(2, 4, 5, 5)).shape == (2, 6, 7, 7)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 8, 3, groups=2)


def test_padding_modes_match_numpy_pad(rng):
    x = rng.standard_normal((1, 2, 6, 5))
    for mode, np_mode in [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")]:
        m = nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode).double()
        w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
        ref = conv2d_np(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode=np_mode), w, b)
        np.testing.assert_allclose(m(t(x)).detach().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_conv_transpose_output_size(rng):
    m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = torch.randn(1, 3, 4, 4)
    assert m(x).shape == (1, 2, 7, 7)
    assert m(x, output_size=[8, 8]).shape == (1, 2, 8, 8)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(x, output_size=[10, 10])


def test_pool_modules():
    x = torch.randn(2, 3, 8, 8)
    y, i = nn.MaxPool2d(2, return_indices=True)(x)
    assert y.shape == (2, 3, 4, 4) and i.dtype == torch.int64
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.AvgPool2d(3, 2, 1)(x).shape == (2, 3, 4, 4)
    assert torch.max_pool2d(x, 2).shape == (2, 3, 4, 4)


def test_small_cnn_trains(rng):
    """A conv -> pool -> linear net fits a tiny problem (end-to-end autograd through the kernels)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    head = nn.Linear(4 * 4 * 4, 2)
    x = torch.randn(16, 1, 8, 8)
    target = (x.sum((1, 2, 3)) > 0).long()
    params = list(net.parameters()) + list(head.parameters())
    first = None
    for _ in range(60):
        out = head(net(x).reshape(16, -1))
        loss = F.cross_entropy(out, target)
        first = float(loss) if first is None else first
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
    assert float(loss) < first * 0.5


@pytest.mark.parametrize("pad,hw", [(1, (9, 10)), (0, (6, 7)), ("same", (5, 5))])
def test_winograd_path_matches_direct_definition(rng, pad, hw):
    # 3x3 stride-1 convs with >= 16 channels run through the Winograd kernels
    x, w, b = rng.standard_normal((2, 16) + hw), rng.standard_normal((16, 16, 3, 3)), rng.standard_normal(16)
    p = 1 if pad == "same" else pad
    ref = conv2d_np(x, w, b, pad=((p, p), (p, p)))
    np.testing.assert_allclose(F.conv2d(t(x), t(w), t(b), padding=pad).numpy(), ref, rtol=1e-10, atol=1e-10)
    got32 = F.conv2d(t(x.astype(np.float32)), t(w.astype(np.float32)), t(b.astype(np.float32)), padding=pad)
    np.testing.assert_allclose(got32.numpy(), ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    # input and weight grads against the adjoint identities of the direct definition
    xt, wt = t(x, True), t(w, True)
    gy = rng.standard_normal(ref.shape)
    F.conv2d(xt, wt, None, padding=pad).backward(t(gy))
    eps = 1e-6
    for _ in range(3):  # directional derivatives: <grad, d> == (f(x + eps d) - f(x - eps d)) / 2eps
        dx, dw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
        fx = lambda s: (conv2d_np(x + s * dx, w, pad=((p, p), (p, p))) * gy).sum()  # noqa: E731
        fw = lambda s: (conv2d_np(x, w + s * dw, pad=((p, p), (p, p))) * gy).sum()  # noqa: E731
        np.testing.assert_allclose((xt.grad.numpy() * dx).sum(), (fx(eps) - fx(-eps)) / (2 * eps), rtol=1e-6)
        np.testing.assert_allclose((wt.grad.numpy() * dw).sum(), (fw(eps) - fw(-eps)) / (2 * eps), rtol=1e-6)
