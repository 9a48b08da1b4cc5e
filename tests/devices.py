"""Device parametrization and device-independent comparisons for the tests.

Tests take a ``device`` argument parametrized over ``DEVICES``: the CPU case
always runs (and compares with numpy), the CUDA case carries the ``cuda`` marker
(``pytest -m cuda`` selects exactly the GPU cases) and is skipped, saying why,
where ``ferrotorch.cuda.is_available()`` is False."""
import contextlib

import numpy as np
import pytest

import ferrotorch as torch

CUDA = torch.cuda.is_available()
requires_cuda = pytest.mark.skipif(not CUDA, reason="CUDA not available")
DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.cuda, requires_cuda])]


def cuda_only(test):
    """Mark a test that needs a GPU (selected by ``-m cuda``, skipped without one)."""
    return pytest.mark.cuda(requires_cuda(test))


FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
INTS = [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8]
ALL_DTYPES = FLOATS + INTS + [torch.bool]

# (rtol, atol) by result dtype; integers and bool must match exactly
TOL = {torch.float64: (1e-12, 1e-12), torch.float32: (1.3e-6, 1e-5), torch.float16: (1e-3, 1e-5),
       torch.bfloat16: (1.6e-2, 1e-5)}
# matmul sums in a backend-dependent order (cuBLAS), so it is held to looser bounds
MATMUL_TOL = {torch.float64: (1e-10, 1e-10), torch.float32: (1e-4, 1e-4), torch.float16: (1e-2, 1e-2),
              torch.bfloat16: (4e-2, 4e-2)}


def ids(v):
    return str(v).replace("torch.", "")


def to_numpy(t):
    """Host copy of a tensor on any device: float64 for floating dtypes (numpy has no bfloat16), else its own dtype."""
    t = t.detach().cpu()
    return t.double().numpy() if t.dtype.is_floating_point else t.numpy()


def assert_close(actual, expected, tol=None):
    """``actual`` (a tensor on any device) equals ``expected`` (a tensor or an array) within
    the tolerance of actual's dtype: exact for integers and bool, NaNs in the same places."""
    a = to_numpy(actual)
    e = to_numpy(expected) if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, (a.shape, e.shape)
    if actual.dtype.is_floating_point:
        rtol, atol = (tol or TOL)[actual.dtype]
        np.testing.assert_allclose(a, e.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, e)


def assert_same(actual, expected, tol=None):
    """A device result matches the CPU result: same dtype, shape and values."""
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert_close(actual, expected, tol)


def make(shape, dtype, low=-3.0, high=3.0, seed=0):
    """A CPU tensor of ``dtype`` with values in [low, high) (integers: the integers there; bool: random)."""
    rng = np.random.default_rng(seed)
    if dtype == torch.bool:
        return torch.from_numpy(rng.random(shape) < 0.5)
    if dtype.is_floating_point:
        return torch.from_numpy(rng.uniform(low, high, shape)).to(dtype)
    return torch.from_numpy(rng.integers(int(low), int(high), shape, endpoint=False)).to(dtype)


def on(device, *xs):
    """Move the tensors among ``xs`` to ``device`` (other values pass through)."""
    return [x.to(device) if isinstance(x, torch.Tensor) else x for x in xs]


def check(device, fn, *inputs, ref=None, tol=None):
    """The same computation on every device. ``fn(lib, *xs)`` runs on ferrotorch tensors (``lib``
    is ferrotorch); on 'cpu' its result is compared with ``ref`` (default: ``fn`` itself with numpy
    as ``lib``) on float64 copies of the inputs, on a GPU with the CPU result, dtype included."""
    expected = fn(torch, *inputs)
    if device == "cpu":
        arrays = [to_numpy(x) if isinstance(x, torch.Tensor) else x for x in inputs]
        assert_close(expected, (ref or fn)(np, *arrays), tol)
        return expected
    actual = fn(torch, *on(device, *inputs))
    assert actual.device.type == "cuda", actual.device
    assert_same(actual, expected, tol)
    return actual


def host(x, *args, **kwargs):
    """``np.asarray`` for values that may be tensors on any device (a CUDA tensor
    must be copied to the CPU first, as in PyTorch)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
    return np.asarray(x, *args, **kwargs)


@contextlib.contextmanager
def raises_out_of_range(match=None):
    """An index out of range: a CPU op raises IndexError; PyTorch's CUDA kernels
    assert on the device instead, reported as a RuntimeError at the next sync."""
    if torch.get_default_device().type == "cpu":
        with pytest.raises(IndexError, match=match):
            yield
    else:
        with pytest.raises(RuntimeError, match="device-side assert triggered"):
            yield
            torch.cuda.synchronize()
