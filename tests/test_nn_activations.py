"""Activation functionals and modules against numpy float64 references,
gradcheck in float64, PyTorch's gradients at the kinks (hand-computed),
in-place variants, dtype errors and the modules' PyTorch reprs."""
import math

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from ferrotorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ERF = np.vectorize(math.erf)


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(x * beta, threshold))) / beta)


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


REFS = {
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "silu": (F.silu, lambda x: x / (1 + np.exp(-x))),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda x: F.elu(x, 0.7), lambda x: np_elu(x, 0.7)),
    "selu": (F.selu, lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA)),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(x / 2.0))),
    "softplus": (F.softplus, np_softplus),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: np_softplus(x, 2.0, 3.0)),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0)),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
    "mish": (F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "logsigmoid": (F.logsigmoid, lambda x: -np.logaddexp(0, -x)),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x)),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0)),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (F.tanh, np.tanh),
    "hardshrink": (lambda x: F.hardshrink(x, 0.4), lambda x: np.where(np.abs(x) > 0.4, x, 0.0)),
    "softshrink": (lambda x: F.softshrink(x, 0.4), lambda x: np.where(x > 0.4, x - 0.4, np.where(x < -0.4, x + 0.4, 0.0))),
    "prelu": (lambda x: F.prelu(x, torch.tensor([0.1, -0.3, 2.0], dtype=x.dtype)),
              lambda x: np.where(x > 0, x, x * np.array([0.1, -0.3, 2.0])[:, None])),
    "glu": (lambda x: F.glu(x, 0), lambda x: x[:1] / (1 + np.exp(-x[1:]))),
    "glu_last": (F.glu, lambda x: x[..., :2] / (1 + np.exp(-x[..., 2:]))),
    "softmin": (lambda x: F.softmin(x, 1), lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(REFS))
def test_matches_numpy(name):
    f, ref = REFS[name]
    a = RNG.standard_normal((2, 3, 4)) * 4
    a[0, 0, :] = [-30.0, 30.0, 0.0, 1e-3]  # saturated tails and zero
    np.testing.assert_allclose(f(torch.tensor(a)).numpy(), ref(a), rtol=1e-12, atol=1e-14)
    got32 = f(torch.tensor(a, dtype=torch.float32))
    assert got32.dtype == torch.float32
    np.testing.assert_allclose(got32.numpy(), ref(a), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name", sorted(REFS))
def test_gradcheck(name):
    f = REFS[name][0]
    a = RNG.standard_normal((2, 3, 4)) * 2
    # keep samples away from the kinks (+-3, 0, 0.3, 0.4, 6, -0.5, 2) where finite differences straddle them
    a = np.where(np.abs(a - np.round(a * 10) / 10) < 0.01, a + 0.03, a)
    x = torch.tensor(a, requires_grad=True)
    assert gradcheck(f, (x,))


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "elu", "softplus", "mish", "logsigmoid", "glu", "softmin"])
def test_gradgradcheck_smooth(name):
    x = torch.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    assert gradgradcheck(REFS[name][0], (x,))


def test_large_inputs_give_finite_gradients():
    # the branch `where` discards must not turn exp overflow into NaN gradients
    x = torch.tensor([-800.0, -50.0, 50.0, 800.0], dtype=torch.float64, requires_grad=True)
    for f in (F.elu, F.selu, F.celu, F.softplus, F.logsigmoid, F.mish, F.silu):
        (g,) = torch.autograd.grad(f(x).sum(), x)
        assert np.isfinite(g.numpy()).all(), f.__name__
    np.testing.assert_allclose(F.logsigmoid(x).detach().numpy(), [-800.0, -50.0, -math.exp(-50), 0.0], rtol=1e-12)


# gradients at the kink points, as PyTorch's backward kernels define them
KINK_GRADS = {
    "relu6": (F.relu6, [-3.0, 0.0, 3.0, 6.0], [0.0, 0.0, 1.0, 0.0]),
    "hardtanh": (F.hardtanh, [-1.0, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 0.0]),
    "hardsigmoid": (F.hardsigmoid, [-3.0, 0.0, 3.0, 4.0], [0.0, 1 / 6, 0.0, 0.0]),
    "hardswish": (F.hardswish, [-3.0, 0.0, 3.0, -1.0], [0.0, 0.5, 1.0, 1 / 6]),
    "leaky_relu": (F.leaky_relu, [-1.0, 0.0, 1.0], [0.01, 0.01, 1.0]),
    "elu": (F.elu, [0.0, -1.0], [1.0, math.exp(-1)]),
    "softplus": (F.softplus, [0.0, 20.0, 21.0], [0.5, 1 / (1 + math.exp(-20)), 1.0]),
    "logsigmoid": (F.logsigmoid, [0.0], [0.5]),
    "silu": (F.silu, [0.0], [0.5]),
    "mish": (F.mish, [0.0], [0.6]),  # tanh(log 2)
    "threshold": (lambda x: F.threshold(x, 1.0, 5.0), [1.0, 1.5, 0.0], [0.0, 1.0, 0.0]),
    "hardshrink": (F.hardshrink, [0.5, 0.6, 0.0], [0.0, 1.0, 0.0]),
    "softshrink": (F.softshrink, [0.5, -0.6, 0.0], [0.0, 1.0, 0.0]),
    "prelu": (lambda x: F.prelu(x, torch.tensor([0.25], dtype=x.dtype)), [0.0, -2.0], [0.25, 0.25]),
}


