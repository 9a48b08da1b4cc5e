"""In-place random fills (``uniform_``, ``normal_``, ``random_``, ...) built on
the Philox generator behind ``rand``/``randn``/``randint`` (so ``generator=``
streams are reproducible).

Samples are drawn in float64 and written with ``copy_`` (which casts to the
destination dtype). The write happens in grad mode, so a fill of a tensor
with history gets a zero gradient for the overwritten values, as in PyTorch."""
import math
import warnings

from . import _C
from ._util import cpp_name, is_float, scalar_name
from .autograd.grad_mode import no_grad

_F64 = _C.float64
# (mantissa digits, largest finite value) of the floating dtypes
_FLOAT_INFO = {
    "torch.float16": (11, 65504.0), "torch.bfloat16": (8, 3.3895313892515355e38),
    "torch.float32": (24, 3.4028234663852886e38), "torch.float64": (53, 1.7976931348623157e308),
}
_INT_RANGE = {
    "torch.uint8": (0, 255), "torch.int8": (-128, 127), "torch.int16": (-2 ** 15, 2 ** 15 - 1),
    "torch.int32": (-2 ** 31, 2 ** 31 - 1), "torch.int64": (-2 ** 63, 2 ** 63 - 1), "torch.bool": (0, 1),
}


def _uniform(shape, generator, device=None):
    """float64 samples in [0, 1) (53 random bits), drawn on ``device``'s generator."""
    return _C.rand(*shape, generator=generator, dtype=_F64, device=device)


def _open_uniform(shape, generator, device=None):
    """float64 samples in (0, 1], safe to take the log of."""
    return 1.0 - _uniform(shape, generator, device)


def _fill(self, values):
    self.copy_(values)
    return self


def _need_float(self, kernel):
    if not is_float(self.dtype):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{scalar_name(self.dtype)}\'')


def uniform_(self, from_=0, to=1, *, generator=None, **kw):
    from_ = kw.pop("from", from_)
    _need_float(self, "check_uniform_bounds")
    lo, hi = -_FLOAT_INFO[str(self.dtype)][1], _FLOAT_INFO[str(self.dtype)][1]
    if not lo <= from_ <= hi:
        raise RuntimeError(f"from is out of bounds for {cpp_name(self.dtype)}")
    if not lo <= to <= hi:
        raise RuntimeError(f"to is out of bounds for {cpp_name(self.dtype)}")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    if to - from_ > hi:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{scalar_name(self.dtype)}>::max(), but found "
            f"to={to} and from={from_} which result in to-from to exceed the limit")
    # keep as many random bits as the dtype's mantissa holds (PyTorch does the same), so that
    # U[0, 1) does not round up to 1 when it is cast to float32/half
    digits = _FLOAT_INFO[str(self.dtype)][0]
    u = (_uniform(self.shape, generator, self.device) * 2.0 ** digits).floor() * 2.0 ** -digits
    return _fill(self, u * (to - from_) + from_)


def normal_(self, mean=0, std=1, *, generator=None):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    _need_float(self, "normal_kernel_cpu")
    return _fill(self, _C.randn(*self.shape, generator=generator, dtype=_F64, device=self.device) * std + mean)


def log_normal_(self, mean=1, std=2, *, generator=None):
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    _need_float(self, "log_normal_cpu")
    return _fill(self, (_C.randn(*self.shape, generator=generator, dtype=_F64, device=self.device) * std + mean).exp())


def exponential_(self, lambd=1, *, generator=None):
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    if not is_float(self.dtype):
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a floating "
            f"point but you specified {scalar_name(self.dtype)}")
    return _fill(self, _open_uniform(self.shape, generator, self.device).log() * (-1.0 / lambd))


def cauchy_(self, median=0, sigma=1, *, generator=None):
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    if not is_float(self.dtype):
        raise RuntimeError(
            "Cauchy distribution is a continuous probability distribution. dtype must be a floating point "
            f"but you specified {cpp_name(self.dtype)}")
    u = _uniform(self.shape, generator, self.device)
    return _fill(self, ((u - 0.5) * math.pi).tan() * sigma + median)


def geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    # number of Bernoulli(p) trials up to the first success: ceil(log(U) / log(1 - p)), at least 1
    k = (_open_uniform(self.shape, generator, self.device).log() / math.log1p(-p)).ceil().clamp(min=1)
    return _fill(self, k)


def bernoulli_(self, p=0.5, *, generator=None):
    u = _uniform(self.shape, generator, self.device)
    if isinstance(p, _C.Tensor):
        _check_probs(p)
        p = p.to(_F64).expand(*self.shape)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(self, u < p)


def _check_probs(p):
    if p.is_cuda:  # checked on the host: CUDA has no reductions yet, and PyTorch's kernel asserts the same
        p = p.detach().cpu()
    with no_grad():
        if p.numel() and not bool(((p >= 0) & (p <= 1)).all().item()):
            raise RuntimeError(
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)")


def _random_bounds(self, from_, to):
    """[lo, hi) for random_, with PyTorch's range checks."""
    name = str(self.dtype)
    if is_float(self.dtype):
        digits, fmax = _FLOAT_INFO[name]
        lowest, top = -fmax, fmax
        default_to_inc = 2 ** digits
    else:
        lowest, top = _INT_RANGE[name]
        default_to_inc, digits = top, None
    if to is not None:
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
        to_inc = to - 1
    else:
        to_inc = default_to_inc
    for value, label in ((from_, "from"), (to_inc, "to - 1")):
        if not lowest <= value <= top:
            raise RuntimeError(f"{label} is out of bounds for {cpp_name(self.dtype)}")
    if digits is not None:
        for value, label, line in ((from_, "from", 111), (to_inc, "to - 1", 112)):
            if not -(2 ** digits) <= value <= 2 ** digits:
                warnings.warn(
                    f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                    f"{cpp_name(self.dtype)} can support discrete uniform distribution only within this range. "
                    "This warning will become an error in version 1.7 release, please fix the code in advance",
                    UserWarning, stacklevel=3)
    return from_, to_inc + 1


def random_(self, *args, generator=None, **kw):
    """random_() : [0, 2^mantissa] for floats, [0, max] for integers;
    random_(to) : [0, to); random_(from, to) : [from, to); random_(from, None): [from, max]."""
    if len(args) > 2 or set(kw) - {"from", "to"}:
        raise TypeError("random_() received an invalid combination of arguments")
    if len(args) == 2:
        from_, to = args
    elif len(args) == 1:
        from_, to = (args[0], kw["to"]) if "to" in kw else (0, args[0])
    else:
        from_, to = kw.get("from", 0), kw.get("to")
    if not isinstance(from_, int) or not (to is None or isinstance(to, int)):
        raise TypeError(f"random_() received an invalid combination of arguments - got "
                        f"({type(from_).__name__}, {type(to).__name__})")
    lo, hi = _random_bounds(self, from_, to)
    if hi - lo <= 2 ** 63 - 1:
        v = _C.randint(lo, hi, tuple(self.shape), generator=generator, device=self.device)
    elif hi - lo in (2 ** 63, 2 ** 64):
        # 63 or 64 random bits from two draws; the 64-bit case wraps through the sign bit
        top = _C.randint(0, (hi - lo) >> 32, tuple(self.shape), generator=generator, device=self.device)
        low = _C.randint(0, 2 ** 32, tuple(self.shape), generator=generator, device=self.device)
        v = top.bitwise_left_shift(32).bitwise_or(low)
        if hi - lo == 2 ** 63:
            v = v + lo
    else:
        raise NotImplementedError("random_: ranges wider than 2**63 - 1 values are not supported yet")
    return _fill(self, v)


_C.Tensor.uniform_ = uniform_
_C.Tensor.normal_ = normal_
_C.Tensor.log_normal_ = log_normal_
_C.Tensor.exponential_ = exponential_
_C.Tensor.cauchy_ = cauchy_
_C.Tensor.geometric_ = geometric_
_C.Tensor.bernoulli_ = bernoulli_
_C.Tensor.random_ = random_
