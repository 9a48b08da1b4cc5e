"""Small helpers shared by the Python-composed ops: dtype names used in
PyTorch's error messages, ``out=`` handling and in-place writes."""
from . import _C

# c10::ScalarType names ("Float", "Long") and C++ type names ("float", "long int"),
# as PyTorch prints them in different error messages.
_SCALAR_NAMES = {
    "torch.float32": ("Float", "float"), "torch.float64": ("Double", "double"),
    "torch.float16": ("Half", "c10::Half"), "torch.bfloat16": ("BFloat16", "c10::BFloat16"),
    "torch.int64": ("Long", "long int"), "torch.int32": ("Int", "int"),
    "torch.int16": ("Short", "short int"), "torch.int8": ("Char", "signed char"),
    "torch.uint8": ("Byte", "unsigned char"), "torch.bool": ("Bool", "bool"),
}


def scalar_name(dtype):
    return _SCALAR_NAMES[str(dtype)][0]


def cpp_name(dtype):
    return _SCALAR_NAMES[str(dtype)][1]


def is_float(dtype):
    return dtype in (_C.float32, _C.float64, _C.float16, _C.bfloat16)


def is_integral(dtype, include_bool=True):
    return not is_float(dtype) and (include_bool or dtype != _C.bool)


def recording(*tensors):
    """True when autograd would record an op on these inputs."""
    return _C.is_grad_enabled() and any(isinstance(t, _C.Tensor) and t.requires_grad for t in tensors)


def write_out(result, out):
    if out is None:
        return result
    out.copy_(result)
    return out


def inplace(self, compute, *others):
    """Writes ``compute(self)`` into ``self`` with PyTorch's in-place rules: the
    result must keep self's shape and be castable to its dtype. When autograd
    records, ``compute`` sees a clone, so tensors saved for backward are not the
    ones the write bumps the version of."""
    src = self.clone() if recording(self, *others) else self
    r = compute(src)
    if tuple(r.shape) != tuple(self.shape):
        raise RuntimeError(
            f"output with shape {list(self.shape)} doesn't match the broadcast shape {list(r.shape)}")
    if not _C.can_cast(r.dtype, self.dtype):
        raise RuntimeError(
            f"result type {scalar_name(r.dtype)} can't be cast to the desired output type {scalar_name(self.dtype)}")
    self.copy_(r)
    return self


def check_tensor(fn, name, pos, x):
    if not isinstance(x, _C.Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")