@pytest.mark.parametrize("name", sorted(KINK_GRADS))
def test_gradients_at_kinks(name):
    f, xs, want = KINK_GRADS[name]
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    f(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-15)


def test_threshold_replaces_nan_and_keeps_int_dtype():
    out = F.threshold(torch.tensor([float("nan"), 2.0]), 1.0, -1.0)
    assert out.tolist() == [-1.0, 2.0]
    out = F.threshold(torch.tensor([1, 2, 3]), 1.5, 0)
    assert out.dtype == torch.int64 and out.tolist() == [0, 2, 3]
    assert F.relu6(torch.tensor([-2, 3, 9])).tolist() == [0, 3, 6]


@pytest.mark.parametrize("f", [
    lambda x, ip: F.silu(x, inplace=ip), lambda x, ip: F.leaky_relu(x, 0.1, ip), lambda x, ip: F.elu(x, 1.0, ip),
    lambda x, ip: F.selu(x, ip), lambda x, ip: F.celu(x, 1.5, ip), lambda x, ip: F.hardtanh(x, -1.0, 1.0, ip),
    lambda x, ip: F.relu6(x, ip), lambda x, ip: F.mish(x, ip), lambda x, ip: F.hardsigmoid(x, ip),
    lambda x, ip: F.hardswish(x, ip), lambda x, ip: F.threshold(x, 0.1, 7.0, ip),
])
def test_inplace_variants(f):
    a = RNG.standard_normal(6) * 4
    want = f(torch.tensor(a), False).numpy()
    t = torch.tensor(a)
    assert f(t, True) is t
    np.testing.assert_allclose(t.numpy(), want, rtol=1e-15)
    # in place on a non-leaf: backward still sees the original input
    leaf = torch.tensor(a, requires_grad=True)
    y = leaf * 1
    f(y, True).sum().backward()
    leaf2 = torch.tensor(a, requires_grad=True)
    f(leaf2, False).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), leaf2.grad.numpy(), rtol=1e-15)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        f(torch.tensor(a, requires_grad=True), True)


def test_modules_forward_and_inplace():
    a = RNG.standard_normal((3, 4))
    x = torch.tensor(a)
    pairs = [
        (nn.GELU(approximate="tanh"), F.gelu(x, approximate="tanh")), (nn.SiLU(), F.silu(x)),
        (nn.LeakyReLU(0.3), F.leaky_relu(x, 0.3)), (nn.ELU(0.5), F.elu(x, 0.5)), (nn.SELU(), F.selu(x)),
        (nn.CELU(0.5), F.celu(x, 0.5)), (nn.Softplus(2, 1), F.softplus(x, 2, 1)),
        (nn.Hardtanh(-0.3, 0.4), F.hardtanh(x, -0.3, 0.4)), (nn.ReLU6(), F.relu6(x)), (nn.Mish(), F.mish(x)),
        (nn.GLU(), F.glu(x)), (nn.GLU(0), F.glu(x[:2], 0)), (nn.Hardsigmoid(), F.hardsigmoid(x)),
        (nn.Hardswish(), F.hardswish(x)), (nn.LogSigmoid(), F.logsigmoid(x)), (nn.Softsign(), F.softsign(x)),
        (nn.Tanhshrink(), F.tanhshrink(x)), (nn.Threshold(0.2, 9.0), F.threshold(x, 0.2, 9.0)),
        (nn.Softmin(1), F.softmin(x, 1)), (nn.Hardshrink(0.3), F.hardshrink(x, 0.3)),
        (nn.Softshrink(0.3), F.softshrink(x, 0.3)),
    ]
    for m, want in pairs:
        inp = x[:2] if isinstance(m, nn.GLU) and m.dim == 0 else x
        np.testing.assert_array_equal(m(inp).numpy(), want.numpy(), err_msg=repr(m))
    t = torch.tensor(a)
    assert nn.ReLU6(inplace=True)(t) is t and t.max().item() <= 6 and t.min().item() >= 0


def test_prelu_module():
    m = nn.PReLU(3, init=0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.tolist() == pytest.approx([0.1] * 3) and m.weight.dtype == torch.float32
    a = RNG.standard_normal((2, 3, 5))
    x = torch.tensor(a, dtype=torch.float32)
    np.testing.assert_allclose(m(x).detach().numpy(), np.where(a > 0, a, 0.1 * a), rtol=1e-6)
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), np.minimum(a, 0).sum((0, 2)), rtol=1e-5)
    w = torch.tensor([0.3, 0.6, -0.2], dtype=torch.float64, requires_grad=True)
    xd = torch.tensor(a, requires_grad=True)
    assert gradcheck(F.prelu, (xd, w))
    assert nn.PReLU(dtype=torch.float64).weight.dtype == torch.float64
    # one slope broadcasts over any input, including 0-d and 1-d
    assert F.prelu(torch.tensor(-2.0), torch.tensor([0.25])).item() == -0.5
    assert F.prelu(torch.tensor([-2.0, 3.0]), torch.tensor([0.5])).tolist() == [-1.0, 3.0]


