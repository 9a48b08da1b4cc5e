"""``nn.functional``: PyTorch's names and signatures. Heavy kernels (softmax,
convolution, pooling) are fused Rust ops; the rest is composed from
differentiable tensor ops. Sections group the functions by family."""
from .. import _C

# ---------------------------------------------------------------- activations


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


# ------------------------------------ padding, interpolation, one_hot, distance
