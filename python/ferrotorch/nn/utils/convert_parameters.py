"""Flatten parameters into one vector and back (``torch.nn.utils.convert_parameters``)."""
from ... import _C


def parameters_to_vector(parameters):
    return _C.cat([p.view(-1) for p in parameters])


def _typename(obj):
    # torch.typename for the non-tensor objects this error reports
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ in ("", "builtins") else f"{cls.__module__}.{cls.__qualname__}"


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, _C.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        # rebinds .data, as PyTorch: the parameters then view slices of vec
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
