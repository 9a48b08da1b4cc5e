"""Matrix factorizations for ``ferrotorch.linalg``: forwards run LAPACK through
numpy on the detached data (batched, float32/float64); backwards are the
closed-form formulas of PyTorch's FunctionsManual.cpp written with ferrotorch
ops (and these Functions), so they are differentiable again where PyTorch's are.
A Rust kernel should replace the numpy forwards (see docs)."""
import functools

import numpy as np

from . import _C
from ._util import scalar_name
from .autograd.function import Function


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a matrix that is singular or not positive-definite."""


def _np(t):
    # CUDA inputs compute on the host too (a device-to-host round trip, until
    # cuSOLVER forwards land); results go back to the input's device in _t.
    return np.asarray(t.detach().cpu())


def _quiet(forward):
    """NaN/inf inputs give NaN results as in PyTorch, without numpy's RuntimeWarnings."""
    @functools.wraps(forward)
    def run(*args):
        with np.errstate(all="ignore"):
            return forward(*args)
    return run


def _t(a, like):
    """A numpy result as a tensor on the device of tensor ``like``."""
    t = _C.from_numpy(np.asarray(a, order="C"))  # (ascontiguousarray would make 0-d results 1-d)
    return t if like.device.type == "cpu" else t.to(like.device)


def _eye_like(n, ref):
    return _C.eye(n, dtype=ref.dtype, device=ref.device)


def check_matrix(A, fn, square=True):
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{fn}: A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype in (_C.float16, _C.bfloat16):
        raise NotImplementedError(f"{fn}: Low precision dtypes not supported. Got {scalar_name(A.dtype)}")
    if A.dtype not in (_C.float32, _C.float64):
        raise NotImplementedError(
            f"{fn}: Expected a floating point or complex tensor as input. Got {scalar_name(A.dtype)}")


def _batch_error(A, fn, failing, message):
    """Raises LinAlgError naming the first failing batch element, as PyTorch does."""
    a = _np(A)
    flat = a.reshape(-1, *a.shape[-2:])
    for i, m in enumerate(flat):
        detail = failing(m)
        if detail is not None:
            prefix = f"(Batch element {i}): " if a.ndim > 2 else ""
            raise LinAlgError(f"{fn}: {prefix}{message(detail)}") from None
    raise LinAlgError(f"{fn}: {message(1)}") from None


def _zero_pivot(m):
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK getrf's info), or None."""
    u = np.array(m, dtype=np.float64)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:] -= np.outer(u[k + 1:, k] / u[k, k], u[k])
    try:
        np.linalg.inv(m)
    except np.linalg.LinAlgError:
        return n
    return None


def _not_pd_order(m):
    """1-based order of the first leading minor that is not positive-definite (potrf's info), or None."""
    a = np.array(np.tril(m), dtype=np.float64)
    n = a.shape[0]
    for j in range(n):
        d = a[j, j] - a[j, :j] @ a[j, :j]
        if not d > 0:
            return j + 1
        a[j, j] = np.sqrt(d)
        a[j + 1:, j] = (a[j + 1:, j] - a[j + 1:, :j] @ a[j, :j]) / a[j, j]
    return None


def inv_np(A, fn="linalg.inv"):
    try:
        return _t(np.linalg.inv(_np(A)), A)
    except np.linalg.LinAlgError:
        _batch_error(A, fn, _zero_pivot, lambda k: (
            f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix "
            "is singular."))


class Inv(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A):
        out = inv_np(A)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        Ainv, = ctx.saved_tensors
        # d(A^-1) = -A^-1 dA A^-1  =>  gA = -A^-T g A^-T
        return -(Ainv.mT.matmul(g).matmul(Ainv.mT))


