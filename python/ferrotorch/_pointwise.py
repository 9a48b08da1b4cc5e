"""Pointwise composites: ``addcmul``, ``addcdiv``, ``xlogy``, ``logit`` and the
in-place forms PyTorch has for them and for ``lerp``/``nan_to_num``."""
from . import _C
from ._util import inplace, is_float, is_integral, write_out

_ADDCDIV_INT_MSG = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
    "tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value "
    "* tensor1 / tensor2), for all dtypes.")


def _scaled(prod, value, dtype):
    if isinstance(value, bool) or value == 1:
        return prod if value else prod * 0
    if is_integral(dtype):
        value = int(value)  # PyTorch casts value to the integral computation type
    return prod * value


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2"""
    prod = tensor1 * tensor2
    dtype = _C.result_type(input, prod)
    if dtype == _C.bool:
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    return write_out(input + _scaled(prod, value, dtype), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (true division)"""
    if is_integral(tensor1.dtype) and is_integral(tensor2.dtype):
        raise RuntimeError(_ADDCDIV_INT_MSG)
    quot = tensor1 / tensor2
    return write_out(input + _scaled(quot, value, _C.result_type(input, quot)), out)


def xlogy(input, other, *, out=None):
    """input * log(other), defined as 0 where input == 0 unless other is NaN."""
    if not isinstance(input, _C.Tensor) and not isinstance(other, _C.Tensor):
        raise TypeError(
            f"xlogy() received an invalid combination of arguments - got ({type(input).__name__}, "
            f"{type(other).__name__}), but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Number self, Tensor other, *, Tensor out = None)\n * (Tensor input, Number other, *, Tensor out = None)\n")
    dtype = _C.result_type(input, other)
    if not is_float(dtype):
        dtype = _C.get_default_dtype()
    x = input.to(dtype) if isinstance(input, _C.Tensor) else _C.tensor(float(input), dtype=dtype)
    y = other.to(dtype) if isinstance(other, _C.Tensor) else _C.tensor(float(other), dtype=dtype)
    # log(1) = 0 where x == 0 keeps 0 * log(0) from turning into NaN (and NaN gradients)
    y_safe = _C.where((x == 0) & y.isnan().logical_not(), 1.0, y)
    return write_out(x * y_safe.log(), out)


def logit(input, eps=None, *, out=None):
    x = input if is_float(input.dtype) else input.to(_C.get_default_dtype())
    if eps is not None and eps >= 0:
        lo, hi = eps, 1 - eps
        # x < lo ? lo : (x > hi ? hi : x), the kernel's order (matters when eps > 0.5)
        x = _C.where(x < lo, lo, _C.where(x > hi, hi, x))
    return write_out((x / (1 - x)).log(), out)


_C.Tensor.addcmul = addcmul
_C.Tensor.addcdiv = addcdiv
_C.Tensor.xlogy = xlogy
_C.Tensor.logit = logit
_C.Tensor.addcmul_ = lambda self, tensor1, tensor2, *, value=1: inplace(
    self, lambda s: addcmul(s, tensor1, tensor2, value=value), tensor1, tensor2)
_C.Tensor.addcdiv_ = lambda self, tensor1, tensor2, *, value=1: inplace(
    self, lambda s: addcdiv(s, tensor1, tensor2, value=value), tensor1, tensor2)
_C.Tensor.xlogy_ = lambda self, other: inplace(self, lambda s: xlogy(s, other), other)
_C.Tensor.logit_ = lambda self, eps=None: inplace(self, lambda s: logit(s, eps))
_C.Tensor.lerp_ = lambda self, end, weight: inplace(self, lambda s: s.lerp(end, weight), end, weight)
_C.Tensor.nan_to_num_ = lambda self, nan=0.0, posinf=None, neginf=None: inplace(
    self, lambda s: s.nan_to_num(nan, posinf, neginf))
