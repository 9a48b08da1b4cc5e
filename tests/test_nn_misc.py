"""pad, interpolate (and the padding/upsampling modules), one_hot, distances,
nn.utils gradient clipping and parameter vectors, and the nn.init additions.
References: numpy (np.pad, interpolation formulas written here), PyTorch's
documented examples and hand-computed values; gradcheck in float64."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from ferrotorch.autograd import gradcheck

RNG = np.random.default_rng(7)
T = torch.tensor


# ------------------------------------------------------------------------ pad
NP_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def np_pad(a, pad, mode, value=0.0):
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    kw = {"constant_values": value} if mode == "constant" else {}
    return np.pad(a, widths, mode=NP_MODES[mode], **kw)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [
    ((2, 5), (1, 3)), ((2, 3, 5), (4, 2)), ((3, 4, 5), (1, 2, 3, 0)), ((2, 3, 4, 5), (2, 1, 0, 3)),
    ((2, 4, 4, 5), (1, 1, 2, 2, 3, 3)), ((1, 2, 3, 4, 5), (1, 2, 0, 1, 2, 1)),
])
def test_pad_matches_numpy(mode, shape, pad):
    a = RNG.standard_normal(shape)
    got = F.pad(T(a), pad, mode=mode, value=2.5 if mode == "constant" else None)
    np.testing.assert_array_equal(got.numpy(), np_pad(a, pad, mode, 2.5))
    x = T(a, requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, pad, mode=mode), (x,))


def test_pad_negative_and_edge_cases():
    x = torch.arange(12.0).reshape(1, 3, 4)
    assert F.pad(x, (-1, 2))[0, 0].tolist() == [1.0, 2.0, 3.0, 0.0, 0.0]
    assert F.pad(x, (-4, 0)).shape == (1, 3, 0)
    assert F.pad(x, (1, -2), value=-1.0)[0, 1].tolist() == [-1.0, 4.0, 5.0]
    # reflect/replicate index the original tensor; circular crops first, then wraps
    assert F.pad(x, (-1, 1), mode="reflect")[0, 0].tolist() == [1.0, 2.0, 3.0, 2.0]
    assert F.pad(x, (-1, 2), mode="replicate")[0, 0].tolist() == [1.0, 2.0, 3.0, 3.0, 3.0]
    assert F.pad(x, (-1, 2), mode="circular")[0, 0].tolist() == [1.0, 2.0, 3.0, 1.0, 2.0]
    assert F.pad(x, (5, 5), mode="replicate")[0, 0].tolist() == [0.0] * 6 + [1.0, 2.0] + [3.0] * 6
    assert F.pad(x, (4, 4), mode="circular")[0, 0].tolist() == [0.0, 1.0, 2.0, 3.0] * 3
    assert F.pad(x, (1, 1), mode="reflect", value=0).shape == (1, 3, 6)  # a zero value is accepted
    ints = F.pad(torch.arange(3), (1, 1), value=2.7)
    assert ints.dtype == torch.int64 and ints.tolist() == [2, 0, 1, 2, 2]
    assert F.pad(torch.tensor(1.0), ()).item() == 1.0
    # negative pads crop the gradient too
    x = T(RNG.standard_normal((2, 3, 6)), requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, (-2, 3), mode="replicate"), (x,))
    assert gradcheck(lambda x: F.pad(x, (-1, 2), mode="circular"), (x,))
    assert gradcheck(lambda x: F.pad(x, (2, -3), value=1.5), (x,))


def test_pad_errors():
    x = torch.arange(12.0).reshape(1, 3, 4)
    combos = ("\nSupported combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last "
              "dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: "
              "padding size = 6 (pads last 3 dimensions)")
    cases = [
        (lambda: F.pad(x, (1,)), RuntimeError, "Padding length must be divisible by 2"),
        (lambda: F.pad(x, (1,) * 8), RuntimeError, "Padding length should be less than or equal to two times the "
         "input dimension but got padding length 8 and input of dimension 3"),
        (lambda: F.pad(x, (-5, 0)), RuntimeError, "narrow(): length must be non-negative."),
        (lambda: F.pad(x, (4, 1), mode="reflect"), RuntimeError, "Argument #4: Padding size should be less than the "
         "corresponding input dimension, but got: padding (4, 1) at dimension 2 of input [1, 3, 4]"),
        (lambda: F.pad(torch.zeros(2, 3, 4, 5), (1, 1, 4, 1), mode="reflect"), RuntimeError, "Argument #6: Padding "
         "size should be less than the corresponding input dimension, but got: padding (4, 1) at dimension 2 of "
         "input [2, 3, 4, 5]"),
        (lambda: F.pad(x, (5, 0), mode="circular"), RuntimeError, "Padding value causes wrapping around more than once."),
        (lambda: F.pad(torch.zeros(3, 4), (-2, -3), mode="circular"), RuntimeError,
         "Negative padding value is resulting in an empty dimension"),
        (lambda: F.pad(x[0, 0], (1, 1), mode="reflect"), NotImplementedError,
         "Padding size 2 is not supported for 1D input tensor." + combos),
        (lambda: F.pad(x, (1, 1), mode="foo"), NotImplementedError, "Unrecognised padding mode foo"),
        (lambda: F.pad(x, (1, 1), mode="reflect", value=2), RuntimeError,
         'Padding mode "reflect" doesn\'t take in value argument'),
        (lambda: F.pad(x, [1.5, 1]), TypeError,
         "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type float at pos 0"),
        (lambda: F.pad(torch.zeros(2, 0, 3), (1, 1), mode="reflect"), RuntimeError, "Expected 2D or 3D (batch mode) "
         "tensor with possibly 0 batch size and other non-zero dimensions for input, but got: [2, 0, 3]"),
        (lambda: F.pad(torch.zeros(2, 3, 4), (-2, -2), mode="replicate"), RuntimeError,
         "input (W: 4) is too small. Calculated output W: 0"),
        (lambda: F.pad(torch.zeros(3, 5, 4), (1, 1, -5, -1), mode="replicate"), RuntimeError,
         "Calculated output H: -1 W: 6 must be >= 1 in every dimension (input H: 5, W: 4)"),
        (lambda: F.pad(torch.zeros(2, 3, 4, 5), (-5, -1, 1, 1, 1, 1), mode="reflect"), RuntimeError,
         "Calculated output D: 5 H: 6 W: -1 must be >= 1 in every dimension (input D: 3, H: 4, W: 5)"),
        (lambda: nn.CircularPad1d(1)(torch.zeros(4, 3, 2, 2)), ValueError, "expected 2D or 3D input (got 4D input)"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc) as info:
            fn()
        assert str(info.value) == msg


def test_padding_modules():
    a = RNG.standard_normal((2, 3, 4, 5))
    x = T(a)
    checks = [
        (nn.ZeroPad2d(2), (2, 2, 2, 2), "constant"), (nn.ZeroPad2d((1, 2, 3, 0)), (1, 2, 3, 0), "constant"),
        (nn.ReflectionPad2d((1, 1, 2, 0)), (1, 1, 2, 0), "reflect"), (nn.ReplicationPad2d(3), (3,) * 4, "replicate"),
        (nn.CircularPad2d(1), (1,) * 4, "circular"), (nn.ZeroPad1d(1), (1, 1), "constant"),
        (nn.ReflectionPad3d(1), (1,) * 6, "reflect"), (nn.ReplicationPad3d(1), (1,) * 6, "replicate"),
    ]
    for m, pad, mode in checks:
        np.testing.assert_array_equal(m(x).numpy(), np_pad(a, pad, mode), err_msg=repr(m))
    for m, pad, mode in [(nn.ReflectionPad1d(2), (2, 2), "reflect"), (nn.ReplicationPad1d((0, 4)), (0, 4), "replicate"),
                         (nn.CircularPad1d((1, 2)), (1, 2), "circular")]:
        np.testing.assert_array_equal(m(x[0]).numpy(), np_pad(a[0], pad, mode), err_msg=repr(m))
    np.testing.assert_array_equal(nn.ConstantPad1d(2, 3.5)(x).numpy(), np_pad(a, (2, 2), "constant", 3.5))
    np.testing.assert_array_equal(nn.ConstantPad3d((1, 0, 0, 1, 1, 0), -1.0)(x).numpy(),
                                  np_pad(a, (1, 0, 0, 1, 1, 0), "constant", -1.0))
    reprs = {
        nn.ZeroPad2d(2): "ZeroPad2d((2, 2, 2, 2))", nn.ZeroPad2d((1, 2, 3, 4)): "ZeroPad2d((1, 2, 3, 4))",
        nn.ZeroPad1d(2): "ZeroPad1d((2, 2))", nn.ConstantPad1d(2, 3.5): "ConstantPad1d(padding=(2, 2), value=3.5)",
        nn.ConstantPad2d((1, 2, 3, 4), 0): "ConstantPad2d(padding=(1, 2, 3, 4), value=0)",
        nn.ConstantPad3d(1, 2.0): "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=2.0)",
        nn.ReflectionPad1d(2): "ReflectionPad1d((2, 2))", nn.ReflectionPad2d((1, 1, 2, 0)): "ReflectionPad2d((1, 1, 2, 0))",
        nn.ReplicationPad1d(3): "ReplicationPad1d((3, 3))", nn.ReplicationPad2d(1): "ReplicationPad2d((1, 1, 1, 1))",
        nn.CircularPad1d(2): "CircularPad1d((2, 2))", nn.ReflectionPad2d([1, 2, 3, 4]): "ReflectionPad2d((1, 2, 3, 4))",
    }
    for m, want in reprs.items():
        assert repr(m) == want


# ---------------------------------------------------------------- interpolate
def np_nearest_index(n_in, n_out, scale=None, exact=False):
    # PyTorch computes the nearest index in float32: floor(dst * scale), capped at n_in - 1
    if not exact and n_out == n_in:
        return np.arange(n_out)
    s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    j = np.arange(n_out, dtype=np.float32)
    src = np.float32((j + 0.5) * np.float64(s)) if exact else j * s
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def np_linear_weights(n_in, n_out, align_corners, scale=None):
    m = np.zeros((n_out, n_in))
    if n_out == n_in:
        return np.eye(n_in)
    if align_corners:
        src = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        s = 1.0 / scale if scale else n_in / n_out
        src = np.maximum((np.arange(n_out) + 0.5) * s - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    lam = np.clip(src - i0, 0, 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    np.add.at(m, (np.arange(n_out), i0), 1 - lam)
    np.add.at(m, (np.arange(n_out), i1), lam)
    return m


def np_cubic_weights(n_in, n_out, align_corners):
    a = -0.75
    src = np.arange(n_out) * ((n_in - 1) / (n_out - 1)) if align_corners else (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    i0 = np.floor(src).astype(int)
    t = src - i0
    k = np.abs(np.stack([t + 1, t, 1 - t, 2 - t], 1))
    w = np.where(k <= 1, ((a + 2) * k - (a + 3)) * k * k + 1, ((a * k - 5 * a) * k + 8 * a) * k - 4 * a)
    m = np.zeros((n_out, n_in))
    for tap in range(4):
        np.add.at(m, (np.arange(n_out), np.clip(i0 - 1 + tap, 0, n_in - 1)), w[:, tap])
    return m


def np_area_weights(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        s, e = (i * n_in) // n_out, -(-(i + 1) * n_in // n_out)
        m[i, s:e] = 1.0 / (e - s)
    return m


def apply_along(a, dim, m):
    return np.moveaxis(np.tensordot(m, np.moveaxis(a, dim, 0), axes=(1, 0)), 0, dim)


INTERP = [
    # (input spatial shape, kwargs)
    ((5,), {"size": 8, "mode": "nearest"}), ((4, 3), {"scale_factor": 2, "mode": "nearest"}),
    ((3, 5), {"size": (7, 2), "mode": "nearest"}), ((2, 3, 4), {"scale_factor": (1.5, 2.0, 0.5), "mode": "nearest"}),
    ((6,), {"scale_factor": 1.7, "mode": "nearest"}), ((5, 4), {"size": (3, 9), "mode": "nearest-exact"}),
    ((4,), {"size": 9, "mode": "linear"}), ((5,), {"scale_factor": 2.5, "mode": "linear", "align_corners": True}),
    ((7,), {"size": 3, "mode": "linear"}), ((4, 5), {"size": (7, 3), "mode": "bilinear"}),
    ((3, 4), {"scale_factor": 1.5, "mode": "bilinear"}), ((3, 4), {"scale_factor": (2.3, 0.6), "mode": "bilinear"}),
    ((3, 4), {"size": (5, 7), "mode": "bilinear", "align_corners": True}),
    ((3, 4), {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 3, 4), {"size": (3, 5, 2), "mode": "trilinear"}), ((4, 5), {"size": (6, 3), "mode": "bicubic"}),
    ((4, 5), {"size": (7, 8), "mode": "bicubic", "align_corners": True}), ((7, 5), {"size": (3, 2), "mode": "area"}),
]


def np_interpolate(a, kw):
    nd = a.ndim - 2
    mode = kw["mode"]
    size, sf = kw.get("size"), kw.get("scale_factor")
    if size is not None:
        outs = list(size) if isinstance(size, tuple) else [size] * nd
        scales = [None] * nd
    else:
        sfs = list(sf) if isinstance(sf, tuple) else [sf] * nd
        outs = [int(math.floor(n * s)) for n, s in zip(a.shape[2:], sfs)]
        scales = [None] * nd if kw.get("recompute_scale_factor") else sfs
    out = a
    for i in range(nd):
        n_in, n_out, d = a.shape[2 + i], outs[i], 2 + i
        if mode.startswith("nearest"):
            out = np.take(out, np_nearest_index(n_in, n_out, scales[i], mode == "nearest-exact"), axis=d)
        elif mode == "area":
            out = apply_along(out, d, np_area_weights(n_in, n_out))
        elif mode == "bicubic":
            out = apply_along(out, d, np_cubic_weights(n_in, n_out, kw.get("align_corners", False)))
        else:
            out = apply_along(out, d, np_linear_weights(n_in, n_out, kw.get("align_corners", False), scales[i]))
    return out


@pytest.mark.parametrize("spatial,kw", INTERP)
def test_interpolate_matches_numpy(spatial, kw):
    a = RNG.standard_normal((2, 3) + spatial)
    ref = np_interpolate(a, kw)
    np.testing.assert_allclose(F.interpolate(T(a), **kw).numpy(), ref, rtol=1e-12, atol=1e-12)
    got32 = F.interpolate(T(a, dtype=torch.float32), **kw)
    assert got32.dtype == torch.float32
    np.testing.assert_allclose(got32.numpy(), ref, rtol=1e-5, atol=1e-5)
    x = T(a[:1, :1], requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, **kw), (x,))


def test_interpolate_pytorch_doc_examples():
    # the values printed in PyTorch's nn.Upsample documentation
    inp = torch.arange(1.0, 5.0).view(1, 1, 2, 2)
    assert nn.Upsample(scale_factor=2, mode="nearest")(inp)[0, 0].tolist() == [
        [1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    np.testing.assert_allclose(nn.Upsample(scale_factor=2, mode="bilinear")(inp)[0, 0].numpy(), [
        [1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5], [3.0, 3.25, 3.75, 4.0]])
    np.testing.assert_allclose(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)(inp)[0, 0].numpy(), [
        [1.0, 4 / 3, 5 / 3, 2.0], [5 / 3, 2.0, 7 / 3, 8 / 3], [7 / 3, 8 / 3, 3.0, 10 / 3], [3.0, 10 / 3, 11 / 3, 4.0]],
        rtol=1e-6)
    big = torch.zeros(1, 1, 3, 3)
    big[:, :, :2, :2] = inp
    np.testing.assert_allclose(nn.Upsample(scale_factor=2, mode="bilinear")(big)[0, 0].numpy(), [
        [1.0000, 1.2500, 1.7500, 1.5000, 0.5000, 0.0000], [1.5000, 1.7500, 2.2500, 1.8750, 0.6250, 0.0000],
        [2.5000, 2.7500, 3.2500, 2.6250, 0.8750, 0.0000], [2.2500, 2.4375, 2.8125, 2.2500, 0.7500, 0.0000],
        [0.7500, 0.8125, 0.9375, 0.7500, 0.2500, 0.0000], [0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000]])
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(scale_factor=2)(big)[0, 0].numpy(), [
        [1.0000, 1.4000, 1.8000, 1.6000, 0.8000, 0.0000], [1.8000, 2.2000, 2.6000, 2.2400, 1.1200, 0.0000],
        [2.6000, 3.0000, 3.4000, 2.8800, 1.4400, 0.0000], [2.4000, 2.7200, 3.0400, 2.5600, 1.2800, 0.0000],
        [1.2000, 1.3600, 1.5200, 1.2800, 0.6400, 0.0000], [0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000]],
        rtol=1e-6, atol=1e-7)


def test_interpolate_nearest_float32_index_rule():
    # 3 -> 7: scale 3/7 in float32; floor(6 * scale) = 2 (not 2.57 -> a different cap)
    x = torch.arange(3.0).view(1, 1, 3)
    assert F.interpolate(x, size=7)[0, 0].tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert F.interpolate(x, size=7, mode="nearest-exact")[0, 0].tolist() == [0, 0, 1, 1, 1, 2, 2]
    # a given scale_factor is used as is (1 / 1.7), not recomputed from the sizes
    y = torch.arange(6.0).view(1, 1, 6)
    assert F.interpolate(y, scale_factor=1.7)[0, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 4, 4, 5]
    u8 = F.interpolate(torch.arange(4).to(torch.uint8).view(1, 1, 4), scale_factor=2)
    assert u8.dtype == torch.uint8 and u8[0, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_interpolate_errors():
    x = torch.rand(1, 2, 4)
    cases = [
        (lambda: F.interpolate(x, scale_factor=0.1), RuntimeError,
         "Input and output sizes should be greater than 0, but got input (W: 4) and output (W: 0)"),
        (lambda: F.interpolate(torch.rand(1, 1, 4, 4), size=(0, 3)), RuntimeError,
         "Input and output sizes should be greater than 0, but got input (H: 4, W: 4) output (H: 0, W: 3)"),
        (lambda: F.interpolate(x, size=(3, 4)), ValueError, "Input and output must have the same number of spatial "
         "dimensions, but got input with spatial dimensions of [4] and output size of (3, 4). Please provide input "
         "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."),
        (lambda: F.interpolate(x, scale_factor=(2, 2)), ValueError, "Input and scale_factor must have the same number "
         "of spatial dimensions, but got input with spatial dimensions of [4] and scale_factor of shape (2, 2). "
         "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."),
        (lambda: F.interpolate(x, size=(3.5,)), TypeError, "expected size to be one of int or Tuple[int] or "
         "Tuple[int, int] or Tuple[int, int, int], but got size with types [<class 'float'>]"),
        (lambda: F.interpolate(x), ValueError, "either size or scale_factor should be defined"),
        (lambda: F.interpolate(x, size=3, scale_factor=2), ValueError, "only one of size or scale_factor should be defined"),
        (lambda: F.interpolate(x, size=3, recompute_scale_factor=True), ValueError,
         "recompute_scale_factor is not meaningful with an explicit size."),
        (lambda: F.interpolate(x, size=3, align_corners=True), ValueError, "align_corners option can only be set with "
         "the interpolating modes: linear | bilinear | bicubic | trilinear"),
        (lambda: F.interpolate(x, size=3, mode="bilinear"), NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
        (lambda: F.interpolate(torch.rand(2, 3), size=3), NotImplementedError, "Input Error: Only 3D, 4D and 5D input "
         "Tensors supported (got 2D) for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
         "area | nearest-exact (got nearest)"),
        (lambda: F.interpolate(x.long(), size=3, mode="linear"), NotImplementedError,
         "\"compute_indices_weights_linear\" not implemented for 'Long'"),
        (lambda: F.interpolate(x, size=3, mode="linear", antialias=True), ValueError, "Anti-alias option is restricted "
         "to bilinear, bicubic, and lanczos modes and requires a 4-D tensor as input"),
        (lambda: F.interpolate(torch.rand(1, 0, 4), size=3, mode="linear"), RuntimeError,
         "Non-empty 3D data tensor expected but got a tensor with sizes [1, 0, 4]"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc) as info:
            fn()
        assert str(info.value) == msg
    assert F.interpolate(torch.rand(0, 1, 4), size=3, mode="linear").shape == (0, 1, 3)


def test_upsample_modules():
    a = RNG.standard_normal((1, 2, 3, 4))
    x = T(a)
    m = nn.Upsample(size=(5, 6), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(m(x).numpy(), np_interpolate(a, {"size": (5, 6), "mode": "bilinear", "align_corners": True}), rtol=1e-12)
    np.testing.assert_array_equal(nn.UpsamplingNearest2d(scale_factor=3)(x).numpy(), a.repeat(3, 2).repeat(3, 3))
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(size=(4, 7))(x).numpy(),
                               np_interpolate(a, {"size": (4, 7), "mode": "bilinear", "align_corners": True}), rtol=1e-12)
    m = nn.Upsample(scale_factor=(2, 3))
    assert m.scale_factor == (2.0, 3.0) and m.name == "Upsample" and m.align_corners is None
    reprs = {
        nn.Upsample(scale_factor=2): "Upsample(scale_factor=2.0, mode='nearest')",
        nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True): "Upsample(size=(3, 4), mode='bilinear')",
        nn.Upsample(scale_factor=(2, 3)): "Upsample(scale_factor=(2.0, 3.0), mode='nearest')",
        nn.UpsamplingNearest2d(scale_factor=2): "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')",
        nn.UpsamplingBilinear2d(size=4): "UpsamplingBilinear2d(size=4, mode='bilinear')",
    }
    for m, want in reprs.items():
        assert repr(m) == want
    with pytest.warns(UserWarning, match="nn.functional.upsample_bilinear` is deprecated"):
        F.upsample_bilinear(x, scale_factor=2)


# -------------------------------------------------------------------- one_hot
def test_one_hot():
    t = torch.tensor([[0, 2], [1, 4]])
    got = F.one_hot(t)
    assert got.dtype == torch.int64 and got.shape == (2, 2, 5)
    np.testing.assert_array_equal(got.numpy(), np.eye(5, dtype=np.int64)[t.numpy()])
    assert F.one_hot(torch.tensor([0, 2]), 4).tolist() == [[1, 0, 0, 0], [0, 0, 1, 0]]
    assert F.one_hot(torch.tensor(2), 3).tolist() == [0, 0, 1]
    assert F.one_hot(torch.tensor([], dtype=torch.int64), 4).shape == (0, 4)
    for fn, msg in [
        (lambda: F.one_hot(torch.tensor([0, 2, 1]), 2), "Class values must be smaller than num_classes."),
        (lambda: F.one_hot(torch.tensor([0, -1, 1]), 3), "Class values must be non-negative."),
        (lambda: F.one_hot(torch.tensor([0.0, 1.0]), 3), "one_hot is only applicable to index tensor of type LongTensor."),
        (lambda: F.one_hot(torch.tensor([], dtype=torch.int64)), "Can not infer total number of classes from empty tensor."),
    ]:
        with pytest.raises(RuntimeError) as info:
            fn()
        assert str(info.value) == msg


# ------------------------------------------------------------------ distances
def np_cosine_similarity(a, b, dim=1, eps=1e-8):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(dim)


def np_pairwise(a, b, p=2.0, eps=1e-6, keepdim=False):
    d = np.abs(a - b + eps)
    if p == math.inf:
        r = d.max(-1, keepdims=keepdim)
    elif p == 0:
        r = (d != 0).sum(-1, keepdims=keepdim).astype(d.dtype)
    else:
        r = (d ** p).sum(-1, keepdims=keepdim) ** (1 / p)
    return r


def test_cosine_similarity():
    a, b = RNG.standard_normal((4, 5, 3)), RNG.standard_normal((4, 5, 3))
    for dim in (1, 0, -1):
        np.testing.assert_allclose(F.cosine_similarity(T(a), T(b), dim=dim).numpy(), np_cosine_similarity(a, b, dim), rtol=1e-12)
    b1 = RNG.standard_normal(3)  # broadcasts against (4, 5, 3)
    np.testing.assert_allclose(F.cosine_similarity(T(a), T(b1), dim=-1).numpy(), np_cosine_similarity(a, b1, -1), rtol=1e-12)
    z = np.zeros((2, 3))
    z[1, 0] = 1e-10  # its norm is clamped to eps
    np.testing.assert_allclose(F.cosine_similarity(T(z), T(a[0, :2])).numpy(), np_cosine_similarity(z, a[0, :2]), rtol=1e-12)
    np.testing.assert_allclose(nn.CosineSimilarity(dim=2, eps=1e-6)(T(a), T(b)).numpy(), np_cosine_similarity(a, b, 2), rtol=1e-12)
    assert F.cosine_similarity(torch.tensor([1.0, 2.0]), torch.tensor([2, 4]), dim=0).item() == pytest.approx(1.0)
    x, y = T(a[0], requires_grad=True), T(b[0], requires_grad=True)
    assert gradcheck(lambda x, y: F.cosine_similarity(x, y, dim=1), (x, y))
    with pytest.raises(RuntimeError, match="^expected common dtype to be floating point, yet common dtype is Long$"):
        F.cosine_similarity(torch.tensor([1, 2]), torch.tensor([1, 2]), dim=0)
    assert repr(nn.CosineSimilarity(0, 1e-3)) == "CosineSimilarity()"


def test_pairwise_distance():
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    for p in (2.0, 1.0, 3.0, math.inf, 0.5):
        for keepdim in (False, True):
            got = F.pairwise_distance(T(a), T(b), p=p, keepdim=keepdim)
            np.testing.assert_allclose(got.numpy(), np_pairwise(a, b, p, 1e-6, keepdim), rtol=1e-12)
    np.testing.assert_allclose(F.pairwise_distance(T(a), T(b[0]), eps=0.1).numpy(), np_pairwise(a, b[0], eps=0.1), rtol=1e-12)
    np.testing.assert_allclose(F.pairwise_distance(T(a[0]), T(b[0])).item(), np_pairwise(a[0], b[0]), rtol=1e-12)
    m = nn.PairwiseDistance(p=1.0, eps=1e-3, keepdim=True)
    assert (m.norm, m.eps, m.keepdim) == (1.0, 1e-3, True) and repr(m) == "PairwiseDistance()"
    np.testing.assert_allclose(m(T(a), T(b)).numpy(), np_pairwise(a, b, 1.0, 1e-3, True), rtol=1e-12)
    x, y = T(a, requires_grad=True), T(b, requires_grad=True)
    assert gradcheck(lambda x, y: F.pairwise_distance(x, y, p=3.0), (x, y))
    assert F.pairwise_distance(torch.tensor([1, 2]), torch.tensor([1, 3])).item() == pytest.approx(1.0, rel=1e-5)


# ---------------------------------------------------------------------- utils
def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(torch.zeros(*np.shape(g), dtype=torch.float64))
        p.grad = T(np.array(g, dtype=np.float64))
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, math.inf, "inf"])
def test_clip_grad_norm(norm_type):
    grads = [RNG.standard_normal((3, 4)), RNG.standard_normal(5)]
    ps = _params_with_grads(grads) + [nn.Parameter(torch.zeros(2))]  # a parameter without grad is skipped
    flat = np.concatenate([g.ravel() for g in grads])
    p = float(norm_type)
    total = np.abs(flat).max() if p == math.inf else (np.abs(flat) ** p).sum() ** (1 / p)
    got = nn.utils.clip_grad_norm_(iter(ps), max_norm=0.5, norm_type=norm_type)
    assert got.item() == pytest.approx(total, rel=1e-12)
    coef = min(0.5 / (total + 1e-6), 1.0)
    for param, g in zip(ps, grads):
        np.testing.assert_allclose(param.grad.numpy(), g * coef, rtol=1e-12)
    # below the threshold the gradients are untouched
    ps = _params_with_grads(grads)
    nn.utils.clip_grad_norm_(ps, max_norm=1e6, norm_type=norm_type)
    np.testing.assert_allclose(ps[0].grad.numpy(), grads[0], rtol=1e-12)


def test_clip_grad_norm_edge_cases_and_value():
    p = _params_with_grads([[3.0, 4.0, 0.0]])[0]
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)  # a single tensor is accepted
    np.testing.assert_allclose(p.grad.numpy(), [3 / (5 + 1e-6), 4 / (5 + 1e-6), 0.0], rtol=1e-12)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)
    bad = _params_with_grads([[3.0, math.inf]])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_(bad, 1.0, foreach=True).item())
    ps = _params_with_grads([[-3.0, 0.2, 5.0], [[0.5, -0.7]]])
    assert nn.utils.clip_grad_value_(ps, 0.6) is None
    assert ps[0].grad.tolist() == [-0.6, 0.2, 0.6] and ps[1].grad.tolist() == [[0.5, -0.6]]
    lin = nn.Linear(3, 2)
    lin(torch.randn(4, 3)).sum().backward()
    total = nn.utils.get_total_norm([q.grad for q in lin.parameters()])
    want = math.sqrt(sum(float((q.grad.double() ** 2).sum()) for q in lin.parameters()))
    assert total.item() == pytest.approx(want, rel=1e-6)


def test_parameters_vector_round_trip():
    lin = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    want = np.concatenate([lin.weight.detach().numpy().ravel(), lin.bias.detach().numpy()])
    np.testing.assert_array_equal(vec.detach().numpy(), want)
    new = torch.arange(8.0)
    nn.utils.vector_to_parameters(new, lin.parameters())
    assert lin.weight.tolist() == [[0, 1, 2], [3, 4, 5]] and lin.bias.tolist() == [6, 7]
    assert isinstance(lin.weight, nn.Parameter)
    with pytest.raises(TypeError, match="^expected torch.Tensor, but got: list$"):
        nn.utils.vector_to_parameters([1.0], lin.parameters())
    from ferrotorch.nn.utils import clip_grad_norm_, parameters_to_vector  # noqa: F401  (importable names)


# ----------------------------------------------------------------------- init
def test_init_eye_and_dirac():
    w = torch.empty(3, 5, requires_grad=True)
    assert nn.init.eye_(w) is w and w.requires_grad
    np.testing.assert_array_equal(w.detach().numpy(), np.eye(3, 5))
    with pytest.raises(ValueError, match="^Only tensors with 2 dimensions are supported$"):
        nn.init.eye_(torch.empty(2, 2, 2))
    w = nn.init.dirac_(torch.empty(4, 2, 3))
    want = np.zeros((4, 2, 3))
    want[0, 0, 1] = want[1, 1, 1] = 1
    np.testing.assert_array_equal(w.numpy(), want)
    w = nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2)
    want = np.zeros((4, 2, 3, 3))
    want[0, 0, 1, 1] = want[1, 1, 1, 1] = want[2, 0, 1, 1] = want[3, 1, 1, 1] = 1
    np.testing.assert_array_equal(w.numpy(), want)
    with pytest.raises(ValueError, match="^dim 0 must be divisible by groups$"):
        nn.init.dirac_(torch.empty(3, 2, 3), groups=2)
    with pytest.raises(ValueError, match="^Only tensors with 3, 4, or 5 dimensions are supported$"):
        nn.init.dirac_(torch.empty(3, 2))


@pytest.mark.parametrize("shape", [(3, 5), (6, 4), (4, 2, 3)])
def test_init_orthogonal(shape):
    torch.manual_seed(0)
    w = torch.empty(*shape, dtype=torch.float64)
    assert nn.init.orthogonal_(w, gain=2.0) is w
    m = w.numpy().reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)
    torch.manual_seed(0)
    w2 = nn.init.orthogonal_(torch.empty(*shape, dtype=torch.float64), gain=2.0)
    np.testing.assert_array_equal(w2.numpy(), w.numpy())  # seeded through ferrotorch's generator
    with pytest.raises(ValueError, match="^Only tensors with 2 or more dimensions are supported$"):
        nn.init.orthogonal_(torch.empty(3))


def test_init_trunc_normal_and_sparse():
    torch.manual_seed(1)
    w = nn.init.trunc_normal_(torch.empty(20000, dtype=torch.float64), mean=1.0, std=2.0, a=-1.0, b=2.0)
    v = w.numpy()
    assert v.min() >= -1.0 and v.max() <= 2.0
    # truncated-normal mean: mu + sigma (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha))
    alpha, beta = -1.0, 0.5
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mean = 1.0 + 2.0 * (phi(alpha) - phi(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(v.mean() - mean) < 0.03  # ~5 standard errors
    assert nn.init.trunc_normal_(torch.empty(3, 4)).dtype == torch.float32
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\] in nn.init.trunc_normal_."):
        nn.init.trunc_normal_(torch.empty(3), mean=10.0)
    w = nn.init.sparse_(torch.empty(10, 6), sparsity=0.3, std=0.5)
    assert (w == 0).sum(0).tolist() == [3] * 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.init.trunc_normal_(torch.empty(3))
