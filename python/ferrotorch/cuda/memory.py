"""Statistics and control of the CUDA caching allocator (``torch.cuda.memory``)."""
import collections

from ._utils import _cuda, _get_device_index

# the allocator's counters under PyTorch's memory_stats() keys
_STAT_KEYS = {
    "allocated_bytes": "allocated_bytes.all.current",
    "max_allocated_bytes": "allocated_bytes.all.peak",
    "reserved_bytes": "reserved_bytes.all.current",
    "max_reserved_bytes": "reserved_bytes.all.peak",
    "num_alloc_retries": "num_alloc_retries",
    "num_ooms": "num_ooms",
}


def memory_stats(device=None):
    """The allocator's counters for ``device``; empty without CUDA, as in PyTorch before initialization.
    (Asks the backend whenever a device exists: tensors may have initialized it without this module.)"""
    from . import is_available, _lazy_init

    if not is_available():
        return collections.OrderedDict()
    _lazy_init()
    raw = _cuda._cuda_memory_stats(_get_device_index(device, optional=True))
    return collections.OrderedDict(sorted((_STAT_KEYS[k], v) for k, v in raw.items() if k in _STAT_KEYS))


def memory_allocated(device=None):
    """Bytes currently held by tensors on ``device``."""
    return memory_stats(device).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device=None):
    return memory_stats(device).get("allocated_bytes.all.peak", 0)


def memory_reserved(device=None):
    """Bytes the caching allocator holds from the driver (in use or cached)."""
    return memory_stats(device).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device=None):
    return memory_stats(device).get("reserved_bytes.all.peak", 0)


def reset_peak_memory_stats(device=None):
    _cuda._cuda_reset_peak_memory_stats(_get_device_index(device, optional=True))


def empty_cache():
    """Return cached, unused blocks to the driver (no-op without CUDA)."""
    from . import is_available

    if is_available():
        _cuda._cuda_empty_cache()
