"""``nn.functional``: PyTorch's names and signatures. Heavy kernels (softmax,
convolution, pooling) are fused Rust ops; the rest is composed from
differentiable tensor ops. Sections group the functions by family."""
from .. import _C

# ---------------------------------------------------------------- activations
import math  # noqa: E402  (imports of this section's functions)
import warnings  # noqa: E402

from .. import autograd as _autograd  # noqa: E402


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
    if input.device.type == "cpu":  # on CUDA, gather reports a bad target at the next sync
        bad = (safe < 0) | (safe >= n_classes)
        if bool(bad.any()):
            raise IndexError(f"Target {int(safe[bad][0])} is out of bounds.")
    picked = -input.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(input.dtype) if weight is None else weight.index_select(0, safe.reshape(-1)).view(safe.shape) * valid
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
        kept = target.masked_fill(target == ignore_index, 0)
        denom = valid.sum() if weight is None else (weight.index_select(0, kept.reshape(-1)).view(kept.shape) * valid).sum()
        smooth = smooth.sum() / denom
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((input - target) ** 2, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((input - target).abs(), reduction)


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = (input - target).abs()
    if beta == 0.0:
        return _reduce(diff, reduction)
    return _reduce(_C.where(diff < beta, diff * diff * (0.5 / beta), diff - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _warn_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = (input - target).abs()
    loss = _C.where(diff < delta, diff * diff * 0.5, (diff - 0.5 * delta) * delta)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _reduce(loss, reduction)


def _not_differentiable(fn, name, t):
    if t is not None and t.requires_grad and _C.is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{name}'. "
                           "This input cannot have requires_grad True.")


def _check_target_dtype(input, target):
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_SCALAR_NAMES[str(target.dtype)]} but expected "
                           f"{_SCALAR_NAMES[str(input.dtype)]}")


class _BinaryCrossEntropy(_autograd.Function):
    """Elementwise BCE with PyTorch's log clamp (>= -100) in forward and its
    backward formula, whose denominator is clamped to 1e-12: inputs that
    saturate at exactly 0 or 1 get finite gradients instead of NaN."""

    @staticmethod
    def forward(ctx, input, target):
        ctx.save_for_backward(input, target)
        log_x = input.log().clamp(min=-100)
        log_1mx = (-input).log1p().clamp(min=-100)
        return -(target * log_x + (1 - target) * log_1mx)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = grad * (input - target) / (input * (1 - input)).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:  # -logit(input)
            grad_target = grad * ((-input).log1p() - input.log())
        return grad_input, grad_target


