"""Sampling functions: ``bernoulli``, ``multinomial`` and ``poisson`` (drawn
from the same generators as the in-place fills in ``_random``)."""
from . import _C
from ._index_ops import searchsorted
from ._random import _F64, _check_probs, _open_uniform, _uniform, bernoulli_
from ._special import lgamma
from ._util import is_float, scalar_name, write_out
from .autograd.function import Function
from .autograd.grad_mode import no_grad


class Bernoulli(Function):
    """Sampling records a node whose gradient is zero (PyTorch's BernoulliBackward)."""

    @staticmethod
    def forward(ctx, probs, sample):
        ctx.shape, ctx.dtype, ctx.device = tuple(probs.shape), probs.dtype, probs.device
        return sample

    @staticmethod
    def backward(ctx, grad):
        return _C.zeros(ctx.shape, dtype=ctx.dtype, device=ctx.device), None


class Poisson(Bernoulli):
    pass


def bernoulli(input, p=None, *, generator=None, out=None):
    if not is_float(input.dtype):
        raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{scalar_name(input.dtype)}\'')
    if p is None:
        _check_probs(input)
        sample = (_uniform(input.shape, generator, input.device) < input.detach().to(_F64)).to(input.dtype)
    else:
        sample = bernoulli_(_C.empty(*input.shape, dtype=input.dtype, device=input.device), p, generator=generator)
    return write_out(Bernoulli.apply(input, sample), out)


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
            cdf = rows.cumsum(-1)
            cdf = cdf / cdf[:, -1:]
            u = _uniform((rows.shape[0], num_samples), generator)
            r = searchsorted(cdf, u, right=True).clamp(max=n_cat - 1)
        r = r if input.ndim == 2 else r.squeeze(0)
    return write_out(r, out)


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


_C.Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
_C.Tensor.multinomial = multinomial
