"""Module-level functions (``torch.exp(t)``, ``torch.sum(t, dim)``, ...) that
forward to the Tensor method of the same name, plus the ``*_like`` factories."""
from . import _C
from ._tensor_methods import BINARY, UNARY

_METHOD_FORWARDS = UNARY + BINARY + [
    "add", "sub", "div", "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
    "all", "any", "var", "std", "matmul", "mm", "bmm", "dot", "clamp", "clip", "round", "nan_to_num",
    "lerp", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "t",
    "narrow", "select", "unbind", "split", "chunk", "diagonal", "movedim", "moveaxis", "swapaxes",
    "swapdims", "gather", "index_select", "scatter", "scatter_add", "index_add", "index_put", "index_put_",
    "masked_fill", "masked_select", "nonzero", "argwhere", "take_along_dim", "take", "clone", "broadcast_to", "as_strided", "ravel", "numel", "float_power",
]

__all__ = list(_METHOD_FORWARDS) + [
    "zeros_like", "ones_like", "empty_like", "rand_like", "randn_like", "randint_like",
]


def _forward(name):
    def fn(input, *args, out=None, **kwargs):
        r = getattr(input, name)(*args, **kwargs)
        if out is not None:
            out.copy_(r)
            return out
        return r

    fn.__name__ = fn.__qualname__ = name
    return fn


for _n in _METHOD_FORWARDS:
    globals()[_n] = _forward(_n)


def _like(factory):
    def fn(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None, **kw):
        return factory(*input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad, **kw)

    return fn


zeros_like = _like(_C.zeros)
ones_like = _like(_C.ones)
empty_like = _like(_C.empty)
rand_like = _like(_C.rand)
randn_like = _like(_C.randn)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    if high is None:
        low, high = 0, low
    return _C.randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device, generator=generator)
