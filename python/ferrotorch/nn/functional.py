"""``nn.functional``: PyTorch's names and signatures. Heavy kernels (softmax,
convolution, pooling) are fused Rust ops; the rest is composed from
differentiable tensor ops. Sections group the functions by family."""
from .. import _C

# ---------------------------------------------------------------- activations
import math  # noqa: E402  (imports of this section's functions)
import warnings  # noqa: E402


def linear(input, weight, bias=None):
    out = input @ weight.t()
    return out + bias if bias is not None else out


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def _softmax_dim(ndim):
    # PyTorch's implicit choice when dim is None (deprecated there, kept for old code)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.softmax(_softmax_dim(input.dim()) if dim is None else dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.log_softmax(_softmax_dim(input.dim()) if dim is None else dim, dtype=dtype)


# PyTorch's ScalarType names, used in its "not implemented for 'Long'" errors
_SCALAR_NAMES = {
    "torch.float32": "Float", "torch.float64": "Double", "torch.float16": "Half", "torch.bfloat16": "BFloat16",
    "torch.int64": "Long", "torch.int32": "Int", "torch.int16": "Short", "torch.int8": "Char",
    "torch.uint8": "Byte", "torch.bool": "Bool",
}


def _float_only(input, kernel):
    if not input.is_floating_point():
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_SCALAR_NAMES[str(input.dtype)]}\'')


