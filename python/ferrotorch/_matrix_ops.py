"""Matrix-shaped composites: ``baddbmm``, ``mv``, ``diag``, ``trace``,
``kron``, ``dist``, ``cdist``, ``count_nonzero`` and ``addmm_``."""
from . import _C
from ._util import check_tensor, cpp_name, inplace, is_float, is_integral, scalar_name, write_out
from .autograd.function import Function

_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def _scale(t, s, integral):
    if integral:
        s = int(s)
    return t if s == 1 else t * s


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (batch1 @ batch2); input is ignored when beta == 0."""
    if batch1.ndim == 3 and batch2.ndim == 3:
        input.expand(batch1.shape[0], batch1.shape[1], batch2.shape[2])
        if input.dtype != batch1.dtype:
            raise RuntimeError(
                f"Input dtypes must be the same, got: input {cpp_name(input.dtype)}, batch1: {cpp_name(batch1.dtype)}, "
                f"batch2: {cpp_name(batch2.dtype)}")
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    bs, _, k = batch1.shape
    if batch2.shape[0] != bs or batch2.shape[1] != k:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{bs}, {k}] but got: "
            f"[{batch2.shape[0]}, {batch2.shape[1]}].")
    integral = is_integral(batch1.dtype)
    r = _scale(batch1.bmm(batch2), alpha, integral)
    if beta != 0:
        r = _scale(input, beta, integral) + r
    return write_out(r, out)


def mv(input, vec, *, out=None):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x{input.shape[1]}), "
            f"vec ({vec.shape[0]})")
    return write_out(input.matmul(vec), out)


def diag(input, diagonal=0, *, out=None):
    """1-D: the square matrix with input on the given diagonal; 2-D: a copy of that diagonal."""
    if input.ndim == 1:
        n = input.shape[0]
        size = n + abs(diagonal)
        idx = _C.arange(n)
        rows, cols = idx + max(-diagonal, 0), idx + max(diagonal, 0)
        r = _C.zeros(size, size, dtype=input.dtype).index_put((rows, cols), input)
    elif input.ndim == 2:
        r = input.diagonal(diagonal).clone()
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return write_out(r, out)


def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype == _C.bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return input.diagonal().sum()


def kron(input, other, *, out=None):
    """Kronecker product: out[i * other.shape + j] = input[i] * other[j] (shapes padded with leading 1s)."""
    n = max(input.ndim, other.ndim)
    a_shape = (1,) * (n - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (n - other.ndim) + tuple(other.shape)
    a = input.reshape(*[s for d in a_shape for s in (d, 1)])
    b = other.reshape(*[s for d in b_shape for s in (1, d)])
    return write_out((a * b).reshape(*[x * y for x, y in zip(a_shape, b_shape)]), out)


def dist(input, other, p=2):
    check_tensor("dist", "other", 2, other)
    diff = input - other
    if not is_float(diff.dtype):
        raise NotImplementedError(
            f"norm(): input dtype should be either floating point or complex. Got {scalar_name(diff.dtype)} instead.")
    return diff.norm(p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M) -> (..., P, R)."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if not is_float(x.dtype):
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {scalar_name(x.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {scalar_name(x1.dtype)} but found {scalar_name(x2.dtype)}")
    if x1.shape[-1] == 0:
        return _C.zeros(*(x1.unsqueeze(-2) - x2.unsqueeze(-3)).shape[:-1], dtype=x1.dtype)
    if p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
            compute_mode == _CDIST_MODES[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25))):
        batch = tuple(_C.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2])))
        return _EuclideanDist.apply(x1.expand(*batch, *x1.shape[-2:]), x2.expand(*batch, *x2.shape[-2:]))
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, -1)


class _EuclideanDist(Function):
    """PyTorch's matmul route for p=2: |a|^2 + |b|^2 - 2 a.b in one matmul
    (faster, less exact for near points), with its zero-distance subgradient."""

    @staticmethod
    def forward(ctx, x1, x2):
        n1 = x1.pow(2).sum(-1, keepdim=True)
        n2 = x2.pow(2).sum(-1, keepdim=True)
        a = _C.cat([x1 * -2, n1, _C.ones(*n1.shape, dtype=n1.dtype)], -1)
        b = _C.cat([x2, _C.ones(*n2.shape, dtype=n2.dtype), n2], -1)
        res = a.matmul(b.mT).clamp(min=1e-30).sqrt()
        ctx.save_for_backward(x1, x2, res)
        return res

    @staticmethod
    def backward(ctx, grad):
        x1, x2, res = ctx.saved_tensors
        ratio = (grad / res).masked_fill(res == 0, 0.0)
        return (x1 * ratio.sum(-1, keepdim=True) - ratio.matmul(x2),
                x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT.matmul(x1))


def count_nonzero(input, dim=None):
    nz = input != 0
    if dim is None:
        return nz.sum()
    return nz.sum(tuple(dim) if isinstance(dim, (list, tuple)) else dim)


def _addmm_(self, mat1, mat2, *, beta=1, alpha=1):
    return inplace(self, lambda s: s.addmm(mat1, mat2, beta=beta, alpha=alpha), mat1, mat2)


def _baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    return inplace(self, lambda s: baddbmm(s, batch1, batch2, beta=beta, alpha=alpha), batch1, batch2)


for _f in (baddbmm, mv, diag, trace, kron, dist, count_nonzero):
    setattr(_C.Tensor, _f.__name__, _f)
_C.Tensor.addmm_ = _addmm_
_C.Tensor.baddbmm_ = _baddbmm_
