"""Every op on awkward inputs (0-d, empty, every dtype, out-of-range dims and
indices) either works or raises a PyTorch exception type; a Rust panic
(PanicException, a BaseException) fails the test."""
import itertools
import random

import pytest

import ferrotorch as torch

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int8, torch.uint8, torch.bool]
SHAPES = [(), (0,), (3,), (2, 3), (0, 2), (3, 1), (2, 1, 4)]
ALLOWED = (RuntimeError, IndexError, TypeError, ValueError, NotImplementedError)

UNARY = ["exp", "log", "sqrt", "neg", "abs", "sign", "relu", "floor", "round", "frac", "sigmoid", "erfinv", "isnan",
         "logical_not", "bitwise_not", "sum", "mean", "prod", "amax", "argmax", "std", "var", "all", "any", "cumsum",
         "cumprod", "sort", "argsort", "unique", "flip", "t", "contiguous", "clone", "tolist", "item", "nonzero", "numpy",
         "float", "long", "bool", "half", "norm", "logsumexp", "tril", "triu", "max", "min", "squeeze", "flatten"]
DIM_OPS = ["sum", "mean", "amax", "argmax", "cumsum", "sort", "unbind", "squeeze", "unsqueeze", "size", "stride"]
BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "atan2", "maximum", "minimum", "eq",
          "lt", "logical_and", "bitwise_and", "bitwise_xor", "matmul", "dot", "lerp", "__lshift__", "__rshift__"]
INDICES = [0, -1, 5, slice(None, None, 2), None, Ellipsis, [0, 1], (0, 0)]


def tensors():
    out = []
    for s, dt in itertools.product(SHAPES, DTYPES):
        base = torch.randn(*s) * 5 if s else torch.tensor(3.7)
        out.append(base.to(dt))
    return out


def attempt(f):
    try:
        f()
    except ALLOWED:
        pass


@pytest.mark.parametrize("dt", DTYPES, ids=str)
def test_unary_dim_and_index_ops(dt):
    torch.manual_seed(0)
    for t in [x for x in tensors() if x.dtype == dt]:
        for name in UNARY:
            attempt(lambda: getattr(t, name)())
        for name, d in itertools.product(DIM_OPS, [0, -1, 1, 5]):
            attempt(lambda: getattr(t, name)(d))
        for d in [0, -1, 2]:
            attempt(lambda: t.topk(2, d))
            attempt(lambda: t.select(d, 1))
            attempt(lambda: t.narrow(d, 0, 1))
            attempt(lambda: t.split(2, d))
            attempt(lambda: t.chunk(2, d))
        for i in INDICES + [torch.tensor([True, False, True]), torch.tensor([[0]])]:
            attempt(lambda: t[i])
            attempt(lambda: t.__setitem__(i, 1))


def test_binary_ops_on_mixed_inputs():
    torch.manual_seed(0)
    rnd = random.Random(0)
    ts = tensors()
    for a, b in zip(rnd.sample(ts, 30), rnd.sample(ts, 30)):
        for op in BINARY:
            attempt(lambda: getattr(a, op)(b))
        for s in [0, -1, 2.5, True, 1e30, -(2 ** 62)]:
            for op in BINARY[:12]:
                attempt(lambda: getattr(a, op)(s))


def _backward_any(r):
    """Backpropagates through whatever an op returned (tensor, tuple, list)."""
    outs = r if isinstance(r, (tuple, list)) else [r]
    for o in outs:
        if isinstance(o, torch.Tensor) and o.requires_grad:
            o.sum().backward(retain_graph=True)
            o.sum().backward(create_graph=True)


@pytest.mark.parametrize("dt", [torch.float32, torch.float64, torch.float16, torch.bfloat16], ids=str)
def test_autograd_through_ops_on_awkward_inputs(dt):
    """The same sweep with inputs that require grad, running backward (and
    double backward) through every result: formulas must not panic on 0-d,
    empty or size-1 inputs."""
    torch.manual_seed(0)
    for t0 in [x for x in tensors() if x.dtype == dt]:
        t = t0.detach().requires_grad_()
        for name in UNARY:
            attempt(lambda: _backward_any(getattr(t, name)()))
        for name, d in itertools.product(DIM_OPS, [0, -1, 1, 5]):
            attempt(lambda: _backward_any(getattr(t, name)(d)))
        for d in [0, -1, 2]:
            attempt(lambda: _backward_any(t.topk(2, d)))
            attempt(lambda: _backward_any(t.select(d, 1)))
            attempt(lambda: _backward_any(t.narrow(d, 0, 1)))
            attempt(lambda: _backward_any(t.chunk(2, d)))
            attempt(lambda: _backward_any(torch.cat([t, t * 2], d)))
            attempt(lambda: _backward_any(t.max(d)))
        for i in INDICES + [torch.tensor([True, False, True]), torch.tensor([[0]])]:
            attempt(lambda: _backward_any(t[i]))
            y = t * 1
            attempt(lambda: (y.__setitem__(i, t.sum()), _backward_any(y)))
        for op in BINARY:
            attempt(lambda: _backward_any(getattr(t, op)(t * 0.5)))


@pytest.mark.parametrize("data,exc", [(["a"], ValueError), ("a", TypeError), ([["a"]], ValueError), ([1, "a"], TypeError)])
def test_strings_are_rejected_not_recursed(data, exc):
    with pytest.raises(exc, match="str"):
        torch.tensor(data)


def test_numpy_scalars_own_their_memory_and_full_int64_randint():
    import numpy as np
    ts = [torch.as_tensor(np.float64(1.5)) for _ in range(5)]
    junk = [np.full(1, 7.0) for _ in range(1000)]  # would reuse freed scalar buffers
    assert [t.item() for t in ts] == [1.5] * 5 and len(junk) == 1000
    x = torch.randint(-2 ** 63, 2 ** 63 - 1, (100,))
    assert x.dtype == torch.int64 and int(x.min()) < 0 < int(x.max())


@pytest.mark.parametrize("call,msg", [
    (lambda: torch.zeros(4).as_strided((2,), (-1,), 2), "Negative strides are not supported"),
    (lambda: torch.zeros(4).as_strided((2 ** 62, 2 ** 62), (0, 0), 0), "integer multiplication overflow"),
    (lambda: torch.empty(2 ** 40, dtype=torch.uint8), "can't allocate memory: you tried to allocate 1099511627776 bytes"),
    (lambda: torch.zeros(2 ** 61), "can't allocate memory"),
    (lambda: torch.zeros(2 ** 40, 2 ** 40), "integer multiplication overflow"),
    (lambda: torch.randn(2 ** 40), "can't allocate memory"),
])
def test_impossible_sizes_raise_instead_of_aborting(call, msg):
    with pytest.raises(RuntimeError, match=msg.replace("(", r"\(")):
        call()