def _apply(input, fn, inplace):
    """Runs ``fn`` out of place; ``inplace`` writes the result back with ``copy_``.
    Under autograd ``fn`` reads a clone, so the write does not invalidate the
    tensors ``fn`` saved for backward (``copy_`` also rejects leaves as PyTorch)."""
    if not inplace:
        return fn(input)
    src = input.clone() if input.requires_grad and _C.is_grad_enabled() else input
    return input.copy_(fn(src))


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_only(input, "GeluKernelImpl")
    if approximate == "tanh":
        inner = (input + input ** 3 * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (inner.tanh() + 1)
    return input * 0.5 * ((input * (1.0 / math.sqrt(2.0))).erf() + 1)


def silu(input, inplace=False):
    _float_only(input, "silu_cpu")
    return _apply(input, lambda x: x * x.sigmoid(), inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _float_only(input, "leaky_relu_cpu")
    # x > 0 picks the slope at 0, as PyTorch's gradient does
    return _apply(input, lambda x: _C.where(x > 0, x, x * negative_slope), inplace)


def _elu(x, alpha, scale, input_scale):
    # expm1 reads x clamped to <= 0 so the unused branch cannot overflow into a NaN gradient
    neg = (x.clamp(max=0) * input_scale).expm1() * (alpha * scale)
    return _C.where(x > 0, x * scale, neg)


def elu(input, alpha=1.0, inplace=False):
    _float_only(input, "elu_cpu")
    return _apply(input, lambda x: _elu(x, alpha, 1.0, 1.0), inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    _float_only(input, "elu_cpu")
    return _apply(input, lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _float_only(input, "elu_cpu")
    return _apply(input, lambda x: _elu(x, alpha, 1.0, 1.0 / alpha), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    _float_only(input, "softplus_cpu")
    bx = input * beta
    # PyTorch's formula; the clamp keeps exp finite in the branch `where` discards
    soft = bx.clamp(max=threshold).exp().log1p() / beta
    return _C.where(bx > threshold, input, soft)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype == _C.bool:
        raise NotImplementedError("Bool inputs not supported for hardtanh")

    def f(x):
        # masked_fill, not clamp: PyTorch's gradient is zero at the bounds themselves
        return x.masked_fill(x <= min_val, min_val).masked_fill(x >= max_val, max_val)

    return _apply(input, f, inplace)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def mish(input, inplace=False):
    _float_only(input, "mish_cpu")
    return _apply(input, lambda x: x * softplus(x).tanh(), inplace)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    _float_only(input, "glu_cpu")
    d = dim + input.dim() if -input.dim() <= dim < 0 else dim
    n = input.size(dim)
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.narrow(dim, 0, n // 2), input.narrow(dim, n // 2, n // 2)
    return a * b.sigmoid()


def hardsigmoid(input, inplace=False):
    _float_only(input, "hardsigmoid_cpu")
    return _apply(input, lambda x: (x / 6 + 0.5).masked_fill(x <= -3, 0.0).masked_fill(x >= 3, 1.0), inplace)


def hardswish(input, inplace=False):
    _float_only(input, "hardswish_cpu")
    # PyTorch's piecewise gradient: 0 for x <= -3, x/3 + 1/2 inside, 1 from x = 3 on
    return _apply(input, lambda x: _C.where(x < 3, x * (x + 3) / 6, x).masked_fill(x <= -3, 0.0), inplace)


def logsigmoid(input):
    _float_only(input, "log_sigmoid_cpu")
    # min(x, 0) - log1p(exp(-|x|)) per branch; each branch's exp sees only values <= 0
    neg = input.clamp(max=0)
    pos = input.clamp(min=0)
    return _C.where(input < 0, neg - neg.exp().log1p(), -(-pos).exp().log1p())


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    # ~(x > threshold) also replaces NaN, as PyTorch's kernel does
    return _apply(input, lambda x: x.masked_fill(~(x > threshold), value), inplace)


def _check_lambd(input, lambd):
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{_SCALAR_NAMES[str(input.dtype)]}, but found {lambd:g}")


def hardshrink(input, lambd=0.5):
    _float_only(input, "hardshrink_cpu")
    _check_lambd(input, lambd)
    return input.masked_fill(input.abs() <= lambd, 0.0)


def softshrink(input, lambd=0.5):
    _float_only(input, "softshrink_check")
    _check_lambd(input, lambd)
    shrunk = input - input.sign() * lambd
    return shrunk.masked_fill(input.abs() <= lambd, 0.0)


def prelu(input, weight):
    channels = input.size(1) if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. "
                           f"Found parameter numbers = {weight.numel()} and channel size = {channels}.")
    if weight.numel() != 1:
        weight = weight.reshape(channels, *([1] * (input.dim() - 2)))
    elif input.dim() > 0:
        weight = weight.reshape(*([1] * input.dim()))
    else:
        weight = weight.reshape(())
    return _C.where(input > 0, input, input * weight)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return (-input).softmax(_softmax_dim(input.dim()) if dim is None else dim, dtype=dtype)


# --------------------------------------------------------------------- losses
def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.dim() == 1:  # unbatched (C,) with a 0-d target
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    if input.dim() < 2:
        raise ValueError(f"Expected 2 or more dimensions (got {input.dim()})")
    if target.dtype != _C.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}")
    if target.dim() != input.dim() - 1 or target.size(0) != input.size(0):
        raise ValueError(f"Expected input batch_size ({input.size(0)}) to match target batch_size ({target.size(0) if target.dim() else 1}).")
    n_classes = input.size(1)
    valid = target != ignore_index
    safe = target.masked_fill(~valid, 0)
    bad = (safe < 0) | (safe >= n_classes)
    if bool(bad.any()):
        raise IndexError(f"Target {int(safe[bad][0])} is out of bounds.")
    picked = -input.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(input.dtype) if weight is None else weight[safe] * valid
    loss = picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    logp = log_softmax(input, class_dim)
    n_classes = input.size(class_dim)
    wshape = [1] * input.dim()
    wshape[class_dim] = n_classes
    if target.is_floating_point():  # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError("Expected target size to match input size for class probabilities")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * target if weight is None else logp * target * weight.view(*wshape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (loss.numel() if input.dim() > 1 else 1)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    # smoothing term: -sum_c w_c * logp_c, zero where the target is ignored
    valid = (target != ignore_index).to(input.dtype)
    wl = logp if weight is None else logp * weight.view(*wshape)
    smooth = -wl.sum(class_dim) * valid
    if reduction == "mean":
        denom = valid.sum() if weight is None else (weight[target.masked_fill(target == ignore_index, 0)] * valid).sum()
        smooth = smooth.sum() / denom
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((input - target) ** 2, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((input - target).abs(), reduction)


# ------------------------------------------- convolution, pooling, fold/unfold


# -------------------------- normalization, embedding, dropout, attention


# ------------------------------------ padding, interpolation, one_hot, distance
