"""Pickling for Tensor and device. A tensor travels as a contiguous numpy copy of its
elements plus its dtype name and ``requires_grad``, so DataLoader workers can
send batches through multiprocessing queues.

The copy is made by numpy from the tensor's memory (no ferrotorch kernel runs;
the kernels' thread pool does not survive ``fork``). numpy has no bfloat16, so
bfloat16 elements travel as their raw 16-bit patterns."""
import ctypes

import numpy as np

from . import _C
from ._C import Tensor, device


def _raw_bfloat16_bits(t):
    # A uint16 view of the tensor's strided elements, read straight from memory.
    n = t.numel()
    if n == 0:
        return np.zeros(tuple(t.shape), np.uint16)
    extent = 1 + sum((s - 1) * st for s, st in zip(t.shape, t.stride()))
    buf = (ctypes.c_uint16 * extent).from_address(t.data_ptr())
    flat = np.frombuffer(buf, dtype=np.uint16)
    return np.lib.stride_tricks.as_strided(flat, tuple(t.shape), tuple(2 * s for s in t.stride()))


def _rebuild_tensor(data, dtype_name, requires_grad):
    if dtype_name == "bfloat16":
        t = _C.empty(tuple(data.shape), dtype=_C.bfloat16)
        if data.size:
            ctypes.memmove(t.data_ptr(), np.ascontiguousarray(data).ctypes.data, data.nbytes)
    else:
        t = _C.from_numpy(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_subclass(cls, data, dtype_name, requires_grad, state):
    t = Tensor.__new__(cls, _rebuild_tensor(data, dtype_name, False))
    if requires_grad:
        t.requires_grad_(True)
    t.__dict__.update(state)
    return t


def _reduce_ex(self, protocol):
    t = self.detach()
    name = str(t.dtype).rsplit(".", 1)[1]
    # np.array copies, so the pickle never aliases the tensor's memory
    data = np.array(_raw_bfloat16_bits(t) if name == "bfloat16" else np.asarray(t))
    if type(self) is Tensor:
        return _rebuild_tensor, (data, name, self.requires_grad)
    return _rebuild_subclass, (type(self), data, name, self.requires_grad, dict(getattr(self, "__dict__", {})))


def _copy(self):
    # copy.copy shares memory in PyTorch (its pickle arguments hold the storage
    # itself); the pickle path above would copy the elements
    t = self.detach()
    if type(self) is not Tensor:
        t = Tensor.__new__(type(self), t)
        t.__dict__.update(getattr(self, "__dict__", {}))
    if self.requires_grad:
        t.requires_grad_(True)
    return t


Tensor.__reduce_ex__ = _reduce_ex
Tensor.__copy__ = _copy
device.__reduce__ = lambda self: (device, (str(self),))
