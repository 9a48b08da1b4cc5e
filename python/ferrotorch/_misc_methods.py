"""``Tensor.apply_``/``map_`` (Python callables, CPU) and the memory-placement
queries ``pin_memory``/``is_pinned``/``share_memory_``/``is_shared``."""
import numbers

from . import _C
from ._util import scalar_name
from .autograd.grad_mode import no_grad


def _flat(t):
    return t.reshape(-1).tolist()


def _write(self, values):
    for v in values:
        # also keeps strings away from tensor(), whose sequence parsing recurses on them
        if not isinstance(v, numbers.Number):
            raise TypeError(f"must be real number, not {type(v).__name__}")
    with no_grad():
        self.copy_(_C.tensor(values, dtype=self.dtype).reshape(*self.shape))
    return self


def apply_(self, callable):
    """Replaces each element x with callable(x); results are cast to self's dtype."""
    if self.requires_grad:
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use var.detach().apply_() instead.")
    return _write(self, [callable(x) for x in _flat(self)])


def map_(self, tensor, callable):
    """Replaces each element x with callable(x, y), y the matching element of
    ``tensor`` broadcast to self's shape (which must have self's dtype)."""
    if self.requires_grad:
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use var.detach().map_() instead.")
    if tensor.dtype != self.dtype:
        raise TypeError(
            f"map_: expected torch.{scalar_name(self.dtype)}Tensor for 'other' "
            f"(got torch.{scalar_name(tensor.dtype)}Tensor)")
    other = _flat(tensor.expand(*self.shape))
    return _write(self, [callable(x, y) for x, y in zip(_flat(self), other)])


def pin_memory(self, device=None):
    # Pinned (page-locked) host memory only exists for an accelerator, and there is none.
    raise RuntimeError("Cannot access accelerator device when none is available.")


def is_pinned(self, device=None):
    return False


def share_memory_(self):
    # Moving a storage into shared memory needs storage replacement in the Rust core;
    # a silent no-op would let forked workers train on private copies.
    raise NotImplementedError(
        "share_memory_() is not supported yet in ferrotorch: tensor storage cannot be moved to shared memory")


def is_shared(self):
    return False


for _f in (apply_, map_, pin_memory, is_pinned, share_memory_, is_shared):
    setattr(_C.Tensor, _f.__name__, _f)
