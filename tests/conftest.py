import numpy as np
import pytest

import ferrotorch as torch
from devices import DEVICES


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_runtest_makereport(item, call):
    # A Rust panic reaching Python is a bug even when a test expected an exception.
    if call.excinfo is not None and call.excinfo.typename == "PanicException":
        raise AssertionError("Rust panic reached Python: %s" % call.excinfo.value)


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA device; skipped when none is available (select: -m cuda)")


@pytest.fixture(params=DEVICES)
def default_device(request):
    """Runs a test once per device with factories creating tensors there
    (torch.set_default_device): suites marked with it run whole on CUDA."""
    torch.set_default_device(request.param)
    try:
        yield request.param
    finally:
        torch.set_default_device(None)
