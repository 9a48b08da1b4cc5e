"""Named elementwise methods on Tensor (``t.exp()``, ``t.mul(o)``, ``t.exp_()``),
each a one-line forward to the Rust op table in ``_C``."""
from ._C import Tensor

UNARY = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
    "sigmoid", "erf", "erfc", "erfinv", "reciprocal", "frac", "neg", "negative",
    "abs", "absolute", "sign", "sgn", "relu", "floor", "ceil", "trunc", "fix",
    "isnan", "isinf", "isfinite", "logical_not", "bitwise_not", "square",
]
# ops with no in-place form in PyTorch
_NO_INPLACE = {"isnan", "isinf", "isfinite"}

BINARY = [
    "mul", "multiply", "true_divide", "divide", "floor_divide", "remainder", "fmod", "pow",
    "float_power", "atan2", "arctan2", "maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge",
    "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_left_shift", "bitwise_right_shift", "subtract",
]
_NO_BINARY_INPLACE = {"maximum", "minimum", "fmax", "fmin"}


def _unary(name):
    def method(self):
        return self._unary(name)

    def method_(self):
        return self._unary_(name)

    method.__name__, method_.__name__ = name, name + "_"
    return method, method_


def _binary(name):
    def method(self, other):
        return self._binary(name, other)

    def method_(self, other):
        return self._binary_(name, other)

    method.__name__, method_.__name__ = name, name + "_"
    return method, method_


for _n in UNARY:
    _m, _m_ = _unary(_n)
    setattr(Tensor, _n, _m)
    if _n not in _NO_INPLACE:
        setattr(Tensor, _n + "_", _m_)

for _n in BINARY:
    _m, _m_ = _binary(_n)
    setattr(Tensor, _n, _m)
    if _n not in _NO_BINARY_INPLACE:
        setattr(Tensor, _n + "_", _m_)


def _float_power(self, exponent):
    # float_power always computes in float64
    return self.double()._binary("pow", exponent if not isinstance(exponent, Tensor) else exponent.double())


Tensor.float_power = _float_power


def _get_device(self):
    """Ordinal of a CUDA tensor's device; -1 for CPU tensors."""
    i = self.device.index
    return -1 if i is None else i


Tensor.get_device = _get_device


def _mul_(self, other):
    return self._binary_("mul", other)


Tensor.mul_ = _mul_
Tensor.clamp_min = lambda self, min: self.clamp(min=min)
Tensor.clamp_max = lambda self, max: self.clamp(max=max)
Tensor.clip_ = Tensor.clamp_


class _RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, tensor, hook_id):
        self._tensor, self._id = tensor, hook_id

    def remove(self):
        self._tensor._remove_hook(self._id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _register_hook(self, hook):
    return _RemovableHandle(self, self._register_hook(hook))


Tensor.register_hook = _register_hook
Tensor.__array_priority__ = 1000  # numpy defers `ndarray op tensor` to us


def _deepcopy(self, memo):
    """PyTorch's Tensor.__deepcopy__: leaves only; copies data, requires_grad,
    .grad and Python attributes (Parameter keeps its class via its own hook)."""
    if not self.is_leaf:
        raise RuntimeError(
            "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
            "moment.  If you were attempting to deepcopy a module, this may be because of a "
            "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
    if id(self) in memo:
        return memo[id(self)]
    import copy
    from .autograd import no_grad
    with no_grad():
        new = self.clone()
    new.requires_grad_(self.requires_grad)
    memo[id(self)] = new
    if self.grad is not None:
        new.grad = copy.deepcopy(self.grad, memo)
    return new


Tensor.__deepcopy__ = _deepcopy
