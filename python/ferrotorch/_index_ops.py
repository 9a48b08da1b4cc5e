"""Index-shaped composites: ``bincount``, ``searchsorted``/``bucketize``,
``fill_diagonal_``, ``index_fill``, ``index_copy`` and ``masked_scatter``.
In-place forms write through ``__setitem__``/views, so autograd and views
behave as for any other in-place op."""
from . import _C
from ._util import inplace, is_float, scalar_name, write_out
from .autograd.grad_mode import no_grad

_I64 = _C.int64


def bincount(input, weights=None, minlength=0):
    if is_float(input.dtype) or input.dtype == _C.bool:
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{scalar_name(input.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    with no_grad():
        if input.ndim == 1 and input.numel() == 0:
            return _C.zeros(minlength, dtype=_I64)
        if input.ndim != 1 or int(input.min().item()) < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if weights is not None and (weights.ndim != 1 or weights.shape[0] != input.shape[0]):
            raise RuntimeError("weights should be 1-d and have the same length as input")
        n = max(int(input.max().item()) + 1, minlength)
        if weights is None:
            return _C.zeros(n, dtype=_I64).index_add(0, input.to(_I64), _C.ones(input.shape[0], dtype=_I64))
        dtype = _C.float32 if weights.dtype == _C.float32 else _C.float64
        return _C.zeros(n, dtype=dtype).index_add(0, input.to(_I64), weights.detach().to(dtype))


def _dims_match(seq, values):
    return seq.ndim == values.ndim and tuple(seq.shape[:-1]) == tuple(values.shape[:-1])


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, out=None, sorter=None):
    """Insertion points of ``input`` into the innermost dim of ``sorted_sequence``
    by a vectorised binary search (the same comparisons as PyTorch's kernel,
    so NaNs land where they do there)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side != "right":
            raise RuntimeError(
                f"torch.searchsorted(): side and right can't be set to opposites, got side of {side} while right was True")
        right = side == "right"
    seq = sorted_sequence
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor "
                f"{list(seq.shape)}and got sorter tensor {list(sorter.shape)}")
        if sorter.dtype != _I64:
            raise RuntimeError(
                f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype {scalar_name(sorter.dtype)}")
        if sorter.numel() and (int(sorter.min().item()) < 0 or int(sorter.max().item()) >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
    scalar = not isinstance(input, _C.Tensor)
    v_ndim = 0 if scalar else input.ndim
    v_numel = 1 if scalar else input.numel()
    if not (v_ndim > 0 or (v_numel == 1 and seq.ndim == 1)):
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we "
            f"got boundaries tensor dim({seq.ndim}) and input value's dim({v_ndim}) numel({v_numel})")
    if seq.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension")
    if seq.ndim != 1 and not _dims_match(seq, input):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
            f"tensor and input value tensor must match, but we got boundaries tensor {list(seq.shape)} and input "
            f"value tensor {list(input.shape)}")
    with no_grad():
        # compare in the promoted dtype (0-d values and scalars count as wrapped numbers, as in PyTorch)
        dtype = _C.result_type(seq, input)
        seq = seq.detach().to(dtype)
        if sorter is not None:
            seq = seq.gather(-1, sorter)
        values = _C.tensor(input, dtype=dtype) if scalar else input.detach().to(dtype)
        m = seq.shape[-1]
        start = _C.zeros(*values.shape, dtype=_I64)
        end = _C.full(tuple(values.shape), m, dtype=_I64)
        for _ in range(m.bit_length()):
            mid = start + (end - start) // 2
            midc = mid.clamp(max=m - 1)
            mid_val = seq[midc] if seq.ndim == 1 else seq.gather(-1, midc)
            # lower bound moves right while !(mid >= v); upper bound while !(mid > v)
            go_right = (mid_val > values if right else mid_val >= values).logical_not()
            active = start < end
            start = _C.where(active & go_right, mid + 1, start)
            end = _C.where(active & go_right.logical_not(), mid, end)
        r = start.to(_C.int32) if out_int32 else start
    return write_out(r, out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def fill_diagonal_(self, fill_value, wrap=False):
    """Fills the main diagonal (all indices equal) through an as_strided view, as PyTorch does."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    height, width = self.shape[0], self.shape[1]
    if self.ndim > 2 and any(s != height for s in self.shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    size, stride, offset = min(height, width), sum(self.stride()), self.storage_offset()
    self.as_strided((size,), (stride,), offset).fill_(fill_value)
    if wrap and self.ndim == 2 and height > width + 1:
        step = width + 1
        wrap_size = (self.numel() + step - 1) // step - size
        self.as_strided((wrap_size,), (stride,), offset + self.stride(0) * step).fill_(fill_value)
    return self


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _index_key(dim, index):
    return (slice(None),) * dim + (index.reshape(-1),)


def index_fill_(self, dim, index, value):
    dim = _wrap_dim(dim, self.ndim)
    if index.dtype != _I64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, _C.Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s).")
    target = self if self.ndim else self.view(1)
    # unique indices: a tensor value's gradient counts each filled position once, as PyTorch's
    target[_index_key(dim, index.reshape(-1).unique())] = value
    return self


def index_fill(self, dim, index, value):
    return index_fill_(self.clone(), dim, index, value)


def _index_copy_check(self, dim, index, source):
    dim = _wrap_dim(dim, self.ndim)
    if index.ndim >= 2:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    n = index.numel()
    if source.ndim == 0 and n != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {n})")
    if source.ndim != self.ndim and source.ndim != 0 and self.ndim != 0:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality must match. Source "
            f"dimensionality ({source.ndim}), destination dimensionality ({self.ndim})")
    if index.dtype != _I64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {scalar_name(index.dtype)}")
    if self.dtype != source.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{scalar_name(self.dtype)} and (source) {scalar_name(source.dtype)}")
    dst_slice = [s for i, s in enumerate(self.shape) if i != dim]
    src_slice = [s for i, s in enumerate(source.shape) if i != dim]
    if dst_slice != src_slice:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: "
            f"{' '.join(map(str, dst_slice))} at dimension {dim} and source slice shape: "
            f"{' '.join(map(str, src_slice))} at dimension 0.")
    if source.ndim and n != source.shape[dim]:
        raise IndexError(
            f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) ({source.shape[dim]})")
    size = self.shape[dim] if self.ndim else 1
    if n:
        with no_grad():
            lo, hi = int(index.min().item()), int(index.max().item())
        if lo < 0 or hi >= size:
            bad = lo if lo < 0 else hi
            raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {dim} with size {size}")
    return dim


