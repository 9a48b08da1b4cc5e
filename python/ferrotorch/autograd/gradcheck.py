"""Finite-difference gradient checks; the comparison runs in Rust."""
from .. import _C


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored):
    """True when autograd's Jacobian matches central differences (float64 inputs)."""
    try:
        _C._gradcheck(func, list(_as_tuple(inputs)), eps, atol, rtol)
    except RuntimeError as e:
        if raise_exception:
            raise GradcheckError(str(e)) from None
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored):
    """gradcheck of the first derivatives (with create_graph=True)."""
    gos = None if grad_outputs is None else list(_as_tuple(grad_outputs))
    try:
        _C._gradgradcheck(func, list(_as_tuple(inputs)), gos, eps, atol, rtol)
    except RuntimeError as e:
        if raise_exception:
            raise GradcheckError(str(e)) from None
        return False
    return True
