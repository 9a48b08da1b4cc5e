"""``ferrotorch.cuda``: device queries and selection, synchronization, events,
the caching allocator's statistics and the CUDA random generators, shaped like
``torch.cuda``. On a machine without a driver ``is_available()`` is False and
everything that needs a device raises PyTorch's "Found no NVIDIA driver" error."""
from ._utils import _cuda, _get_device_index

OutOfMemoryError = _cuda.OutOfMemoryError

_initialized = False
_properties = {}  # device index -> _CudaDeviceProperties; they never change in a process


def is_available():
    """True when a driver and at least one device are present (never raises, never prints)."""
    return bool(_cuda._cuda_is_available())


def device_count():
    return _cuda._cuda_device_count()


def is_initialized():
    """Whether this module has initialized CUDA (it does so lazily, on the first call needing a device)."""
    return _initialized


def _lazy_init():
    global _initialized
    if not _initialized:
        _cuda._cuda_current_device()  # raises the backend's own error (no driver, no device) when unusable
        _initialized = True


def init():
    _lazy_init()


def current_device():
    _lazy_init()
    return _cuda._cuda_current_device()


def set_device(device):
    """Select the current device; a no-op for a negative index."""
    idx = _get_device_index(device)
    if idx >= 0:
        _cuda._cuda_set_device(idx)


class device:
    """Context manager that makes ``device`` current; a no-op for None or a negative index."""

    def __init__(self, device):
        self.idx = -1 if device is None else _get_device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = current_device()
            if self.prev_idx != self.idx:
                _cuda._cuda_set_device(self.idx)

    def __exit__(self, type, value, traceback):
        if self.prev_idx >= 0 and self.prev_idx != self.idx:
            _cuda._cuda_set_device(self.prev_idx)
        return False


class device_of(device):
    """Context manager that makes the device of a tensor current (no-op for CPU tensors)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


class _CudaDeviceProperties:
    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count", "uuid")

    def __init__(self, props):
        for k in self.__slots__:
            setattr(self, k, props[k])

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count}, uuid={self.uuid})")


def get_device_properties(device=None):
    _lazy_init()
    idx = _get_device_index(device, optional=True)
    if idx < 0 or idx >= device_count():
        raise AssertionError("Invalid device id")
    if idx not in _properties:
        _properties[idx] = _CudaDeviceProperties(_cuda._cuda_get_device_properties(idx))
    return _properties[idx]


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    prop = get_device_properties(device)
    return prop.major, prop.minor


def synchronize(device=None):
    """Wait for all work queued on ``device`` (default: the current one) to finish."""
    _lazy_init()
    _cuda._cuda_synchronize(_get_device_index(device, optional=True))


from .memory import (  # noqa: E402,F401  (re-exported, as in torch.cuda)
    empty_cache, max_memory_allocated, max_memory_reserved, memory_allocated, memory_reserved, memory_stats,
    reset_peak_memory_stats,
)
from .random import (  # noqa: E402,F401
    get_rng_state, get_rng_state_all, initial_seed, manual_seed, manual_seed_all, seed, seed_all, set_rng_state,
    set_rng_state_all,
)
from .streams import Event  # noqa: E402,F401
from . import memory, random, streams  # noqa: E402,F401
