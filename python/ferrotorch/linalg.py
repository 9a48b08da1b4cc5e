"""``torch.linalg``: norms composed from core reductions; factorizations and
solvers in ``_linalg_fns`` (numpy LAPACK forwards, ferrotorch backwards)."""
import math as _math
from collections import namedtuple as _namedtuple

from . import _C
from . import _linalg_fns as _fns
from ._linalg_fns import LinAlgError, check_matrix as _check  # noqa: F401
from ._util import is_float as _is_float, scalar_name as _scalar_name, write_out as _write_out
from .autograd.function import Function as _Function


def _result(name, fields):
    t = _namedtuple(name, fields)
    t.__module__ = "torch.return_types"
    return t


_linalg_qr = _result("linalg_qr", ["Q", "R"])
_linalg_svd = _result("linalg_svd", ["U", "S", "Vh"])
_linalg_eigh = _result("linalg_eigh", ["eigenvalues", "eigenvectors"])
_linalg_slogdet = _result("linalg_slogdet", ["sign", "logabsdet"])


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    return _write_out(x.norm(ord, dim, keepdim, dtype), out)


def _dims2(dim, ndim, fn):
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"{fn}: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = (d % ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{fn}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    fn = "linalg.matrix_norm"
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if not _is_float(A.dtype):
        raise NotImplementedError(
            f"{fn}: Expected a floating point or complex tensor as input. Got {_scalar_name(A.dtype)}")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = _dims2(dim, A.ndim, fn)
    if ord == "fro":
        r = A.norm(2, (d0, d1), keepdim)
    elif ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        if ord == "nuc" or (ord == 2 and s.shape[-1] == 0):  # the largest of no singular values is 0
            r = s.sum(-1)
        else:
            r = s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = r.unsqueeze(d)
    elif ord in (1, -1, _math.inf, -_math.inf):
        # 1: largest column sum of |A| (sum over rows d0), inf: largest row sum
        sum_dim, red_dim = (d0, d1) if abs(ord) == 1 else (d1, d0)
        sums = A.abs().sum(sum_dim, keepdim=True)
        r = sums.amax(red_dim, keepdim=True) if ord > 0 else sums.amin(red_dim, keepdim=True)
        if not keepdim:
            r = r.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    else:
        raise RuntimeError(f"{fn}: Order {ord} not supported.")
    return _write_out(r, out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        matrix = len(dim) == 2
    else:
        if ord is not None and A.ndim not in (1, 2):
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")
        matrix = isinstance(ord, str) or (ord is not None and A.ndim == 2)
    if matrix:
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim,
                           dtype=dtype, out=out)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def inv(A, *, out=None):
    _check(A, "linalg.inv")
    return _write_out(_fns.Inv.apply(A), out)


def det(A, *, out=None):
    _check(A, "linalg.det")
    return _write_out(_fns.Det.apply(A), out)


def slogdet(A, *, out=None):
    _check(A, "linalg.slogdet")
    r = _linalg_slogdet(*_fns.Slogdet.apply(A))
    if out is not None:
        out[0].copy_(r.sign)
        out[1].copy_(r.logabsdet)
        return out
    return r


def solve(A, B, *, left=True, out=None):
    fn = "linalg.solve"
    _check(A, fn)
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"{fn}: Expected A and B to have the same dtype, but found A of type {_scalar_name(A.dtype)} and B of "
            f"type {_scalar_name(B.dtype)} instead")
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vector else B
    if not left:
        A, Bm = A.mT, Bm.mT
    if Bm.shape[-2] != n:
        rows, cols = (Bm.shape[-2], Bm.shape[-1]) if left else (Bm.shape[-1], Bm.shape[-2])
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {rows}x{cols})")
    X = _fns.Solve.apply(A, Bm)
    if not left:
        X = X.mT
    return _write_out(X.squeeze(-1) if vector else X, out)


def cholesky(A, *, upper=False, out=None):
    _check(A, "linalg.cholesky")
    return _write_out(_fns.Cholesky.apply(A, upper), out)


def qr(A, mode="reduced", *, out=None):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'")
    _check(A, "linalg.qr", square=False)
    if mode == "r":
        _, R = _fns.QR.apply(A.detach(), "reduced")
        return _linalg_qr(_C.empty(0, dtype=A.dtype), _R_only(A, R))
    return _linalg_qr(*_fns.QR.apply(A, mode))


def _R_only(A, R):
    # mode='r' computes no Q, so R cannot be differentiated (PyTorch raises in backward)
    if A.requires_grad and _C.is_grad_enabled():
        return _NoQ.apply(A, R)
    return R


class _NoQ(_Function):
    @staticmethod
    def forward(ctx, A, R):
        return R.clone()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
            "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")


def svd(A, full_matrices=True, *, driver=None, out=None):
    _check(A, "linalg.svd", square=False)
    return _linalg_svd(*_fns.SVD.apply(A, full_matrices))


def svdvals(A, *, driver=None, out=None):
    _check(A, "linalg.svdvals", square=False)
    return _write_out(_fns.SVDVals.apply(A), out)


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    _check(A, "linalg.eigh")
    _check_uplo(UPLO)
    return _linalg_eigh(*_fns.Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    _check(A, "linalg.eigvalsh")
    _check_uplo(UPLO)
    return _write_out(_fns.Eigh.apply(A, UPLO)[0], out)
