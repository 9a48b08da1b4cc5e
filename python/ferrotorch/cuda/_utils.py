"""The ``_C`` entry points behind ``ferrotorch.cuda`` and device-argument parsing.

Every ``_C._cuda_*`` call in this package goes through ``_cuda`` below, so the
stand-in for an extension built before the CUDA bindings existed lives here and
nowhere else."""
from .. import _C

if hasattr(_C, "_cuda_is_available"):
    _cuda = _C
else:
    # TEMPORARY: an extension without the CUDA bindings behaves exactly like a
    # CUDA build on a machine without a driver. Delete this branch (keep
    # `_cuda = _C`) once every build exports the `_cuda_*` functions.
    _NO_DRIVER = (
        "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU "
        "and installed a driver from http://www.nvidia.com/Download/index.aspx"
    )

    class _NoCudaBindings:
        OutOfMemoryError = type("OutOfMemoryError", (RuntimeError,), {"__module__": "ferrotorch"})
        _allow_tf32 = False

        @staticmethod
        def _cuda_is_available():
            return False

        @staticmethod
        def _cuda_device_count():
            return 0

        # Seeding without a device only stores state in the real bindings; here nothing can use it.
        @staticmethod
        def _cuda_manual_seed(device, seed):
            pass

        @staticmethod
        def _cuda_manual_seed_all(seed):
            pass

        @staticmethod
        def _cuda_set_rng_state(device, seed, offset):
            pass

        def _cuda_set_allow_tf32(self, flag):
            type(self)._allow_tf32 = bool(flag)

        def _cuda_get_allow_tf32(self):
            return self._allow_tf32

        def __getattr__(self, name):
            def no_driver(*args, **kwargs):
                raise RuntimeError(_NO_DRIVER)

            return no_driver

    _cuda = _NoCudaBindings()


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
