"""Top-level and Tensor-method spellings of linalg functions (``torch.det``,
``torch.inverse``, ``torch.logdet``, ``torch.slogdet``, ``torch.svd``)."""
from collections import namedtuple

from . import _C, linalg
from ._util import write_out

_slogdet = namedtuple("slogdet", ["sign", "logabsdet"])
_svd = namedtuple("svd", ["U", "S", "V"])
for _nt in (_slogdet, _svd):
    _nt.__module__ = "torch.return_types"


def det(input):
    return linalg.det(input)


def inverse(input, *, out=None):
    return linalg.inv(input, out=out)


def slogdet(input):
    return _slogdet(*linalg.slogdet(input))


def logdet(input):
    """log det(A): NaN for a negative determinant, -inf for a singular matrix."""
    sign, logabs = linalg.slogdet(input)
    return _C.where(sign < 0, float("nan"), logabs)


def svd(input, some=True, compute_uv=True, *, out=None):
    """Returns (U, S, V) with V (not V^H); U and V are zero-filled when compute_uv=False."""
    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        S = linalg.svdvals(input)
        return _svd(_C.zeros(*batch, m, m, dtype=input.dtype), S, _C.zeros(*batch, n, n, dtype=input.dtype))
    U, S, Vh = linalg.svd(input, full_matrices=not some)
    r = _svd(U, S, Vh.mT)
    if out is not None:
        for o, v in zip(out, r):
            write_out(v, o)
        return out
    return r


for _f in (det, inverse, slogdet, logdet, svd):
    setattr(_C.Tensor, _f.__name__, _f)
