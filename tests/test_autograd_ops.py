"""gradcheck (float64 finite differences) for every differentiable op, over
random shapes with broadcast and non-contiguous inputs, plus gradgradcheck for
a representative set."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck, gradgradcheck

from devices import DEVICES

# The whole suite runs on every device: on CUDA, gradcheck perturbs the inputs in
# device memory and every forward and backward formula runs there.
pytestmark = pytest.mark.parametrize("device", DEVICES)

RNG = np.random.default_rng(0)


def rand(*shape, low=-1.0, high=1.0, positive=False, device="cpu"):
    a = RNG.uniform(0.2 if positive else low, high if high > 0.2 else 1.0, size=shape)
    return torch.tensor(a, dtype=torch.float64, requires_grad=True, device=device)


def noncontig(*shape, positive=False, device="cpu"):
    """A transposed (non-contiguous) leaf with the given shape."""
    a = RNG.uniform(0.2 if positive else -1.0, 1.0, size=tuple(reversed(shape)))
    base = torch.tensor(a, dtype=torch.float64, device=device)
    t = base.permute(*reversed(range(len(shape)))).detach()
    t.requires_grad_()
    assert not t.is_contiguous() or len(shape) < 2
    return t


UNARY = {
    "exp": lambda x: x.exp(), "exp2": lambda x: x.exp2(), "expm1": lambda x: x.expm1(),
    "log": lambda x: x.log(), "log2": lambda x: x.log2(), "log10": lambda x: x.log10(),
    "log1p": lambda x: x.log1p(), "sqrt": lambda x: x.sqrt(), "rsqrt": lambda x: x.rsqrt(),
    "sin": lambda x: x.sin(), "cos": lambda x: x.cos(), "tan": lambda x: x.tan(),
    "asin": lambda x: (x * 0.5).asin(), "acos": lambda x: (x * 0.5).acos(), "atan": lambda x: x.atan(),
    "sinh": lambda x: x.sinh(), "cosh": lambda x: x.cosh(), "tanh": lambda x: x.tanh(),
    "asinh": lambda x: x.asinh(), "acosh": lambda x: (x * 0.3 + 1.5).acosh(), "atanh": lambda x: (x * 0.5).atanh(),
    "sigmoid": lambda x: x.sigmoid(), "erf": lambda x: x.erf(), "erfc": lambda x: x.erfc(),
    "erfinv": lambda x: (x * 0.5).erfinv(), "reciprocal": lambda x: x.reciprocal(), "frac": lambda x: (x * 0.3 + 2).frac(),
    "neg": lambda x: -x, "abs": lambda x: x.abs(), "relu": lambda x: x.relu(), "square": lambda x: x.square(),
    "sign": lambda x: x.sign(), "floor": lambda x: x.floor(), "round": lambda x: x.round(),
    "clamp": lambda x: x.clamp(0.1, 0.6), "clamp_min": lambda x: x.clamp(min=0.3),
    "nan_to_num": lambda x: x.nan_to_num(), "pow_scalar": lambda x: x ** 3, "pow_frac": lambda x: x ** 1.5,
    "rpow": lambda x: 2.0 ** x, "rsub": lambda x: 1 - x, "rdiv": lambda x: 2 / x,
    "double_cast": lambda x: x.double(), "clone": lambda x: x.clone(),
    "contiguous": lambda x: x.contiguous(),
}
POSITIVE = {"log", "log2", "log10", "sqrt", "rsqrt", "reciprocal", "pow_frac", "rdiv", "log1p"}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name, device):
    f = UNARY[name]
    pos = name in POSITIVE
    assert gradcheck(f, (rand(3, 4, positive=pos, device=device),))
    assert gradcheck(f, (noncontig(3, 4, positive=pos, device=device),))


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "atan2": lambda a, b: torch.atan2(a, b),
    "maximum": lambda a, b: torch.maximum(a, b), "minimum": lambda a, b: torch.minimum(a, b),
    "remainder": lambda a, b: torch.remainder(a, b), "fmod": lambda a, b: torch.fmod(a, b),
    "add_alpha": lambda a, b: torch.add(a, b, alpha=2.5), "sub_alpha": lambda a, b: a.sub(b, alpha=0.5),
    "lerp": lambda a, b: torch.lerp(a, b, 0.3), "where": lambda a, b: torch.where(a > 0.5, a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((), (2, 3))])
def test_binary_gradcheck_broadcast(name, shapes, device):
    pos = name in ("pow", "div", "remainder", "fmod")
    a, b = rand(*shapes[0], positive=pos, device=device), rand(*shapes[1], positive=pos, device=device)
    if name in ("remainder", "fmod"):
        b = torch.tensor(np.full(shapes[1], 0.7), dtype=torch.float64, requires_grad=True, device=device)
    assert gradcheck(BINARY[name], (a, b))


def test_binary_noncontiguous_and_lerp_tensor_weight(device):
    a, b = noncontig(3, 4, device=device), noncontig(3, 4, positive=True, device=device)
    assert gradcheck(lambda x, y: x * y + x / y - x ** 2, (a, b))
    w = rand(3, 4, device=device)
    assert gradcheck(lambda s, e, w: torch.lerp(s, e, w), (rand(3, 4, device=device), rand(3, 4, device=device), w))
    lo, hi = rand(3, 4, device=device), rand(3, 4, positive=True, device=device)
    assert gradcheck(lambda x, lo, hi: x.clamp(lo - 1, hi), (rand(3, 4, device=device), lo, hi))


REDUCTIONS = {
    "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(1), "sum_keep": lambda x: x.sum((0, 2), keepdim=True),
    "mean": lambda x: x.mean(), "mean_dim": lambda x: x.mean(-1, keepdim=True),
    "prod": lambda x: x.prod(), "prod_dim": lambda x: x.prod(1),
    "amax": lambda x: x.amax(1), "amin": lambda x: x.amin((0, 1)), "max": lambda x: x.max(), "min": lambda x: x.min(),
    "max_dim": lambda x: x.max(1)[0], "min_dim": lambda x: x.min(2, keepdim=True).values,
    "var": lambda x: x.var(), "var_dim": lambda x: x.var(1), "std": lambda x: x.std(0, keepdim=True),
    "std_unbiased0": lambda x: x.std(unbiased=False),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_gradcheck(name, device):
    f = REDUCTIONS[name]
    assert gradcheck(f, (rand(2, 3, 4, device=device),))
    assert gradcheck(f, (noncontig(2, 3, 4, device=device),))


def test_prod_with_zeros_and_max_ties(device):
    x = torch.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0]], dtype=torch.float64, requires_grad=True, device=device)
    assert gradcheck(lambda t: t.prod(1), (x,))
    assert gradcheck(lambda t: t.prod(), (x,))
    t = torch.tensor([1.0, 3.0, 3.0], dtype=torch.float64, requires_grad=True, device=device)
    t.max().backward()
    assert t.grad.device == t.device
    np.testing.assert_allclose(t.grad.cpu().numpy(), [0.0, 0.5, 0.5])  # ties share the grad evenly


VIEWS = {
    "view": lambda x: x.contiguous().view(4, 6), "reshape": lambda x: x.reshape(-1), "flatten": lambda x: x.flatten(1),
    "unflatten": lambda x: x.unflatten(2, (2, 2)), "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "unsqueeze": lambda x: x.unsqueeze(1), "permute": lambda x: x.permute(2, 0, 1),
    "transpose": lambda x: x.transpose(0, 2), "mT": lambda x: x.transpose(-1, -2),
    "expand": lambda x: x[:, :1].expand(2, 5, 4), "narrow": lambda x: x.narrow(1, 1, 2),
    "slice_step": lambda x: x[:, ::2, 1:], "select": lambda x: x[1], "index_neg": lambda x: x[:, -1],
    "diagonal": lambda x: x.diagonal(0, 1, 2), "movedim": lambda x: x.movedim(0, -1),
    "unbind": lambda x: x.unbind(1)[2], "split": lambda x: x.split(2, 1)[1], "chunk": lambda x: x.chunk(2, 2)[0],
    "as_strided": lambda x: x.contiguous().as_strided((2, 2), (3, 1), 1),
    "t": lambda x: x[0].t(),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_gradcheck(name, device):
    f = VIEWS[name]
    assert gradcheck(f, (rand(2, 3, 4, device=device),))
    assert gradcheck(f, (noncontig(2, 3, 4, device=device),))


MATMUL = {
    "mm": lambda a, b: a.mm(b.t()), "matmul_2d": lambda a, b: a @ b.t(),
    "matmul_1d_2d": lambda a, b: a[0] @ b.t(), "matmul_2d_1d": lambda a, b: a @ b[0],
    "dot": lambda a, b: a[0].dot(b[0]), "batched": lambda a, b: a.unsqueeze(0).expand(2, 3, 4) @ b.t(),
    "bmm": lambda a, b: torch.stack([a, a * 2]).bmm(torch.stack([b.t(), b.t()])),
}


@pytest.mark.parametrize("name", sorted(MATMUL))
def test_matmul_gradcheck(name, device):
    assert gradcheck(MATMUL[name], (rand(3, 4, device=device), rand(5, 4, device=device)))
    assert gradcheck(MATMUL[name], (noncontig(3, 4, device=device), noncontig(5, 4, device=device)))


@pytest.mark.parametrize("f", [
    lambda x, y: (x * y).tanh().sum(1),
    lambda x, y: (x @ y.t()).sigmoid(),
    lambda x, y: (x.exp() / y.abs().sum()).log1p().mean(0),
    lambda x, y: x.max(1)[0] * y.amin(),
    lambda x, y: (x[1:, ::2] * y[0, ::2]).prod(),
    lambda x, y: x.var(1) + y.std(),
    lambda x, y: (x ** 2 + y ** 3).sqrt(),
])
def test_gradgradcheck_representative(f, device):
    x, y = rand(3, 4, positive=True, device=device), rand(3, 4, positive=True, device=device)
    assert gradgradcheck(f, (x, y))


def test_inplace_ops_gradcheck(device):
    def f(x):
        y = x * 1
        y.mul_(2).add_(x).sub_(0.5)
        y[0] = y[1] * 3
        y[:, 1].exp_()
        return y

    assert gradcheck(f, (rand(3, 4, device=device),))
    assert gradgradcheck(f, (rand(3, 4, device=device),))