def test_reprs():
    cases = {
        nn.GELU(): "GELU(approximate='none')", nn.GELU("tanh"): "GELU(approximate='tanh')",
        nn.SiLU(): "SiLU()", nn.SiLU(True): "SiLU(inplace=True)",
        nn.LeakyReLU(): "LeakyReLU(negative_slope=0.01)",
        nn.LeakyReLU(0.2, True): "LeakyReLU(negative_slope=0.2, inplace=True)",
        nn.ELU(): "ELU(alpha=1.0)", nn.ELU(0.5, True): "ELU(alpha=0.5, inplace=True)",
        nn.SELU(): "SELU()", nn.SELU(True): "SELU(inplace=True)",
        nn.CELU(): "CELU(alpha=1.0)", nn.CELU(2.0, True): "CELU(alpha=2.0, inplace=True)",
        nn.Softplus(): "Softplus(beta=1.0, threshold=20.0)", nn.Softplus(2, 10): "Softplus(beta=2, threshold=10)",
        nn.Hardtanh(): "Hardtanh(min_val=-1.0, max_val=1.0)",
        nn.Hardtanh(-2, 3, True): "Hardtanh(min_val=-2, max_val=3, inplace=True)",
        nn.ReLU6(): "ReLU6()", nn.ReLU6(True): "ReLU6(inplace=True)",
        nn.Mish(): "Mish()", nn.Mish(True): "Mish(inplace=True)",
        nn.GLU(): "GLU(dim=-1)", nn.GLU(0): "GLU(dim=0)",
        nn.Hardsigmoid(True): "Hardsigmoid()", nn.Hardswish(True): "Hardswish()",
        nn.LogSigmoid(): "LogSigmoid()", nn.Softsign(): "Softsign()", nn.Tanhshrink(): "Tanhshrink()",
        nn.Threshold(0.1, 20): "Threshold(threshold=0.1, value=20)",
        nn.Threshold(0.1, 20, True): "Threshold(threshold=0.1, value=20, inplace=True)",
        nn.PReLU(): "PReLU(num_parameters=1)", nn.PReLU(3, 0.1): "PReLU(num_parameters=3)",
        nn.Softmin(): "Softmin(dim=None)", nn.Softmin(1): "Softmin(dim=1)",
        nn.Hardshrink(): "Hardshrink(0.5)", nn.Softshrink(0.3): "Softshrink(0.3)",
    }
    for m, want in cases.items():
        assert repr(m) == want


def test_errors():
    x = torch.randn(2, 3)
    with pytest.raises(RuntimeError, match="^approximate argument must be either none or tanh.$"):
        F.gelu(x, approximate="foo")
    with pytest.raises(RuntimeError, match="^Halving dimension must be even, but dimension 1 is size 3$"):
        F.glu(x, 1)
    with pytest.raises(RuntimeError, match="^Halving dimension must be even, but dimension 1 is size 3$"):
        F.glu(x, -1)
    with pytest.raises(RuntimeError, match="^glu does not support scalars because halving size must be even$"):
        F.glu(torch.tensor(1.0))
    with pytest.raises(IndexError):
        F.glu(torch.randn(2, 4), 2)
    with pytest.raises(ValueError, match="^min_val cannot be greater than max_val$"):
        F.hardtanh(x, 2, 1)
    with pytest.raises(ValueError, match="^min_val cannot be greater than max_val$"):
        nn.Hardtanh(2, 1)
    with pytest.raises(RuntimeError, match="^ZeroDivisionError: alpha cannot be 0 for CELU$"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match=r"^Mismatch of parameter numbers and input channel size. "
                       r"Found parameter numbers = 2 and channel size = 3.$"):
        F.prelu(x, torch.ones(2))
    with pytest.raises(RuntimeError, match="channel size = 1"):
        F.prelu(torch.randn(3), torch.ones(3))
    with pytest.raises(RuntimeError, match=r"^lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but found -1$"):
        F.softshrink(x, -1)
    with pytest.raises(NotImplementedError, match="^\"leaky_relu_cpu\" not implemented for 'Long'$"):
        F.leaky_relu(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="^\"GeluKernelImpl\" not implemented for 'Bool'$"):
        F.gelu(torch.tensor([True]))
    with pytest.raises(NotImplementedError, match="^\"elu_cpu\" not implemented for 'Int'$"):
        F.selu(torch.tensor([1], dtype=torch.int32))
    with pytest.raises(NotImplementedError, match="^Bool inputs not supported for hardtanh$"):
        F.relu6(torch.tensor([True]))