_BinaryCrossEntropy.__name__ = "BinaryCrossEntropy"  # grad_fn: BinaryCrossEntropyBackward, as PyTorch's


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. "
            "Please ensure they have the same size."
        )
    _float_only(input, "binary_cross_entropy")
    _not_differentiable("binary_cross_entropy", "weight", weight)
    _check_target_dtype(input, target)
    if not input.is_cuda:  # PyTorch checks on the host only for CPU tensors (no sync on a GPU)
        if not bool(((input >= 0) & (input <= 1)).all()):
            raise RuntimeError("all elements of input should be between 0 and 1")
        if not bool(((target >= 0) & (target <= 1)).all()):
            raise RuntimeError("all elements of target should be between 0 and 1")
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _float_only(input, "log_sigmoid_cpu")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    # PyTorch's form: (1 - t) x - w_log * logsigmoid(x), w_log = 1 + (pos_weight - 1) t
    log_sig = logsigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0; log reads 1 there so its gradient stays finite
        loss = target * _C.where(target == 0, 1.0, target).log() - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.size(0) if input.dim() != 0 else total
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    tdim = target.dim()
    if tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != tdim + 1 or input2.dim() != tdim + 1:
        raise RuntimeError(
            f"{tdim}D target tensor expects {tdim + 1}D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    eps = 1e-12  # PyTorch's EPSILON, added to both squared magnitudes
    prod = (input1 * input2).sum(tdim)
    mag1 = (input1 * input1).sum(tdim) + eps
    mag2 = (input2 * input2).sum(tdim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    pos = _C.where(target == 1, 1 - cos, 0.0)
    neg = _C.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, po, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == po == n:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
            f"but got: anchor {a}D, positive {po}D, and negative {n}D inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


# ------------------------------------------- convolution, pooling, fold/unfold
def _seq(v, n):
    """An int or a sequence as a list of n ints (PyTorch's _ntuple)."""
    if isinstance(v, (list, tuple)):
        return [int(x) for x in v]
    return [int(v)] * n


def _pad_arg(padding, n):
    return padding if isinstance(padding, str) else _seq(padding, n)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _C.convolution(input, weight, bias, _seq(stride, 1), _pad_arg(padding, 1), _seq(dilation, 1),
                          False, [0], groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _C.convolution(input, weight, bias, _seq(stride, 2), _pad_arg(padding, 2), _seq(dilation, 2),
                          False, [0, 0], groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _C.convolution(input, weight, bias, _seq(stride, 1), _seq(padding, 1), _seq(dilation, 1),
                          True, _seq(output_padding, 1), groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _C.convolution(input, weight, bias, _seq(stride, 2), _seq(padding, 2), _seq(dilation, 2),
                          True, _seq(output_padding, 2), groups)


def _stride(stride, kernel_size, n):
    # PyTorch: stride=None (or an empty list) means the kernel size
    return [] if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _seq(stride, n)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _C._max_pool(input, 1, _seq(kernel_size, 1), _stride(stride, kernel_size, 1), _seq(padding, 1),
                        _seq(dilation, 1), ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _C._max_pool(input, 2, _seq(kernel_size, 2), _stride(stride, kernel_size, 2), _seq(padding, 2),
                        _seq(dilation, 2), ceil_mode)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _C._avg_pool(input, 1, _seq(kernel_size, 1), _stride(stride, kernel_size, 1), _seq(padding, 1),
                        ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _C._avg_pool(input, 2, _seq(kernel_size, 2), _stride(stride, kernel_size, 2), _seq(padding, 2),
                        ceil_mode, count_include_pad, divisor_override)


def _adaptive_size(input, output_size, n):
    # None entries keep the input's size along that dim
    sizes = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size] * n
    if len(sizes) != n:
        raise ValueError(f"adaptive pooling: output_size must be an int or a tuple of {n} ints, got {output_size}")
    return [input.shape[input.dim() - n + i] if s is None else int(s) for i, s in enumerate(sizes)]


def adaptive_avg_pool1d(input, output_size):
    return _C._adaptive_avg_pool(input, _adaptive_size(input, output_size, 1))


def adaptive_avg_pool2d(input, output_size):
    return _C._adaptive_avg_pool(input, _adaptive_size(input, output_size, 2))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out = _C._adaptive_max_pool(input, _adaptive_size(input, output_size, 1))
    return out if return_indices else out[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out = _C._adaptive_max_pool(input, _adaptive_size(input, output_size, 2))
    return out if return_indices else out[0]


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    return _C._unfold(input, _seq(kernel_size, 2), _seq(dilation, 2), _seq(padding, 2), _seq(stride, 2))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    return _C._fold(input, _seq(output_size, 2), _seq(kernel_size, 2), _seq(dilation, 2), _seq(padding, 2),
                    _seq(stride, 2))



# -------------------------- normalization, embedding, dropout, attention
import math as _math
import warnings as _warnings

from ..autograd.grad_mode import no_grad as _no_grad


def bilinear(input1, input2, weight, bias=None):
    # y_k = x1^T A_k x2 + b_k: one matmul against A laid out as (in1, out*in2)
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        for d, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
            if a != b:
                raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {a} and {b}")
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {input1.dim() - 1} and {input2.dim() - 1}")
    out_f, in1, in2 = weight.shape
    if input1.size(-1) != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.size(-1)} but expected {in1}")
    if input2.size(-1) != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.size(-1)} but expected {in2}")
    if bias is not None and bias.numel() != out_f:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.numel()} but expected {out_f}")
    lead = tuple(input1.shape[:-1])
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).view(x1.size(0), out_f, in2)
    out = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, out_f)


def _verify_batch_size(size):
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _check_channel_vector(t, name, channels):
    if t is not None and t.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")


def _norm_dtypes(input, *params):
    """float32 parameters may normalise half/bfloat16 input (computed in
    float32, as PyTorch's CPU kernels accumulate); other dtypes must agree.
    Returns the compute dtype."""
    low = input.dtype in (_C.float16, _C.bfloat16)
    for p in params:
        if p is not None and p.dtype != input.dtype and not (low and p.dtype == _C.float32):
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return _C.float32 if low else input.dtype


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    c = input.size(1)
    for t, name in ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"), (running_var, "running_var")):
        _check_channel_vector(t, name, c)
    dtype = _norm_dtypes(input, weight, bias, running_mean, running_var)
    x = input.to(dtype)
    shape = [1, c] + [1] * (input.dim() - 2)
    if training:
        dims = [0] + list(range(2, input.dim()))
        mean = x.mean(dims, keepdim=True)
        var = x.var(dims, unbiased=False, keepdim=True)  # normalisation uses the biased variance
        with _no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(c).to(running_mean.dtype) * momentum)
            if running_var is not None:
                n = input.numel() // c
                unbiased = var.detach().reshape(c) * (n / (n - 1))
                running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
    else:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if running_var is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
        mean, var = running_mean.view(shape).to(dtype), running_var.view(shape).to(dtype)
    out = (x - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.to(dtype).view(shape)
    if bias is not None:
        out = out + bias.to(dtype).view(shape)
    return out.to(input.dtype)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    n = len(shape)
    if input.dim() < n or tuple(input.shape[input.dim() - n:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    dtype = _norm_dtypes(input, weight, bias)
    x = input.to(dtype)
    dims = tuple(range(-n, 0))
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, unbiased=False, keepdim=True)
    out = (x - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.to(dtype)
    if bias is not None:
        out = out + bias.to(dtype)
    return out.to(input.dtype)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] + list(input.shape[2:]))
    n, c = input.size(0), input.size(1)
    if c % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(input.shape)}")
    dtype = _norm_dtypes(input, weight, bias)
    x = input.to(dtype).reshape(n, num_groups, c // num_groups * _math.prod(input.shape[2:]))
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    out = ((x - mean) * (var + eps).rsqrt()).reshape(input.shape)
    shape = [1, c] + [1] * (input.dim() - 2)
    if weight is not None:
        out = out * weight.to(dtype).view(shape)
    if bias is not None:
        out = out + bias.to(dtype).view(shape)
    return out.to(input.dtype)


_INDEX_DTYPES = (_C.int64, _C.int32)


def _check_indices(indices, fn):
    if indices.dtype not in _INDEX_DTYPES:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {indices.type()} instead (while checking arguments for {fn})")


def _no_grad_embedding_renorm_(weight, input, max_norm, norm_type):
    # rescale each referenced row whose norm exceeds max_norm (PyTorch's embedding_renorm_)
    with _no_grad():
        # repeated indices rewrite a row with the same value: no unique() (a host sync on a GPU)
        idx = input.reshape(-1)
        if idx.numel() == 0:
            return weight
        rows = weight.index_select(0, idx)
        norms = rows.norm(norm_type, dim=1)
        scale = _C.where(norms > max_norm, max_norm / (norms + 1e-7), _C.full_like(norms, 1.0))
        weight.scatter_(0, idx.unsqueeze(1).expand(-1, weight.size(1)), rows * scale.unsqueeze(1))
    return weight


def _lookup(weight, flat, grad_scale=None, keep=None):
    """``weight[flat]`` whose gradient rows are multiplied by ``grad_scale``
    and dropped where ``keep`` is False; the forward values are unchanged
    (rows_d + (rows - rows_d) * s is exactly rows)."""
    rows = weight.index_select(0, flat)
    if not rows.requires_grad:
        return rows
    rows_d = rows.detach()
    if grad_scale is not None:
        rows = rows_d + (rows - rows_d) * grad_scale.unsqueeze(1)
    if keep is not None:
        rows = _C.where(keep.unsqueeze(1), rows, rows_d)
    return rows


def _freq_scale(flat, dtype, num):
    # 1 / (occurrences of each index), counted on the indices' device
    counts = _C.zeros(num, dtype=_C.int64, device=flat.device)
    counts.index_add_(0, flat, _C.ones(flat.numel(), dtype=_C.int64, device=flat.device))
    return counts.to(dtype).reciprocal().index_select(0, flat)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= weight.size(0):
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by ferrotorch (no sparse tensors)")
    _check_indices(input, "embedding")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    flat = input.reshape(-1)
    if flat.is_cuda:
        # no host check (a sync): index_select's kernel reports out-of-range indices at the next
        # synchronization, like PyTorch's device-side assert; negative ones are made out of range
        flat = flat.masked_fill(flat < 0, weight.size(0))
    elif flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= weight.size(0)):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _no_grad_embedding_renorm_(weight, input, max_norm, norm_type)
    scale = _freq_scale(flat, weight.dtype, weight.size(0)) if scale_grad_by_freq else None
    keep = None if padding_idx is None else flat != padding_idx  # the padding row gets no gradient
    return _lookup(weight, flat, scale, keep).view(*input.shape, weight.size(1))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
                         f"then it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        bags = [input.size(1) * b for b in range(input.size(0))]
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        bags = None if input.is_cuda and mode in ("sum", "mean") else offsets.tolist()
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    _check_indices(input, "embedding_bag")
    if max_norm is not None:
        _no_grad_embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported by ferrotorch (no sparse tensors)")
    num, n = weight.size(0), input.numel()
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-num} through {num - 1}, but got {padding_idx}")
        padding_idx %= num
    if input.is_cuda:
        # no host checks (syncs): index_select's kernel reports bad indices at the next synchronization
        input = input.masked_fill(input < 0, num)
        if bags is None:
            return _embedding_bag_segments(input, weight, offsets.long(), mode, per_sample_weights,
                                           include_last_offset, padding_idx, scale_grad_by_freq)
    if bags and bags[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {bags[0]}")
    if bags and bags[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {bags[-1]}")
    if any(b > a for a, b in zip(bags[1:], bags)):
        raise RuntimeError("embedding_bag: offsets have to be a non-decreasing sequence")
    if n and not input.is_cuda:
        lo, hi = int(input.min()), int(input.max())
        bad = lo if lo < 0 else hi
        if lo < 0 or hi >= num:
            pos = int((input == bad).nonzero()[0, 0])
            raise RuntimeError(f"Index {pos} of input takes value {bad} which is not in the valid range [0, {num})")
    starts = bags[:-1] if include_last_offset else bags
    ends = bags[1:] if include_last_offset else bags[1:] + [n]
    lengths = [e - s for s, e in zip(starts, ends)]
    width = max(lengths, default=0)
    nbags, dim = len(starts), weight.size(1)
    dev = weight.device
    if width == 0 or n == 0:
        return _C.zeros(nbags, dim, dtype=weight.dtype, device=dev)
    # gather each bag into a row of a (bags, width) grid; cells past a bag's end are masked out
    col = _C.arange(width, device=dev).unsqueeze(0)
    pos = (_C.tensor(starts, device=dev).unsqueeze(1) + col).clamp(max=n - 1)
    valid = col < _C.tensor(lengths, device=dev).unsqueeze(1)
    idx = input[pos]
    if padding_idx is not None:
        valid = valid & (idx != padding_idx)
    scale = _freq_scale(input, weight.dtype, num)[pos].reshape(-1) if scale_grad_by_freq else None
    rows = _lookup(weight, idx.reshape(-1), scale).view(nbags, width, dim)
    mask = (~valid).unsqueeze(2)
    if mode == "max":
        out = rows.masked_fill(mask, float("-inf")).max(1).values
        return out.masked_fill(~valid.any(1, keepdim=True), 0.0)
    rows = rows.masked_fill(mask, 0.0)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[pos].unsqueeze(2)
    out = rows.sum(1)
    if mode == "mean":
        out = out / valid.sum(1, keepdim=True).clamp(min=1).to(out.dtype)
    return out


def _embedding_bag_segments(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                            scale_grad_by_freq):
    """embedding_bag's sum/mean for 1-D input with device offsets, never reading them on the host:
    an element's bag is the number of bag starts at or before it, minus one."""
    n, num, dim, dev = input.numel(), weight.size(0), weight.size(1), input.device
    nbags = offsets.numel() - (1 if include_last_offset else 0)
    if nbags <= 0 or n == 0:
        return _C.zeros(max(nbags, 0), dim, dtype=weight.dtype, device=dev)
    marks = _C.zeros(n + 1, dtype=_C.int64, device=dev)
    marks.index_add_(0, offsets[:nbags].clamp(0, n), _C.ones(nbags, dtype=_C.int64, device=dev))
    bag = marks.cumsum(0)[:n] - 1
    valid = bag >= 0
    if include_last_offset:  # elements past the last offset belong to no bag
        valid = valid & (_C.arange(n, device=dev) < offsets[nbags])
    if padding_idx is not None:
        valid = valid & (input != padding_idx)
    scale = _freq_scale(input, weight.dtype, num) if scale_grad_by_freq else None
    w = valid.to(weight.dtype)
    if per_sample_weights is not None:
        w = w * per_sample_weights
    rows = _lookup(weight, input, scale) * w.unsqueeze(1)
    bag = bag.clamp(min=0)
    out = _C.zeros(nbags, dim, dtype=weight.dtype, device=dev).index_add(0, bag, rows)
    if mode == "mean":
        counts = _C.zeros(nbags, dtype=weight.dtype, device=dev).index_add(0, bag, valid.to(weight.dtype))
        out = out / counts.clamp(min=1).unsqueeze(1)
    return out


def _check_dropout_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input, p, training, inplace, feature=False, alpha=False):
    """ATen's _dropout_impl: keep each element (or whole channel when
    ``feature``) with probability 1-p and rescale; alpha dropout keeps
    SELU's self-normalising mean and variance instead."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = _C.zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(zero) if inplace else input * zero
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = [input.size(0), input.size(1)] + [1] * (input.dim() - 2)
    else:
        shape = list(input.shape)
    # the mask is drawn in float32 at least: half types keep too few random bits for p
    mask_dtype = _C.float64 if input.dtype == _C.float64 else _C.float32
    keep = (_C.rand(*shape, dtype=mask_dtype, device=input.device) >= p).to(input.dtype)
    if not alpha:
        noise = keep * (1.0 / (1 - p))
        return input.mul_(noise) if inplace else input * noise
    a_ = 1.7580993408473766
    a = 1.0 / _math.sqrt((a_ * a_ * p + 1) * (1 - p))
    b = (keep - 1) * (a_ * a) + a_ * a * p
    noise = keep * a
    return input.mul_(noise).add_(b) if inplace else input * noise + b


def dropout(input, p=0.5, training=True, inplace=False):
    _check_dropout_p(p)
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_dropout_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_dropout_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def _feature_dropout_unbatched(input, p, training, inplace, batched):
    if batched:
        return _dropout_impl(input, p, training, inplace, feature=True)
    x = input.unsqueeze(0)
    out = _dropout_impl(x, p, training, False, feature=True).squeeze(0)
    return input.copy_(out) if inplace and out is not input else out


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_dropout_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout_unbatched(input, p, training, inplace, input.dim() == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_dropout_p(p)
    d = input.dim()
    if d not in (3, 4):
        _warnings.warn(f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and will result in an "
                       "error in a future release. To retain the behavior and silence this warning, please use "
                       "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                       "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                       "inputs).", stacklevel=2)
    if d == 3:  # PyTorch still reads 3-D input as (N, C, L)
        _warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                       "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                       "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                       "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                       "dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_dropout_p(p)
    d = input.dim()
    if d not in (4, 5):
        _warnings.warn(f"dropout3d: Received a {d}-D input to dropout3d, which is deprecated and will result in an "
                       "error in a future release. To retain the behavior and silence this warning, please use "
                       "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                       "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                       "inputs).", stacklevel=2)
    return _feature_dropout_unbatched(input, p, training, inplace, d == 5)


def _safe_softmax(scores, dim=-1):
    # rows masked entirely with -inf give 0 (not NaN) and pass no gradient
    # (no host check for dead rows: masking with an all-False mask changes nothing, and a GPU need not sync)
    dead = (scores == float("-inf")).all(dim, keepdim=True)
    return scores.masked_fill(dead, 0.0).softmax(dim).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_dtype_name(query.dtype)} key.dtype: {_dtype_name(key.dtype)} and value.dtype: "
                           f"{_dtype_name(value.dtype)} instead.")
    if attn_mask is not None and attn_mask.dtype not in (_C.bool, query.dtype):
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_dtype_name(attn_mask.dtype)} and  query.dtype: "
                           f"{_dtype_name(query.dtype)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    L, S = query.size(-2), key.size(-2)
    scale = 1.0 / _math.sqrt(query.size(-1)) if scale is None else scale
    if enable_gqa and query.dim() >= 3:
        hq, hk, hv = query.size(-3), key.size(-3), value.size(-3)
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hv, dim=-3)
    scores = (query * scale) @ key.transpose(-2, -1)
    if is_causal:
        attn_mask = _C.ones(L, S, dtype=_C.bool, device=query.device).tril()
    if attn_mask is not None:
        if attn_mask.dtype == _C.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


_DTYPE_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int", "float16": "c10::Half",
                "bfloat16": "c10::BFloat16", "bool": "bool", "int16": "short int", "int8": "signed char",
                "uint8": "unsigned char"}


def _dtype_name(dtype):
    # C++ scalar type names, as PyTorch's SDPA messages print them
    name = str(dtype).replace("torch.", "")
    return _DTYPE_NAMES.get(name, name)


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """Bool masks (True = masked out) become additive float masks with -inf."""
    if mask is None:
        return None
    if mask.dtype != _C.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        _warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                       "instead.", stacklevel=3)
    if not mask.is_floating_point():
        mask = _C.zeros(*mask.shape, dtype=target_type, device=mask.device).masked_fill(mask, float("-inf"))
    return mask


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, _C.Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _in_projection_packed(q, k, v, w, b=None):
    e = q.size(-1)
    if k is v and q is k:  # self-attention: one matmul
        return linear(q, w, b).unflatten(-1, (3, e)).unbind(-2)
    if k is v:  # encoder-decoder attention: keys and values share one matmul
        w_q, w_kv = w.split([e, 2 * e])
        b_q, b_kv = (None, None) if b is None else b.split([e, 2 * e])
        kv = linear(k, w_kv, b_kv)
        return (linear(q, w_q, b_q),) + tuple(kv.unflatten(-1, (2, e)).unbind(-2))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    eq, ek, ev = q.size(-1), k.size(-1), v.size(-1)
    for w, shape, name in ((w_q, (eq, eq), "query"), (w_k, (eq, ek), "key"), (w_v, (eq, ev), "value")):
        if tuple(w.shape) != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got {w.shape}")
    for b, name in ((b_q, "query"), (b_k, "key"), (b_v, "value")):
        if b is not None and tuple(b.shape) != (eq,):
            raise AssertionError(f"expecting {name} bias shape of {(eq,)}, but got {b.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.size(0)
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # SDPA builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for w, n in ((q_proj_weight, "q"), (k_proj_weight, "k"), (v_proj_weight, "v")):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {n}_proj_weight is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(bsz * num_heads, tgt_len, src_len)}.")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = _C.cat([k, bias_k.repeat(1, bsz, 1)])
        v = _C.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads become part of the batch: (bsz * num_heads, seq, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.size(0), bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_k.size(0) != bsz * num_heads:
            raise AssertionError(f"expecting static_k.size(0) of {bsz * num_heads}, but got {static_k.size(0)}")
        if static_k.size(2) != head_dim:
            raise AssertionError(f"expecting static_k.size(2) of {head_dim}, but got {static_k.size(2)}")
        k = static_k
    if static_v is None:
        v = v.reshape(v.size(0), bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_v.size(0) != bsz * num_heads:
            raise AssertionError(f"expecting static_v.size(0) of {bsz * num_heads}, but got {static_v.size(0)}")
        if static_v.size(2) != head_dim:
            raise AssertionError(f"expecting static_v.size(2) of {head_dim}, but got {static_v.size(2)}")
        v = static_v
    if add_zero_attn:
        zeros = _C.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k, v = _C.cat([k, zeros], 1), _C.cat([v, zeros.to(v.dtype)], 1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.size(1)

    if key_padding_mask is not None:
        if key_padding_mask.size(0) != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.size(0)}")
        if key_padding_mask.size(1) != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got {key_padding_mask.size(1)}")
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        scores = (q * _math.sqrt(1.0 / float(head_dim))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, out_proj_weight.size(0))
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.size(0) == 1 else attn_mask.view(bsz, num_heads, attn_mask.size(1), src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, out_proj_weight.size(0))
    if not is_batched:
        out = out.squeeze(1)
    return out, None



# ------------------------------------ padding, interpolation, one_hot, distance
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    # PyTorch adds eps to the difference (not to the norm) and reduces the last dim of the broadcast
    dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, dim, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    dtype = _C.result_type(x1, x2)
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_SCALAR_NAMES[str(dtype)]}")
    x1, x2 = _C.broadcast_tensors(x1.to(dtype), x2.to(dtype))
    # PyTorch clamps the norms to eps under no_grad: the clamp sets values, gradients
    # flow as if unclamped (n - n.detach() is an exact zero carrying the gradient)
    n1, n2 = x1.norm(2, dim, True), x2.norm(2, dim, True)
    n1 = n1.detach().clamp(min=eps) + (n1 - n1.detach())
    n2 = n2.detach().clamp(min=eps) + (n2 - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype != _C.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    if tensor.is_cuda:
        # as PyTorch on a GPU: no host checks; scatter's kernel reports bad classes at the next
        # synchronization (negative ones are made out of range first)
        idx = tensor.masked_fill(tensor < 0, max(num_classes, 0)).unsqueeze(-1)
        out = _C.zeros(tuple(tensor.shape) + (max(num_classes, 0),), dtype=_C.int64, device=tensor.device)
        return out.scatter_(-1, idx, 1)
    if tensor.numel() and int(tensor.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if tensor.numel() and int(tensor.max()) >= num_classes or num_classes < 1 and tensor.numel():
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == _C.arange(max(num_classes, 0))).long()


_PAD_MODES = ("constant", "reflect", "replicate", "circular")
_PAD_LABELS = ("W", "H", "D")  # the padded dims, last first


def _narrow(x, d, start, length):
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    return x.narrow(d, start, length)


def _pad_constant(x, pairs, value):
    for i, (left, right) in enumerate(pairs):
        d = x.dim() - 1 - i
        # negative pads crop first, left then right, as PyTorch's constant_pad_nd
        if left < 0:
            x = _narrow(x, d, -left, x.size(d) + left)
        if right < 0:
            x = _narrow(x, d, 0, x.size(d) + right)
        parts = []
        for amount in (left, right):
            shape = list(x.shape)
            shape[d] = max(amount, 0)
            parts.append(_C.full(tuple(shape), value, dtype=x.dtype, device=x.device) if amount > 0 else None)
        parts = [p for p in (parts[0], x, parts[1]) if p is not None]
        x = _C.cat(parts, d) if len(parts) > 1 else x
    return x


def _pad_indices(mode, n, left, right):
    """Source index of every output position along one padded dim."""
    out = n + left + right
    if mode == "reflect":  # about the original edges; negative pads only crop
        return [abs(u) if u < n else 2 * (n - 1) - u for u in range(-left, n + right)]
    if mode == "replicate":
        return [min(max(u, 0), n - 1) for u in range(-left, n + right)]
    # circular: crop by the negative pads, then wrap around the cropped core
    start, m = max(-left, 0), n - max(-left, 0) - max(-right, 0)
    if out > 0 and m <= 0:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    return [start + (j - max(left, 0)) % m for j in range(out)]


def _check_pad_sizes(x, mode, pairs):
    k = len(pairs)
    shape = list(x.shape)
    spatial = shape[-k:][::-1]  # W, H, D
    outs = [n + l + r for n, (l, r) in zip(spatial, pairs)]
    if mode == "circular":
        for n, (left, right), o in zip(spatial, pairs, outs):
            if left > n or right > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if o < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return
    if any(s == 0 for s in shape[1 if x.dim() == k + 2 else 0:]):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {shape}")
    if mode == "reflect":
        for i, (n, (left, right)) in enumerate(zip(spatial, pairs)):
            if left >= n or right >= n:
                raise RuntimeError(
                    f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input dimension, "
                    f"but got: padding ({left}, {right}) at dimension {x.dim() - 1 - i} of input {shape}")
    if min(outs) < 1:
        if k == 1:
            raise RuntimeError(f"input (W: {spatial[0]}) is too small. Calculated output W: {outs[0]}")
        labels = _PAD_LABELS[:k][::-1]
        got = " ".join(f"{lab}: {o}" for lab, o in zip(labels, outs[::-1]))
        inp = ", ".join(f"{lab}: {n}" for lab, n in zip(labels, spatial[::-1]))
        raise RuntimeError(f"Calculated output {got} must be >= 1 in every dimension (input {inp})")


def pad(input, pad, mode="constant", value=None):
    for i, p in enumerate(pad):
        if not isinstance(p, int):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                            f"type {type(p).__name__} at pos {i}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]  # pairs[i] pads dim -1 - i
    if mode == "constant":
        return _pad_constant(input, pairs, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pairs)
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    _check_pad_sizes(input, mode, pairs)
    out = input
    for i, (left, right) in enumerate(pairs):
        d = input.dim() - 1 - i
        idx = _pad_indices(mode, input.size(d), left, right)
        out = out.index_select(d, _C.tensor(idx, dtype=_C.int64, device=input.device))
    return out


_INTERP_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _source_scale(n_in, n_out, scale, align_corners, dtype):
    """PyTorch's area_pixel_compute_scale in the kernel's compute dtype (a 0-d tensor)."""
    if align_corners:
        return _C.tensor(float(n_in - 1), dtype=dtype) / (n_out - 1) if n_out > 1 else _C.tensor(0.0, dtype=dtype)
    if scale is not None and scale > 0:
        return _C.tensor(1.0 / scale, dtype=dtype)
    return _C.tensor(float(n_in), dtype=dtype) / n_out


def _nearest_taps(n_in, n_out, scale, exact, device):
    if not exact and n_out == n_in:
        return [(_C.arange(n_out, device=device), None)]
    if not exact and n_out == 2 * n_in:
        return [(_C.arange(n_out, device=device) // 2, None)]
    s = _source_scale(n_in, n_out, scale, False, _C.float32)  # PyTorch computes nearest indices in float
    j = _C.arange(n_out, dtype=_C.float32, device=device)
    src = ((j.double() + 0.5) * s.double()).float() if exact else j * s
    return [(src.floor().long().clamp(max=n_in - 1), None)]


def _linear_taps(n_in, n_out, scale, align_corners, dtype, device):
    if n_out == n_in:
        return [(_C.arange(n_out, device=device), None)]
    s = _source_scale(n_in, n_out, scale, align_corners, dtype)
    j = _C.arange(n_out, dtype=dtype, device=device)
    src = j * s if align_corners else ((j + 0.5) * s - 0.5).clamp(min=0)
    i0 = src.floor().long().clamp(max=n_in - 1)
    lam = (src - i0.to(dtype)).clamp(0, 1)
    i1 = i0 + (i0 < n_in - 1).long()
    return [(i0, 1 - lam), (i1, lam)]


def _cubic_taps(n_in, n_out, scale, align_corners, dtype, device):
    s = _source_scale(n_in, n_out, scale, align_corners, dtype)
    j = _C.arange(n_out, dtype=dtype, device=device)
    src = j * s if align_corners else (j + 0.5) * s - 0.5  # not clamped at 0 for cubic
    i0 = src.floor().long().clamp(max=n_in - 1)
    t = (src - i0.to(dtype)).clamp(0, 1)
    a = -0.75  # PyTorch's (and OpenCV's) cubic convolution constant

    def near(x):  # |x| <= 1
        return ((x * (a + 2) - (a + 3)) * x * x) + 1

    def far(x):  # 1 < |x| < 2
        return ((x * a - 5 * a) * x + 8 * a) * x - 4 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    return [((i0 + (k - 1)).clamp(0, n_in - 1), w) for k, w in enumerate(weights)]


def _area_taps(n_in, n_out, device):
    # adaptive average pooling: output i averages [floor(i*in/out), ceil((i+1)*in/out))
    taps = []
    starts = [(i * n_in) // n_out for i in range(n_out)]
    ends = [-((-(i + 1) * n_in) // n_out) for i in range(n_out)]
    width = max(e - s for s, e in zip(starts, ends))
    for k in range(width):  # tap k reads start + k, weighted 1/len where inside the window
        idx = [min(s + k, e - 1) for s, e in zip(starts, ends)]
        w = [1.0 / (e - s) if s + k < e else 0.0 for s, e in zip(starts, ends)]
        taps.append((_C.tensor(idx, dtype=_C.int64, device=device), _C.tensor(w, dtype=_C.float64, device=device)))
    return taps


def _apply_taps(x, d, taps):
    out = None
    shape = [1] * x.dim()
    shape[d] = -1
    for idx, w in taps:
        term = x.index_select(d, idx)
        if w is not None:
            term = term * w.to(x.dtype).view(*shape)
        out = term if out is None else out + term
    return out


def _interp_sizes(input, size, scale_factor, recompute_scale_factor):
    nd = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {spatial} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(s, int) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            out = list(size)
        else:
            if not isinstance(size, int):
                raise TypeError(f"expected size to be an int or a tuple of ints, but got {type(size).__name__}")
            out = [size] * nd
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, [None] * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != nd:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please provide input "
                "tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * nd
    out = [int(math.floor(n * s)) if recompute_scale_factor else int(n * s) for n, s in zip(spatial, scales)]
    # recompute_scale_factor: the kernel derives the scale from the integer sizes instead
    return out, [None] * nd if recompute_scale_factor else scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if not 3 <= input.dim() <= 5:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: {_INTERP_MODES} (got {mode})")
    # "area" always derives its scale from the output size, like PyTorch
    recompute = recompute_scale_factor or (mode == "area" and size is None)
    out_sizes, scales = _interp_sizes(input, size, scale_factor, recompute)
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                             "requires a 4-D tensor as input")
        raise NotImplementedError("interpolate(antialias=True) is not supported by ferrotorch yet")
    nd = input.dim() - 2
    if mode in _LINEAR_DIMS and _LINEAR_DIMS[mode] != nd or mode == "bicubic" and nd != 2:
        if mode == "bicubic":
            raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                      f"for the modes: {_INTERP_MODES} (got {mode})")
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_LINEAR_DIMS[mode] + 2}D input")
    if mode not in ("nearest", "nearest-exact", "area", "bicubic") and mode not in _LINEAR_DIMS:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: {_INTERP_MODES} (got {mode})")
    spatial = list(input.shape[2:])
    if min(spatial + out_sizes) <= 0:
        labels = _PAD_LABELS[:nd][::-1]
        i_txt = ", ".join(f"{lab}: {n}" for lab, n in zip(labels, spatial))
        o_txt = ", ".join(f"{lab}: {n}" for lab, n in zip(labels, out_sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({i_txt})"
                           f"{' and' if nd == 1 else ''} output ({o_txt})")
    if input.size(1) == 0:
        raise RuntimeError(f"Non-empty {input.dim()}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    nearest = mode in ("nearest", "nearest-exact")
    if not input.is_floating_point() and not (nearest and input.dtype == _C.uint8):
        kernel = "compute_indices_weights_nearest" if nearest else f"compute_indices_weights_{'cubic' if mode == 'bicubic' else 'linear'}"
        if mode == "area":
            kernel = "adaptive_avg_pool2d"
        _float_only(input, kernel)
    # the kernel's compute dtype: float for float32/16 inputs, double for double
    cdt = _C.float64 if input.dtype == _C.float64 else _C.float32
    out = input
    for i in range(nd):
        d, n_in, n_out, s = 2 + i, spatial[i], out_sizes[i], scales[i]
        if nearest:
            taps = _nearest_taps(n_in, n_out, s, mode == "nearest-exact", input.device)
        elif mode == "area":
            taps = _area_taps(n_in, n_out, input.device)
        elif mode == "bicubic":
            taps = _cubic_taps(n_in, n_out, s, align_corners, cdt, input.device)
        else:
            taps = _linear_taps(n_in, n_out, s, align_corners, cdt, input.device)
        out = _apply_taps(out, d, taps)
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
