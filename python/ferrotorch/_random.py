"""In-place random fills (``uniform_``, ``normal_``, ...), ``bernoulli``,
``multinomial`` and ``poisson``, built on the Philox generator behind
``rand``/``randn``/``randint`` (so ``generator=`` streams are reproducible).

Samples are drawn in float64 and written with ``copy_`` (which casts to the
destination dtype). The write happens in grad mode, so a fill of a tensor
with history gets a zero gradient for the overwritten values, as in PyTorch."""
import math
import warnings

from . import _C
from ._util import cpp_name, is_float, scalar_name
from .autograd.function import Function
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


def _uniform(shape, generator):
    """float64 samples in [0, 1) (53 random bits)."""
    return _C.rand(*shape, generator=generator, dtype=_F64)


def _open_uniform(shape, generator):
    """float64 samples in (0, 1], safe to take the log of."""
    return 1.0 - _uniform(shape, generator)


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
    return _fill(self, _uniform(self.shape, generator) * (to - from_) + from_)


def normal_(self, mean=0, std=1, *, generator=None):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    _need_float(self, "normal_kernel_cpu")
    return _fill(self, _C.randn(*self.shape, generator=generator, dtype=_F64) * std + mean)


def log_normal_(self, mean=1, std=2, *, generator=None):
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    _need_float(self, "log_normal_cpu")
    return _fill(self, (_C.randn(*self.shape, generator=generator, dtype=_F64) * std + mean).exp())


def exponential_(self, lambd=1, *, generator=None):
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    if not is_float(self.dtype):
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a floating "
            f"point but you specified {scalar_name(self.dtype)}")
    return _fill(self, _open_uniform(self.shape, generator).log() * (-1.0 / lambd))


def cauchy_(self, median=0, sigma=1, *, generator=None):
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    if not is_float(self.dtype):
        raise RuntimeError(
            "Cauchy distribution is a continuous probability distribution. dtype must be a floating point "
            f"but you specified {cpp_name(self.dtype)}")
    u = _uniform(self.shape, generator)
    return _fill(self, ((u - 0.5) * math.pi).tan() * sigma + median)


def geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    # number of Bernoulli(p) trials up to the first success: ceil(log(U) / log(1 - p)), at least 1
    k = (_open_uniform(self.shape, generator).log() / math.log1p(-p)).ceil().clamp(min=1)
    return _fill(self, k)


def bernoulli_(self, p=0.5, *, generator=None):
    u = _uniform(self.shape, generator)
    if isinstance(p, _C.Tensor):
        _check_probs(p)
        p = p.to(_F64).expand(*self.shape)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(self, u < p)


def _check_probs(p):
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
        v = _C.randint(lo, hi, tuple(self.shape), generator=generator)
    elif hi - lo in (2 ** 63, 2 ** 64):
        # 63 or 64 random bits from two draws; the 64-bit case wraps through the sign bit
        top = _C.randint(0, (hi - lo) >> 32, tuple(self.shape), generator=generator)
        low = _C.randint(0, 2 ** 32, tuple(self.shape), generator=generator)
        v = top.bitwise_left_shift(32).bitwise_or(low)
        if hi - lo == 2 ** 63:
            v = v + lo
    else:
        raise NotImplementedError("random_: ranges wider than 2**63 - 1 values are not supported yet")
    return _fill(self, v)


class Bernoulli(Function):
    """Sampling records a node whose gradient is zero (PyTorch's BernoulliBackward)."""

    @staticmethod
    def forward(ctx, probs, sample):
        ctx.shape, ctx.dtype = tuple(probs.shape), probs.dtype
        return sample

    @staticmethod
    def backward(ctx, grad):
        return _C.zeros(ctx.shape, dtype=ctx.dtype), None


class Poisson(Bernoulli):
    pass


