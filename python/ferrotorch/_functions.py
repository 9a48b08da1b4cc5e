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
    "softmax", "log_softmax",
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
        return factory(*input.shape, dtype=dtype or input.dtype, device=device or input.device,
                       requires_grad=requires_grad, **kw)

    return fn


zeros_like = _like(_C.zeros)
ones_like = _like(_C.ones)
empty_like = _like(_C.empty)
rand_like = _like(_C.rand)
randn_like = _like(_C.randn)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    if high is None:
        low, high = 0, low
    return _C.randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                      generator=generator)


# ---- joining / shaping, scans, sorting (bindings in shape_ops.rs) ----------------
_SHAPE_FORWARDS = [
    "roll", "repeat_interleave", "tril", "triu", "outer", "ger", "cumsum", "cumprod", "logsumexp",
    "sort", "argsort", "topk", "kthvalue", "msort", "fliplr", "flipud",
]
for _n in _SHAPE_FORWARDS:
    globals()[_n] = _forward(_n)
__all__ += _SHAPE_FORWARDS + [
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "broadcast_tensors", "broadcast_shapes",
    "meshgrid", "einsum", "flip", "tile", "addmm", "norm", "unique",
    "unique_consecutive",
]
cat = _C.cat
stack = _C.stack
hstack = _C.hstack
vstack = _C.vstack
broadcast_tensors = _C.broadcast_tensors
broadcast_shapes = _C.broadcast_shapes
einsum = _C.einsum


def concat(tensors, dim=0, *, out=None):
    return _C.cat(tensors, dim, out=out)


def concatenate(tensors, axis=0, *, out=None):
    return _C.cat(tensors, axis, out=out)


def meshgrid(*tensors, indexing=None):
    return _C.meshgrid(*tensors, indexing=indexing)


def flip(input, dims):
    return input.flip(dims)


def tile(input, dims):
    return input.tile(dims)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    r = input.addmm(mat1, mat2, beta=beta, alpha=alpha)
    if out is not None:
        out.copy_(r)
        return out
    return r


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    r = input.norm(p, dim, keepdim, dtype)
    if out is not None:
        out.copy_(r)
        return out
    return r


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return input.unique(sorted=sorted, return_inverse=return_inverse, return_counts=return_counts, dim=dim)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    return input.unique_consecutive(return_inverse=return_inverse, return_counts=return_counts, dim=dim)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: F811
    if repeats is None:
        # torch.repeat_interleave(repeats): indices repeated by the counts
        from ._C import arange
        return arange(input.numel()).repeat_interleave(input)
    return input.repeat_interleave(repeats, dim, output_size=output_size)


# ---- Python-composed ops (each module also adds the Tensor methods) ---------------
from . import _factories, _misc_methods, _random  # noqa: E402,F401  (Tensor.new_*, apply_, pin_memory, ...)
from ._compare import allclose, equal, isclose  # noqa: E402
from ._index_ops import bincount, bucketize, index_copy, index_fill, masked_scatter, searchsorted  # noqa: E402
from ._linalg_top import det, inverse, logdet, slogdet, svd  # noqa: E402
from ._matrix_ops import baddbmm, cdist, count_nonzero, diag, dist, kron, mv, trace  # noqa: E402
from ._pointwise import addcdiv, addcmul, logit, xlogy  # noqa: E402
from ._sampling import bernoulli, multinomial, poisson  # noqa: E402
from ._special import digamma, lgamma  # noqa: E402


def xlogy_(input, other):
    return input.xlogy_(other)


def logit_(input, eps=None):
    return input.logit_(eps)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return input.nan_to_num_(nan, posinf, neginf)


__all__ += [
    "allclose", "equal", "isclose", "bincount", "bucketize", "index_copy", "index_fill", "masked_scatter",
    "searchsorted", "det", "inverse", "logdet", "slogdet", "svd", "baddbmm", "cdist", "count_nonzero", "diag",
    "dist", "kron", "mv", "trace", "addcdiv", "addcmul", "logit", "xlogy", "bernoulli", "multinomial", "poisson",
    "digamma", "lgamma", "xlogy_", "logit_", "nan_to_num_",
]
