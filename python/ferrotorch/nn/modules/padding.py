"""Padding layers: thin wrappers over ``F.pad`` with PyTorch's argument
expansion (an int pads every side) and reprs."""
from .. import functional as F
from .module import Module


def _expand(padding, n):
    # PyTorch's _ntuple: an iterable is taken as is, a number is repeated n times
    return tuple(padding) if hasattr(padding, "__iter__") else (padding,) * n


class _PadNd(Module):
    _mode = None
    _sides = 2  # pad entries: 2 per padded dim

    def __init__(self, padding):
        super().__init__()
        self.padding = _expand(padding, self._sides)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    pass


class ConstantPad2d(_ConstantPadNd):
    _sides = 4


class ConstantPad3d(_ConstantPadNd):
    _sides = 6


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    _sides = 4


class ZeroPad3d(ZeroPad1d):
    _sides = 6


class ReflectionPad1d(_PadNd):
    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    _sides = 4


class ReflectionPad3d(ReflectionPad1d):
    _sides = 6


class ReplicationPad1d(_PadNd):
    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _sides = 4


class ReplicationPad3d(ReplicationPad1d):
    _sides = 6


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        k = self._sides // 2
        if input.dim() not in (k + 1, k + 2):
            raise ValueError(f"expected {k + 1}D or {k + 2}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    pass


class CircularPad2d(_CircularPadNd):
    _sides = 4


class CircularPad3d(_CircularPadNd):
    _sides = 6
