"""``torch.linalg`` subset: norms composed from core reductions."""

import math


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    r = x.norm(ord, dim, keepdim, dtype)
    if out is not None:
        out.copy_(r)
        return out
    return r


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    if ord is not None and ord not in ("fro",) and not isinstance(ord, (int, float)):
        raise NotImplementedError(f"linalg.norm(ord={ord!r}) is not supported yet in ferrotorch")
    if isinstance(ord, (int, float)) and ord not in (2, math.inf, -math.inf, 1, 0) and A.ndim == 2 and dim is None:
        raise NotImplementedError("matrix norms other than 'fro' are not supported yet in ferrotorch")
    return vector_norm(A, 2 if ord in (None, "fro") else ord, dim, keepdim, dtype=dtype, out=out)
