"""``Tensor.new_*`` factories: dtype and device default to self's."""
import warnings

from . import _C


def _size(name, args, size):
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        return tuple(size)
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    if len(args) == 1 and not isinstance(args[0], int):
        return tuple(args[0])
    return tuple(args)


def _new(factory):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
               **kw):
        shape = _size(method.__name__, size, kw.pop("size", None))
        if kw:
            raise TypeError(f"{method.__name__}() got an unexpected keyword argument '{next(iter(kw))}'")
        return factory(*shape, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    method.__name__ = "new_" + factory.__name__
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    return _C.full(tuple(size), fill_value, dtype=dtype or self.dtype, device=device or self.device,
                   requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    if isinstance(data, _C.Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
            UserWarning, stacklevel=2)
        data = data.detach()
    t = _C.tensor(data, dtype=dtype or self.dtype, device=device or self.device)
    return t.requires_grad_() if requires_grad else t


_C.Tensor.new_zeros = _new(_C.zeros)
_C.Tensor.new_ones = _new(_C.ones)
_C.Tensor.new_empty = _new(_C.empty)
_C.Tensor.new_full = new_full
_C.Tensor.new_tensor = new_tensor
