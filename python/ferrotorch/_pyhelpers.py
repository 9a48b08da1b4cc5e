"""Python-side pieces the Rust extension calls back into: ``Size``, named
return tuples and printing."""
from collections import namedtuple

from ._tensor_str import tensor_repr  # noqa: F401  (used by _C)


class Size(tuple):
    """``torch.Size``: a tuple of ints with PyTorch's repr."""

    def __repr__(self):
        return "torch.Size([" + ", ".join(str(s) for s in self) + "])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


return_max = namedtuple("max", ["values", "indices"])
return_min = namedtuple("min", ["values", "indices"])
return_sort = namedtuple("sort", ["values", "indices"])
return_topk = namedtuple("topk", ["values", "indices"])
return_kthvalue = namedtuple("kthvalue", ["values", "indices"])
for _nt in (return_max, return_min, return_sort, return_topk, return_kthvalue):
    _nt.__module__ = "torch.return_types"
