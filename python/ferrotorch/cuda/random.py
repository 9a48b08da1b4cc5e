"""The per-device CUDA generators (Philox: a seed and an offset), ``torch.cuda.random``.

Seeding works without a device, as in PyTorch; reading a state needs one."""
import secrets
import struct

from .. import _C
from ._utils import _cuda


def _u64(seed):
    """PyTorch's seed domain: negative seeds wrap to their two's complement."""
    seed = int(seed)
    return seed + (1 << 64) if seed < 0 else seed


def _index(device):
    """Index of 'cuda', 'cuda:i', i or a device, for the RNG calls, which default to the current device
    (device 0 while CUDA is unavailable: seeding still works then)."""
    from . import is_available, current_device

    if isinstance(device, str):
        device = _C.device(device)
    if isinstance(device, int):
        return device
    if device.index is not None:
        return device.index
    return current_device() if is_available() else 0


def manual_seed(seed):
    """Seed the current device's generator (silently also without CUDA)."""
    _cuda._cuda_manual_seed(_index("cuda"), _u64(seed))


def manual_seed_all(seed):
    _cuda._cuda_manual_seed_all(_u64(seed))


def seed():
    """Seed the current device's generator with a non-deterministic number."""
    manual_seed(secrets.randbits(64))


def seed_all():
    manual_seed_all(secrets.randbits(64))


def initial_seed():
    from . import current_device

    return _cuda._cuda_initial_seed(current_device())


def get_rng_state(device="cuda"):
    """The generator state as PyTorch's 16-byte uint8 tensor: seed (uint64) then offset (int64), little-endian."""
    from . import _lazy_init

    _lazy_init()
    seed_, offset = _cuda._cuda_get_rng_state(_index(device))
    return _C.tensor(list(struct.pack("<Qq", seed_, offset)), dtype=_C.uint8)


def set_rng_state(new_state, device="cuda"):
    data = bytes(new_state.cpu().to(_C.uint8).tolist())
    if len(data) != 16:
        raise RuntimeError("RNG state is wrong size")
    seed_, offset = struct.unpack("<Qq", data)
    _cuda._cuda_set_rng_state(_index(device), seed_, offset)


def get_rng_state_all():
    from . import device_count

    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states):
    for i, state in enumerate(new_states):
        set_rng_state(state, i)
