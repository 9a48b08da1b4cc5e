"""ferrotorch: a Rust-core deep-learning framework with PyTorch's Python API.

``import ferrotorch as torch`` runs ordinary PyTorch tensor code.
"""
import builtins as _builtins

from . import _C
from ._C import (  # noqa: F401
    Generator,
    Tensor,
    arange,
    as_tensor,
    can_cast,
    device,
    dtype,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_device,
    get_default_dtype,
    get_rng_state,
    initial_seed,
    is_tensor,
    linspace,
    logspace,
    manual_seed,
    normal,
    ones,
    promote_types,
    rand,
    randint,
    randn,
    randperm,
    result_type,
    set_default_device,
    set_default_dtype,
    set_rng_state,
    tensor,
    where,
    zeros,
)
from ._pyhelpers import Size  # noqa: F401
from . import _tensor_methods  # noqa: F401  (adds named ops to Tensor)
from . import _pickling  # noqa: F401  (Tensor and device pickle)
from . import autograd  # noqa: F401
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from ._C import is_grad_enabled, is_inference_mode_enabled  # noqa: F401
from . import cuda  # noqa: F401
from .cuda import OutOfMemoryError  # noqa: F401
from . import backends  # noqa: F401
from .backends.cuda import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: F401
from . import nn  # noqa: F401
from . import optim  # noqa: F401
from .nn.functional import (  # noqa: F401  (torch.conv2d & co. exist at top level too)
    adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, conv1d, conv2d, conv_transpose1d, conv_transpose2d,
    max_pool1d, max_pool2d,
)
from ._C import convolution  # noqa: F401
from . import linalg  # noqa: F401
from ._functions import *  # noqa: F401,F403
from . import utils  # noqa: F401  (after _functions: utils.data uses stack etc.)
from . import serialization  # noqa: F401
from .serialization import load, load_safetensors, save, save_safetensors  # noqa: F401

# dtypes and their aliases
float32 = _C.float32
float64 = _C.float64
float16 = _C.float16
bfloat16 = _C.bfloat16
int64 = _C.int64
int32 = _C.int32
int16 = _C.int16
int8 = _C.int8
uint8 = _C.uint8
bool = _C.bool  # noqa: A001  (shadows the builtin inside this module, as torch does)
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

__version__ = "0.1.0"


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    from . import _tensor_str as ts

    if profile == "default":
        ts.PRECISION, ts.THRESHOLD, ts.EDGEITEMS, ts.LINEWIDTH = 4, 1000, 3, 80
    for name, v in (("PRECISION", precision), ("THRESHOLD", threshold), ("EDGEITEMS", edgeitems), ("LINEWIDTH", linewidth)):
        if v is not None:
            setattr(ts, name, v)


del _builtins
