"""The ``_C`` entry points behind ``ferrotorch.cuda`` and device-argument parsing.

Every ``_C._cuda_*`` call in this package goes through ``_cuda`` below."""
from .. import _C

_cuda = _C


def _get_device_index(device, optional=False, allow_cpu=False):
    """Index of ``device`` (int, 'cuda:1', ferrotorch.device, cuda.device or None),
    with PyTorch's errors. ``None`` or an index-less 'cuda' means the current
    device when ``optional``; a CPU device is -1 when ``allow_cpu``."""
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _C.device(device)
    if isinstance(device, _C.device):
        if allow_cpu:
            if device.type not in ("cuda", "cpu"):
                raise ValueError(f"Expected a cuda or cpu device, but got: {device}")
        elif device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        idx = -1 if device.type == "cpu" else device.index
    else:
        from . import device as device_ctx  # the context manager: it already holds an index

        if isinstance(device, device_ctx):
            return device.idx
        idx = None
    if idx is None:
        if not optional:
            raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
        from . import current_device

        idx = current_device()
    return idx
