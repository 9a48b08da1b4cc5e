"""``isclose``, ``allclose`` and ``equal`` (aten/native/TensorCompare.cpp semantics)."""
from . import _C
from ._util import check_tensor, is_float, scalar_name
from .autograd.grad_mode import no_grad


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    check_tensor("isclose", "other", 2, other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"{scalar_name(input.dtype)} did not match {scalar_name(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    with no_grad():
        close = input == other
        if equal_nan and is_float(input.dtype):
            close = close | (input.isnan() & other.isnan())
        if rtol == 0 and atol == 0:
            return close
        a, b = input, other
        if a.dtype == _C.bool:  # bool has no subtraction; PyTorch compares in the default dtype
            a, b = a.to(_C.get_default_dtype()), b.to(_C.get_default_dtype())
        allowed = (b * rtol).abs() + atol
        actual = (a - b).abs()
        return close | (actual.isfinite() & (actual <= allowed))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    check_tensor("allclose", "other", 2, other)
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def equal(input, other):
    """True when both have the same size and elements (NaN is never equal)."""
    check_tensor("equal", "other", 2, other)
    if tuple(input.shape) != tuple(other.shape):
        return False
    with no_grad():
        return bool((input == other).all().item())


_C.Tensor.isclose = isclose
_C.Tensor.allclose = allclose
_C.Tensor.equal = equal
