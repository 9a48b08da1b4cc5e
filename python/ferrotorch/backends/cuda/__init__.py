"""``ferrotorch.backends.cuda``: cuBLAS switches. ``matmul.allow_tf32`` (default
False, as in PyTorch) lets float32 matmuls use TensorFloat-32 tensor cores."""
from ... import _C
from ...cuda._utils import _cuda


def is_built():
    """Whether the extension has the CUDA backend (it loads the CUDA libraries at run time)."""
    return _cuda is _C


class cuBLASModule:
    def __getattr__(self, name):
        if name == "allow_tf32":
            return bool(_cuda._cuda_get_allow_tf32())
        if name == "fp32_precision":
            return "tf32" if _cuda._cuda_get_allow_tf32() else "none"
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            return _cuda._cuda_set_allow_tf32(bool(value))
        if name == "fp32_precision":
            if value not in ("tf32", "ieee", "none"):
                raise RuntimeError(f"Unknown precision: {value}")
            return _cuda._cuda_set_allow_tf32(value == "tf32")
        raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()

_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision):
    """'highest' keeps float32 matmuls in full float32; 'high' and 'medium' allow TF32 (torch's top-level function)."""
    if precision not in _PRECISIONS:
        import warnings

        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision():
    return "high" if matmul.allow_tf32 else "highest"