def index_copy_(self, dim, index, source):
    dim = _index_copy_check(self, dim, index, source)
    target = self if self.ndim else self.view(1)
    src = source if source.ndim == target.ndim else source.reshape(*([1] * target.ndim))
    target[_index_key(dim, index)] = src
    return self


def index_copy(self, dim, index, source):
    return index_copy_(self.clone(), dim, index, source)


def _masked_scatter(self, mask, source):
    """self and mask have the same shape; the True positions take source's
    leading elements in row-major order (source gets gradients)."""
    return _C.Tensor._masked_scatter(self, mask, source)


def _masked_scatter_check(self, mask, source):
    if mask.dtype != _C.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {scalar_name(mask.dtype)}")
    if self.dtype != source.dtype:
        raise RuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got{scalar_name(self.dtype)} and "
            f"{scalar_name(source.dtype)}")


def masked_scatter(self, mask, source):
    _masked_scatter_check(self, mask, source)
    s, m = _C.broadcast_tensors(self, mask)
    return _masked_scatter(s, m, source)


def masked_scatter_(self, mask, source):
    _masked_scatter_check(self, mask, source)
    m = mask.expand(*self.shape)
    return inplace(self, lambda s: _masked_scatter(s, m, source), source)


for _f in (bincount, fill_diagonal_, index_fill_, index_fill, index_copy_, index_copy, masked_scatter,
           masked_scatter_):
    setattr(_C.Tensor, _f.__name__, _f)