def _cofactor_np(a):
    """d det(A) / dA = adj(A)^T, through the SVD so singular matrices work."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones_like(s[..., :1])
    before = np.concatenate([ones, np.cumprod(s, -1)[..., :-1]], -1)
    after = np.concatenate([np.cumprod(s[..., ::-1], -1)[..., :-1][..., ::-1], ones], -1) if n else s
    others = before * after  # prod_{j != i} s_j
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * np.matmul(u * others[..., None, :], vh)


class Det(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A):
        d = _t(np.asarray(np.linalg.det(_np(A))), A)
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        gd = (g * d).unsqueeze(-1).unsqueeze(-1)
        if bool((d != 0).all().item()):
            return gd * Inv.apply(A).mT  # differentiable again
        return (g.unsqueeze(-1).unsqueeze(-1) * _t(_cofactor_np(_np(A)), A)).to(A.dtype)


class Slogdet(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A):
        sign, logabs = np.linalg.slogdet(_np(A))
        sign, logabs = _t(np.asarray(sign), A), _t(np.asarray(logabs), A)
        ctx.mark_non_differentiable(sign)
        ctx.save_for_backward(A)
        return sign, logabs

    @staticmethod
    def backward(ctx, gsign, glogabs):
        A, = ctx.saved_tensors
        return glogabs.unsqueeze(-1).unsqueeze(-1) * Inv.apply(A).mT


class Solve(Function):
    """X = A^-1 B with B (..., n, k); batch dims broadcast."""

    @staticmethod
    @_quiet
    def forward(ctx, A, B):
        try:
            X = _t(np.linalg.solve(_np(A), _np(B)), A)
        except np.linalg.LinAlgError:
            _batch_error(A, "torch.linalg.solve", _zero_pivot,
                         lambda k: "The solver failed because the input matrix is singular.")
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        gB = Solve.apply(A.mT, g)
        return -gB.matmul(X.mT), gB


class Cholesky(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A, upper):
        a = _np(A)
        try:
            # upper=True factors the upper triangle, as PyTorch: U = chol_lower(A^T)^T
            L = np.linalg.cholesky(np.swapaxes(a, -1, -2) if upper else a)
        except np.linalg.LinAlgError:
            src = A.mT if upper else A
            _batch_error(src, "linalg.cholesky", _not_pd_order, lambda k: (
                "The factorization could not be completed because the input is not positive-definite (the leading "
                f"minor of order {k} is not positive-definite)."))
        L = _t(L, A)
        ctx.upper = upper
        ctx.save_for_backward(L)
        return L.mT.contiguous() if upper else L

    @staticmethod
    def backward(ctx, g):
        L, = ctx.saved_tensors
        gL = g.mT if ctx.upper else g
        # gA = L^-H Phi(L^H gL) L^-1, Phi = symmetrised lower triangle with the diagonal halved
        P = L.mT.matmul(gL).tril()
        P = (P + P.tril(-1).mT) * 0.5
        X = Solve.apply(L.mT, P)
        return Solve.apply(L.mT, X.mT).mT, None


def _tri_solve_right(Y, R):
    """Y R^-T (R square upper triangular), as R^-1 Y^T transposed."""
    return Solve.apply(R, Y.mT).mT


def _qr_backward_tall(gQ, gR, Q, R):
    """m >= n: gA = [gQ + Q copyltu(M)] R^-T with M^T = gR R^T - Q^T gQ."""
    T = (gR.matmul(R.mT) - Q.mT.matmul(gQ)).triu()
    sym = T + T.mT - T.diagonal(0, -2, -1).unsqueeze(-1) * _eye_like(T.shape[-1], T)
    return _tri_solve_right(gQ + Q.matmul(sym), R)


class QR(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A, mode):
        q, r = np.linalg.qr(_np(A), mode=mode)
        Q, R = _t(q, A), _t(r, A)
        ctx.mode = mode
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R), None
        # wide: A = (X | Y), R = (U | V) with X = Q U square and Y = Q V
        U, V = R[..., :, :m], R[..., :, m:]
        gU, gV = gR[..., :, :m], gR[..., :, m:]
        Y = Q.matmul(V)
        gX = _qr_backward_tall(gQ + Y.matmul(gV.mT), gU, Q, U)
        return _C.cat([gX, Q.matmul(gV)], -1), None


def _diag_embed(v):
    return v.unsqueeze(-1) * _eye_like(v.shape[-1], v)


class SVD(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A, full_matrices):
        u, s, vh = np.linalg.svd(_np(A), full_matrices=full_matrices)
        U, S, Vh = _t(u, A), _t(s, A), _t(vh, A)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        m, n = U.shape[-2], Vh.shape[-1]
        # full_matrices: only the first k singular vectors enter the formula (as PyTorch)
        U, gU, Vh, gVh = U[..., :, :k], gU[..., :, :k], Vh[..., :k, :], gVh[..., :k, :]
        UhgU = U.mT.matmul(gU)
        UhgU = UhgU - UhgU.mT
        VhgV = Vh.matmul(gVh.mT)
        VhgV = VhgV - VhgV.mT
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye_like(k, S)  # E_ij = s_j^2 - s_i^2, 1 on the diagonal
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E + _diag_embed(gS)
        if m > n:
            gUSinv = gU / S.unsqueeze(-2)
            gA = U.matmul(gA) + gUSinv - U.matmul(U.mT.matmul(gUSinv))
            return gA.matmul(Vh), None
        if m < n:
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = gA.matmul(Vh) + SinvgVh - SinvgVh.matmul(Vh.mT).matmul(Vh)
            return U.matmul(gA), None
        return U.matmul(gA).matmul(Vh), None


class SVDVals(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A):
        u, s, vh = np.linalg.svd(_np(A), full_matrices=False)
        ctx.save_for_backward(_t(u, A), _t(vh, A))
        return _t(s, A)

    @staticmethod
    def backward(ctx, gS):
        U, Vh = ctx.saved_tensors
        return U.matmul(gS.unsqueeze(-1) * Vh)


class Eigh(Function):
    @staticmethod
    @_quiet
    def forward(ctx, A, UPLO):
        w, v = np.linalg.eigh(_np(A), UPLO=UPLO)
        L, V = _t(w, A), _t(v, A)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        n = L.shape[-1]
        VhgV = V.mT.matmul(gV)
        VhgV = (VhgV - VhgV.mT) * 0.5  # skew part: the tangent space of orthogonal matrices
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye_like(n, L)  # E_ij = l_j - l_i, 1 on the diagonal
        X = VhgV / E + _diag_embed(gL)
        return V.matmul(X).matmul(V.mT), None
