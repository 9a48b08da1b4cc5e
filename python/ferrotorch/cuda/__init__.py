"""``ferrotorch.cuda``. The CUDA backend is not built yet: every query reports
no device, so CPU/GPU-agnostic code (``'cuda' if is_available() else 'cpu'``) runs."""


def is_available():
    return False


def device_count():
    return 0