def bernoulli(input, p=None, *, generator=None, out=None):
    if not is_float(input.dtype):
        raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{scalar_name(input.dtype)}\'')
    if p is None:
        _check_probs(input)
        sample = (_uniform(input.shape, generator) < input.detach().to(_F64)).to(input.dtype)
    else:
        sample = bernoulli_(_C.empty(*input.shape, dtype=input.dtype), p, generator=generator)
    r = Bernoulli.apply(input, sample)
    if out is not None:
        out.copy_(r)
        return out
    return r


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not is_float(input.dtype):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {scalar_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = input.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n_cat > 2 ** 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    with no_grad():
        p = input.detach().to(_F64)
        rows = p if p.ndim == 2 else p.unsqueeze(0)
        if rows.numel():
            if not bool((rows.isfinite() & (rows >= 0)).all().item()):
                raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
            if bool((rows.sum(-1) <= 0).any().item()):
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if rows.shape[0] == 0:
            r = _C.zeros(0, num_samples, dtype=_C.int64)
        elif not replacement or num_samples == 1:
            # Gumbel-top-k with exponential noise: argmax/topk of p / q, q ~ Exp(1) (as PyTorch's CPU kernel)
            q = _open_uniform(rows.shape, generator).log().neg()
            keys = rows / q
            r = keys.argmax(-1, keepdim=True) if num_samples == 1 else keys.topk(num_samples, -1).indices
        else:
            from ._index_ops import searchsorted
            cdf = rows.cumsum(-1)
            cdf = cdf / cdf[:, -1:]
            u = _uniform((rows.shape[0], num_samples), generator)
            r = searchsorted(cdf, u, right=True).clamp(max=n_cat - 1)
        r = r if input.ndim == 2 else r.squeeze(0)
    if out is not None:
        out.copy_(r)
        return out
    return r


def poisson(input, generator=None):
    if not is_float(input.dtype):
        raise NotImplementedError(f'"poisson_cpu" not implemented for \'{scalar_name(input.dtype)}\'')
    with no_grad():
        lam = input.detach().to(_F64).reshape(-1)
        if lam.numel() and not bool((lam >= 0).all().item()):
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        out = _C.zeros(lam.numel(), dtype=_F64)
        small = (lam < 10).nonzero().reshape(-1)
        large = ((lam >= 10) & lam.isfinite()).nonzero().reshape(-1)
        if small.numel():
            out[small] = _poisson_knuth(lam[small], generator)
        if large.numel():
            out[large] = _poisson_ptrs(lam[large], generator)
        out = _C.where(lam.isinf(), float("inf"), out)
        sample = out.reshape(*input.shape).to(input.dtype)
    return Poisson.apply(input, sample)


def _poisson_knuth(lam, generator):
    """Count uniforms until their running product drops below exp(-lam)."""
    enlam = lam.neg().exp()
    k = _C.zeros(lam.numel(), dtype=_F64)
    prod = _C.ones(lam.numel(), dtype=_F64)
    active = prod > enlam
    while bool(active.any().item()):
        prod = _C.where(active, prod * _uniform(lam.shape, generator), prod)
        active = active & (prod > enlam)
        k = k + active.to(_F64)
    return k


def _poisson_ptrs(lam, generator):
    """Hormann's transformed rejection (PTRS) for lam >= 10, vectorised over
    the rates that are still pending."""
    from ._special import lgamma
    k_out = _C.zeros(lam.numel(), dtype=_F64)
    pending = _C.arange(lam.numel())
    while pending.numel():
        lm = lam[pending]
        slam, loglam = lm.sqrt(), lm.log()
        b = slam * 2.53 + 0.931
        a = b * 0.02483 - 0.059
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        u = _uniform(lm.shape, generator) - 0.5
        v = _uniform(lm.shape, generator)
        us = 0.5 - u.abs()
        k = ((a * 2 / us + b) * u + lm + 0.43).floor()
        quick = (us >= 0.07) & (v <= vr)
        rejected = (k < 0) | ((us < 0.013) & (v > us))
        kk = k.clamp(min=0)
        lhs = v.log() + invalpha.log() - (a / (us * us) + b).log()
        rhs = -lm + kk * loglam - lgamma(kk + 1)
        accept = quick | (rejected.logical_not() & (lhs <= rhs))
        done = accept.nonzero().reshape(-1)
        k_out[pending[done]] = k[done]
        pending = pending[accept.logical_not()]
    return k_out


_C.Tensor.uniform_ = uniform_
_C.Tensor.normal_ = normal_
_C.Tensor.log_normal_ = log_normal_
_C.Tensor.exponential_ = exponential_
_C.Tensor.cauchy_ = cauchy_
_C.Tensor.geometric_ = geometric_
_C.Tensor.bernoulli_ = bernoulli_
_C.Tensor.random_ = random_
_C.Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
_C.Tensor.multinomial = multinomial
