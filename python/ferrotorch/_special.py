"""``lgamma`` and ``digamma`` composed from differentiable ops (so their
gradients, digamma and trigamma, come from autograd).

Both evaluate in float64: arguments below 10 are shifted up by 10 with the
recurrence, then the Stirling / asymptotic series are used (truncation error
below 1e-15 for z >= 10); arguments below 0.5 use the reflection formulas,
with sin/tan(pi x) evaluated at x - round(x) so poles come out exactly."""
import math

from . import _C
from ._util import inplace, is_float, write_out

_F64 = _C.float64
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_SHIFT = 10


def _prep(input):
    dtype = input.dtype if is_float(input.dtype) else _C.get_default_dtype()
    return input.to(_F64), dtype


def _shifted(y):
    small = y < _SHIFT
    return small, _C.where(small, y, 1.0), _C.where(small, y + _SHIFT, y)


def _lgamma_pos(y):
    """log Gamma(y) for y >= 0.5."""
    small, ys, z = _shifted(y)
    prod = ys
    for i in range(1, _SHIFT):
        prod = prod * (ys + i)
    zi = z.reciprocal()
    zi2 = zi * zi
    series = zi * (1 / 12 + zi2 * (-1 / 360 + zi2 * (1 / 1260 + zi2 * (-1 / 1680 + zi2 * (
        1 / 1188 + zi2 * (-691 / 360360 + zi2 / 156))))))
    stirling = (z - 0.5) * z.log() - z + _HALF_LOG_2PI + series
    return stirling - _C.where(small, prod.log(), 0.0)


def _digamma_pos(y):
    """digamma(y) for y >= 0.5."""
    small, ys, z = _shifted(y)
    corr = ys.reciprocal()
    for i in range(1, _SHIFT):
        corr = corr + (ys + i).reciprocal()
    zi = z.reciprocal()
    zi2 = zi * zi
    series = zi2 * (1 / 12 - zi2 * (1 / 120 - zi2 * (1 / 252 - zi2 * (1 / 240 - zi2 * (
        1 / 132 - zi2 * (691 / 32760 - zi2 / 12))))))
    return z.log() - zi * 0.5 - series - _C.where(small, corr, 0.0)


def _reflect(x):
    """(mask of x < 0.5, 1 - x there and x elsewhere, pi * (x - round(x)) there)."""
    refl = x < 0.5
    y = _C.where(refl, 1.0 - x, x)
    xs = _C.where(refl, x, 0.25)  # keeps the unused branch finite (and its gradient zero)
    return refl, y, (xs - xs.round()) * math.pi


def lgamma(input, *, out=None):
    x, dtype = _prep(input)
    refl, y, pr = _reflect(x)
    ly = _lgamma_pos(y)
    # lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); exact zeros of sin give +inf at the poles
    r = _C.where(refl, (math.pi / pr.sin().abs()).log() - ly, ly)
    return write_out(_C.where(x.isinf(), float("inf"), r).to(dtype), out)


def digamma(input, *, out=None):
    x, dtype = _prep(input)
    refl, y, pr = _reflect(x)
    dy = _digamma_pos(y)
    # digamma(x) = digamma(1 - x) - pi / tan(pi x)
    r = _C.where(refl, dy - math.pi / pr.tan(), dy)
    r = _C.where(x == 0, x.reciprocal().neg(), r)  # -inf at +0, +inf at -0, as PyTorch
    return write_out(_C.where((x < 0) & (x == x.floor()), float("nan"), r).to(dtype), out)


_C.Tensor.lgamma = lgamma
_C.Tensor.digamma = digamma
_C.Tensor.lgamma_ = lambda self: inplace(self, lgamma)
_C.Tensor.digamma_ = lambda self: inplace(self, digamma)
