"""CUDA backend: the device API (ferrotorch.cuda, backends), data movement, and every
op family the CUDA backend implements, each compared with the same computation on
the CPU (which is itself compared with numpy, so the CPU cases always test something).

Tests parametrized over ``device`` run on the CPU everywhere and on CUDA where a GPU
is present; ``cuda_only`` tests need a GPU. ``pytest -m cuda`` selects the GPU cases.
Tests of CUDA-unavailable behaviour skip on a machine that has a GPU."""
import math

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from devices import (ALL_DTYPES, CUDA, DEVICES, FLOATS, INTS, MATMUL_TOL, assert_close, assert_same, check,
                     cuda_only, ids, make, to_numpy)

NO_DRIVER = "Found no NVIDIA driver on your system"
MIXED = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
needs_no_gpu = pytest.mark.skipif(CUDA, reason="a GPU is present")
# An extension built before the CUDA bindings is PyTorch's "not compiled with CUDA" build.
needs_cuda_build = pytest.mark.skipif(not torch.backends.cuda.is_built(), reason="extension built without CUDA")


def dev(device):
    return torch.device("cuda:0" if device == "cuda" else "cpu")


# ---- CUDA unavailable (CPU-only machines) ---------------------------------------------

@needs_no_gpu
def test_unavailable_queries():
    assert torch.cuda.is_available() is False
    assert torch.cuda.device_count() == 0
    assert torch.cuda.is_initialized() is False
    # the allocator reports nothing, as PyTorch's does before initialization
    assert torch.cuda.memory_allocated() == 0 and torch.cuda.max_memory_reserved() == 0
    assert torch.cuda.memory_stats() == {}
    torch.cuda.empty_cache()
    # seeding is allowed (and silent) without a device; reading a generator is not
    torch.cuda.manual_seed(1)
    torch.cuda.manual_seed_all(2)
    torch.cuda.seed_all()
    torch.manual_seed(3)
    assert torch.cuda.get_rng_state_all() == []
    event = torch.cuda.Event(enable_timing=True)
    assert event.query() is True and repr(event) == "<torch.cuda.Event uninitialized>"
    with pytest.raises(ValueError, match="Both events must be recorded before calculating elapsed time."):
        event.elapsed_time(torch.cuda.Event(enable_timing=True))
    with torch.cuda.device(None), torch.cuda.device(-1):  # no-ops
        pass
    torch.cuda.set_device(-1)  # no-op


@needs_no_gpu
@pytest.mark.parametrize("call", [
    torch.cuda.current_device, torch.cuda.init, torch.cuda.synchronize, torch.cuda.get_device_name,
    torch.cuda.get_device_capability, torch.cuda.get_device_properties, torch.cuda.initial_seed,
    torch.cuda.get_rng_state, torch.cuda.reset_peak_memory_stats, lambda: torch.cuda.set_device(0),
    lambda: torch.cuda.set_device("cuda:0"), lambda: torch.cuda.device(0).__enter__(),
    lambda: torch.cuda.Event(enable_timing=True).record(),
], ids=lambda f: getattr(f, "__name__", "call"))
def test_unavailable_device_calls_raise(call):
    with pytest.raises(RuntimeError, match=NO_DRIVER):
        call()
    assert torch.cuda.is_initialized() is False


@needs_no_gpu
@needs_cuda_build
@pytest.mark.parametrize("make_cuda", [
    lambda: torch.zeros(2, device="cuda"), lambda: torch.tensor([1, 2, 3], device="cuda:0"),
    lambda: torch.ones(2, device=torch.device("cuda")), lambda: torch.rand(2, device=0),
    lambda: torch.tensor([1, 2, 3]).to("cuda"), lambda: torch.tensor([1.0]).cuda(),
    lambda: torch.ones(2).to(torch.device("cuda", 0), torch.float16),
])
def test_unavailable_tensor_on_cuda_raises(make_cuda):
    with pytest.raises(RuntimeError, match=NO_DRIVER):
        make_cuda()


def test_seed_example_runs_on_either_device():
    # SEED.md 3.1/6.1: the same code runs with or without a GPU
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x = torch.tensor([1, 2, 3]).to(device)
    assert x.device.type == device.type and x.cpu().tolist() == [1, 2, 3]
    model = torch.nn.Linear(3, 2).to(device)
    assert model.weight.device.type == device.type
    assert model(x.float()).shape == (2,)


def test_device_objects():
    d = torch.device("cuda:0")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 0, "cuda:0", "device(type='cuda', index=0)")
    assert torch.device("cuda", 1) == torch.device("cuda:1") != d
    assert torch.device("cuda:1").index == 1 and torch.device(d) == d
    assert repr(torch.device("cpu")) == "device(type='cpu')" and torch.device("cpu").index is None
    assert torch.device(2) == torch.device("cuda:2")  # an int is a CUDA ordinal
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        torch.device("gpu")


def test_device_without_index():
    d = torch.device("cuda")
    assert (d.index, str(d), repr(d)) == (None, "cuda", "device(type='cuda')")
    assert d != torch.device("cuda:0")
    with pytest.raises(RuntimeError, match=r"Invalid device string: 'cuda:-1'"):
        torch.device("cuda:-1")


def test_set_default_device():
    try:
        assert torch.get_default_device() == torch.device("cpu")
        torch.set_default_device("cuda")  # accepted without a GPU; factories then need one
        if not CUDA:
            with pytest.raises(RuntimeError, match="Found no NVIDIA driver"):
                torch.zeros(2)
        else:
            assert torch.get_default_device() == torch.device("cuda:0")
            for t in (torch.zeros(2), torch.tensor([1.0]), torch.arange(3), torch.rand(2), torch.eye(2)):
                assert t.device == torch.device("cuda:0"), t
            assert torch.from_numpy(np.ones(2)).device.type == "cpu"  # numpy memory stays where it is
            assert torch.zeros(2, device="cpu").device.type == "cpu"
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            torch.set_default_device("gpu")
        torch.set_default_device(None)
        assert torch.zeros(1).device.type == "cpu" and torch.get_default_device() == torch.device("cpu")
    finally:
        torch.set_default_device(None)


def test_device_argument_parsing():
    from ferrotorch.cuda._utils import _get_device_index

    assert _get_device_index(3) == 3
    assert _get_device_index("cuda:1") == _get_device_index(torch.device("cuda", 1)) == 1
    assert _get_device_index(torch.cuda.device(2)) == 2
    assert _get_device_index("cpu", allow_cpu=True) == -1
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        _get_device_index("cpu")
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        torch.cuda.set_device(torch.device("cpu"))
    with pytest.raises(ValueError, match="Expected a torch.device with a specified index or an integer"):
        _get_device_index(None)


def test_backends_flags():
    matmul = torch.backends.cuda.matmul
    assert matmul.allow_tf32 is False  # PyTorch's default
    assert torch.get_float32_matmul_precision() == "highest"
    try:
        matmul.allow_tf32 = True
        assert matmul.allow_tf32 is True and matmul.fp32_precision == "tf32"
        assert torch.get_float32_matmul_precision() == "high"
        torch.set_float32_matmul_precision("highest")
        assert matmul.allow_tf32 is False
        torch.set_float32_matmul_precision("medium")
        assert matmul.allow_tf32 is True
    finally:
        matmul.allow_tf32 = False
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf16"):
        matmul.allow_tf16
    with pytest.raises(RuntimeError, match="Unknown precision: fast"):
        matmul.fp32_precision = "fast"
    cudnn = torch.backends.cudnn
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (True, False, False, True)
    with cudnn.flags(enabled=False, deterministic=True):
        assert cudnn.enabled is False and cudnn.deterministic is True
    assert cudnn.enabled is True and cudnn.deterministic is False
    assert cudnn.is_available() is False and cudnn.version() is None


def test_out_of_memory_error_class():
    assert torch.OutOfMemoryError is torch.cuda.OutOfMemoryError
    assert issubclass(torch.cuda.OutOfMemoryError, RuntimeError)


# ---- CUDA device API (GPU only) -------------------------------------------------------

@cuda_only
def test_device_queries():
    assert torch.cuda.is_available() is True and torch.cuda.device_count() >= 1
    assert torch.cuda.current_device() == 0 and torch.cuda.is_initialized()
    props = torch.cuda.get_device_properties(0)
    assert props.total_memory > 0 and props.multi_processor_count > 0
    assert isinstance(props.name, str) and props.name
    assert props.name == torch.cuda.get_device_name() == torch.cuda.get_device_name("cuda:0")
    assert torch.cuda.get_device_capability(0) == (props.major, props.minor) and props.major >= 3
    assert repr(props).startswith(f"_CudaDeviceProperties(name='{props.name}', major={props.major}")
    assert torch.cuda.get_device_properties(torch.device("cuda", 0)) is props
    with pytest.raises(AssertionError, match="Invalid device id"):
        torch.cuda.get_device_properties(torch.cuda.device_count())
    torch.cuda.set_device(0)
    with torch.cuda.device(0):
        assert torch.cuda.current_device() == 0
    with torch.cuda.device_of(torch.ones(1, device="cuda")):
        assert torch.cuda.current_device() == 0
    for d in (None, 0, "cuda:0", torch.device("cuda", 0)):
        torch.cuda.synchronize(d)
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        torch.cuda.memory_allocated("cpu")
    torch.cuda.init()


@cuda_only
@pytest.mark.skipif(CUDA and torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_second_device():
    x = torch.ones(3, device="cuda:1")
    assert x.device == torch.device("cuda:1") and x.get_device() == 1
    with torch.cuda.device(1):
        assert torch.cuda.current_device() == 1
    assert torch.cuda.current_device() == 0
    assert (x.to("cuda:0") + 1).cpu().tolist() == [2.0] * 3


@cuda_only
def test_events_time_work():
    a = torch.randn(2048, 2048, device="cuda")
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(3):
        a = a @ a * 1e-3
    end.record()
    end.synchronize()
    assert end.query() is True
    ms = start.elapsed_time(end)
    assert isinstance(ms, float) and ms > 0
    plain = torch.cuda.Event()
    plain.record()
    plain.synchronize()
    assert plain.query() is True
    with pytest.raises(TypeError):
        plain.record(stream=object())


@cuda_only
def test_memory_stats():
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    base = torch.cuda.memory_allocated()
    n = 1 << 24
    x = torch.empty(n, device="cuda")  # 64 MiB
    allocated = torch.cuda.memory_allocated()
    assert allocated >= base + 4 * n
    assert torch.cuda.memory_reserved() >= allocated
    assert torch.cuda.max_memory_allocated() >= allocated
    assert torch.cuda.max_memory_reserved() >= torch.cuda.memory_reserved()
    stats = torch.cuda.memory_stats()
    assert {"allocated_bytes.all.current", "allocated_bytes.all.peak", "reserved_bytes.all.current",
            "reserved_bytes.all.peak", "num_alloc_retries", "num_ooms"} <= set(stats)
    assert stats["allocated_bytes.all.current"] == allocated
    assert torch.cuda.memory_allocated(0) == torch.cuda.memory_allocated("cuda:0") == allocated
    del x
    assert torch.cuda.memory_allocated() == base
    reserved = torch.cuda.memory_reserved()
    assert reserved >= 4 * n  # the freed block stays cached
    assert torch.cuda.max_memory_allocated() >= base + 4 * n
    torch.cuda.reset_peak_memory_stats()
    assert torch.cuda.max_memory_allocated() == torch.cuda.memory_allocated()
    torch.cuda.empty_cache()
    assert torch.cuda.memory_reserved() <= reserved - 4 * n
    assert torch.cuda.memory_reserved() >= torch.cuda.memory_allocated()


@cuda_only
def test_out_of_memory_then_recovers():
    ooms = torch.cuda.memory_stats()["num_ooms"]
    with pytest.raises(torch.cuda.OutOfMemoryError, match=r"^CUDA out of memory\. Tried to allocate 1048576\.00 GiB"):
        torch.empty(1 << 50, dtype=torch.uint8, device="cuda")
    assert torch.cuda.memory_stats()["num_ooms"] == ooms + 1
    with pytest.raises(RuntimeError, match="CUDA out of memory"):  # also a RuntimeError, as in PyTorch
        torch.zeros(1 << 48, device="cuda")
    x = torch.ones(1000, device="cuda")
    assert (x + 1).cpu().tolist() == [2.0] * 1000


# ---- placement, movement, printing ----------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_factories(device, dtype):
    d = dev(device)
    cases = [
        (torch.zeros(2, 3, dtype=dtype, device=device), np.zeros((2, 3))),
        (torch.ones((2, 3), dtype=dtype, device=d), np.ones((2, 3))),
        (torch.full((4,), 1, dtype=dtype, device=device), np.ones(4)),
        (torch.tensor([[1, 0], [1, 1]], dtype=dtype, device=device), np.array([[1, 0], [1, 1]])),
        (torch.empty(3, 0, dtype=dtype, device=device), np.zeros((3, 0))),
    ]
    src = make((2, 3), dtype, 0, 3)
    like = src.to(device)
    cases += [
        (torch.zeros_like(like), np.zeros((2, 3))), (torch.ones_like(like), np.ones((2, 3))),
        (torch.full_like(like, 1), np.ones((2, 3))), (like.new_zeros(2), np.zeros(2)),
        (like.new_ones(1, 2), np.ones((1, 2))), (like.new_full((2,), 1), np.ones(2)),
        (like.new_tensor([1, 0]), np.array([1, 0])),
    ]
    for t, want in cases:
        assert t.device == d and t.dtype == dtype and t.is_cuda == (device == "cuda")
        assert_close(t, want.astype(to_numpy(t).dtype))
    assert torch.empty_like(like).device == d and torch.empty(5, dtype=dtype, device=device).shape == (5,)
    if dtype.is_floating_point:
        assert torch.rand_like(like).device == d and torch.randn_like(like).dtype == dtype
    if dtype != torch.bool:
        assert torch.randint_like(like, 2).device == d
    t = torch.zeros(3, dtype=dtype, device=device)
    assert t.fill_(1) is t and to_numpy(t).tolist() == [1, 1, 1]
    assert t.zero_() is t and to_numpy(t).tolist() == [0, 0, 0]


@pytest.mark.parametrize("device", DEVICES)
def test_device_attributes(device):
    x = torch.arange(6.0).reshape(2, 3).to(device)
    assert x.device == dev(device) and str(x.device) == str(dev(device))
    assert x.is_cuda == (device == "cuda")
    if torch.backends.cuda.is_built():  # Tensor.get_device arrived with the CUDA backend
        assert x.get_device() == (0 if device == "cuda" else -1)
    assert x.to(device) is x and x.to(dev(device), torch.float32) is x  # nothing to do: the same tensor
    assert x.to(device, copy=True) is not x
    assert x.cpu().device == torch.device("cpu") and (x.cpu() is x) == (device == "cpu")
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and x[1, 2].item() == 5.0
    assert isinstance(x[0, 0].item(), float) and torch.tensor(7, device=device).item() == 7
    if device == "cuda":
        with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. Use Tensor\.cpu\(\)"):
            x.numpy()
    else:
        assert x.numpy().tolist() == x.tolist()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_round_trips(device, dtype):
    x = make((3, 4), dtype, -5, 5)
    assert_same(x.to(device).cpu(), x)
    assert_same(x.to(device, non_blocking=True).to("cpu", non_blocking=True), x)
    y = x.to(device, torch.float16)
    assert y.dtype == torch.float16 and y.device == dev(device)
    assert_same(y.cpu(), x.to(torch.float16))
    z = x.to(torch.zeros(1, dtype=torch.float64, device=device))  # dtype and device of another tensor
    assert z.dtype == torch.float64 and z.device == dev(device)
    assert_same(z.cpu(), x.double())
    assert_same(x.t().to(device).cpu(), x.t())  # a non-contiguous source
    if device == "cuda":
        assert_same(x.cuda().cpu(), x)
        assert_same(x.cuda(0).cpu(), x)
        assert_same(x.cuda(device="cuda:0", non_blocking=True).cpu(), x)
        y = x.cuda()
        assert y.cuda() is y and y.cuda(0) is y and y.device == torch.device("cuda:0")
        back = x.cuda().to("cpu", non_blocking=True)
        torch.cuda.synchronize()
        assert_same(back, x)


@pytest.mark.parametrize("device", DEVICES)
def test_printing(device):
    cases = [
        (torch.tensor([1.5, -2.0]), "tensor([ 1.5000, -2.0000]{})"),
        (torch.tensor([[1, 2], [3, 4]]), "tensor([[1, 2],\n        [3, 4]]{})"),
        (torch.tensor([True]), "tensor([True]{})"),
        (torch.tensor([1.0], dtype=torch.float16), "tensor([1.]{}, dtype=torch.float16)"),
        (torch.zeros(0, 2), "tensor([]{}, size=(0, 2))"),
        (torch.ones(2, requires_grad=True), "tensor([1., 1.]{}, requires_grad=True)"),
        (torch.arange(2000.0), None),
    ]
    suffix = ", device='cuda:0'" if device == "cuda" else ""
    for t, want in cases:
        text = repr(t.to(device).detach().requires_grad_(t.requires_grad))
        if want is None:  # summarized: the CPU text plus the device
            want = repr(t)[:-1] + "{})"
        assert text == want.format(suffix)


# ---- elementwise ----------------------------------------------------------------------

def _np_erf(a):
    return np.vectorize(math.erf, otypes=[np.float64])(a)


# name -> (input range, numpy reference or None when numpy has the same name)
UNARY = {
    "abs": ((-3, 3), None), "neg": ((-3, 3), np.negative), "exp": ((-3, 3), None), "exp2": ((-3, 3), None),
    "expm1": ((-3, 3), None), "log": ((0.1, 5), None), "log2": ((0.1, 5), None), "log10": ((0.1, 5), None),
    "log1p": ((-0.5, 5), None), "sqrt": ((0, 5), None), "rsqrt": ((0.1, 5), lambda a: 1 / np.sqrt(a)),
    "reciprocal": ((0.5, 5), lambda a: 1 / a), "sin": ((-3, 3), None), "cos": ((-3, 3), None),
    "tan": ((-1.2, 1.2), None), "asin": ((-0.9, 0.9), np.arcsin), "acos": ((-0.9, 0.9), np.arccos),
    "atan": ((-3, 3), np.arctan), "sinh": ((-3, 3), None), "cosh": ((-3, 3), None), "tanh": ((-3, 3), None),
    "asinh": ((-3, 3), np.arcsinh), "acosh": ((1.1, 5), np.arccosh), "atanh": ((-0.9, 0.9), np.arctanh),
    "sigmoid": ((-5, 5), lambda a: 1 / (1 + np.exp(-a))), "relu": ((-3, 3), lambda a: np.maximum(a, 0)),
    "floor": ((-3, 3), None), "ceil": ((-3, 3), None), "round": ((-3, 3), None), "trunc": ((-3, 3), None),
    "frac": ((-3, 3), lambda a: a - np.trunc(a)), "sign": ((-3, 3), None), "square": ((-3, 3), None),
    "erf": ((-2, 2), _np_erf), "erfc": ((-2, 2), lambda a: 1 - _np_erf(a)),
    "lgamma": ((0.5, 5), np.vectorize(math.lgamma, otypes=[np.float64])),
    "isnan": ((-3, 3), None), "isfinite": ((-3, 3), None),
}
INT_UNARY = {"abs": np.abs, "neg": np.negative, "sign": np.sign, "square": np.square, "bitwise_not": np.invert}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float(device, dtype, name):
    (lo, hi), ref = UNARY[name]
    x = make((6, 8), dtype, lo, hi, seed=1)
    ref = ref or getattr(np, name)
    check(device, lambda L, a: getattr(L, name)(a), x, ref=lambda L, a: ref(a))
    # non-contiguous operands: transposed, stepped slice
    check(device, lambda L, a: getattr(L, name)(a.T[::2, 1::3]), x, ref=lambda L, a: ref(a.T[::2, 1::3]))
    if name in ("exp", "sqrt", "abs", "neg", "relu", "sigmoid", "floor"):  # the method and in-place forms too
        def inplace(L, a):
            if L is np:
                return ref(a[:, ::2])
            y = a.clone()
            getattr(y[:, ::2], name + "_")()
            return y[:, ::2]

        check(device, lambda L, a: getattr(a, name)() if L is torch else ref(a), x)
        check(device, inplace, x)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", INTS + [torch.bool], ids=ids)
@pytest.mark.parametrize("name", sorted(INT_UNARY))
def test_unary_integer(device, dtype, name):
    if dtype == torch.bool and name != "bitwise_not":
        pytest.skip("arithmetic on bool is not an integer op")
    if dtype == torch.uint8 and name in ("neg", "abs", "sign"):
        x = make((5, 7), dtype, 0, 100)
    else:
        x = make((5, 7), dtype, -100, 100)
    ref = INT_UNARY[name]
    check(device, lambda L, a: getattr(L, name)(a.T), x, ref=lambda L, a: ref(a.T).astype(a.dtype))
    check(device, lambda L, a: L.logical_not(a[::2]), x)


# binary ops: name -> numpy reference (None: numpy has the same name)
FLOAT_BINARY = {"add": None, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "maximum": None,
                "minimum": None, "fmax": None, "fmin": None, "atan2": np.arctan2, "fmod": None, "remainder": None,
                "floor_divide": None, "pow": np.power, "eq": np.equal, "ne": np.not_equal, "lt": np.less,
                "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal}
INT_BINARY = {"add": None, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "maximum": None,
              "minimum": None, "floor_divide": None, "remainder": None, "fmod": None, "pow": np.power,
              "bitwise_and": None, "bitwise_or": None, "bitwise_xor": None, "bitwise_left_shift": np.left_shift,
              "bitwise_right_shift": np.right_shift, "eq": np.equal, "lt": np.less, "ge": np.greater_equal}
BOOL_BINARY = {"add": None, "mul": np.multiply, "bitwise_and": None, "bitwise_or": None, "bitwise_xor": None,
               "logical_and": None, "logical_or": None, "logical_xor": None, "eq": np.equal, "gt": np.greater,
               "maximum": None}

# operand layouts, each giving a (4, 6)-broadcastable operand of an (8, 12) base, as (name, fn)
LAYOUTS = [
    ("contiguous", lambda L, a: a[:4, :6]),
    ("transposed", lambda L, a: a.T[:4, :6]),
    ("stepped", lambda L, a: a[::2, 1::2][:4]),
    ("expanded", lambda L, a: L.broadcast_to(a[:1, :6], (4, 6))),
    ("row", lambda L, a: a[0, :6]),
    ("column", lambda L, a: a[:4, :1]),
    ("0-d", lambda L, a: a[1, 1]),
]


def _operands(dtype, name, seed):
    lo, hi = (-4, 4) if dtype.is_floating_point else (-20, 20)
    if dtype == torch.uint8 or name in ("pow", "bitwise_left_shift", "bitwise_right_shift"):
        lo = 0
    if name == "pow":
        hi = 4 if not dtype.is_floating_point else hi
    if name in ("bitwise_left_shift", "bitwise_right_shift") and seed:
        hi = 4
    t = make((8, 12), dtype, lo, hi, seed)
    if seed and name in ("div", "floor_divide", "remainder", "fmod") and not dtype.is_floating_point:
        t = t.masked_fill(t == 0, 3)  # no integer division by zero
    return t


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_binary(device, dtype):
    ops = BOOL_BINARY if dtype == torch.bool else FLOAT_BINARY if dtype.is_floating_point else INT_BINARY
    for name, ref in ops.items():
        ref = ref or getattr(np, name)
        a, b = _operands(dtype, name, 0), _operands(dtype, name, 1)
        for (la, fa), (lb, fb) in [(LAYOUTS[0], lb) for lb in LAYOUTS] + [(la, LAYOUTS[0]) for la in LAYOUTS[1:]]:
            def fn(L, x, y):
                if L is np:
                    out = ref(fa(L, x), fb(L, y))
                    return out.astype(np.float64) if name == "div" else out
                return getattr(L, name)(fa(L, x), fb(L, y))

            try:
                check(device, fn, a, b)
            except AssertionError as e:
                raise AssertionError(f"{name} with {la} and {lb} operands: {e}") from None


@pytest.mark.parametrize("device", DEVICES)
def test_binary_operators_and_scalars(device):
    a, b = make((3, 4), torch.float32), make((4,), torch.float32, seed=1)
    i = make((3, 4), torch.int32, -9, 9)
    check(device, lambda L, x, y: (x + y) * 2 - y / 3 + 1.5, a, b)
    check(device, lambda L, x, y: x ** 2 + 2 ** y - (-x) + abs(y), a, b)
    check(device, lambda L, x, y: (x > y) | (x <= 0.5) & ~(y == 1), a, b)
    check(device, lambda L, x: x * 3 + 7 - x // 2 + x % 5, i)
    check(device, lambda L, x: (x << 2) ^ (x >> 1) & 6, i.abs())
    check(device, lambda L, x: 1 - x, a)
    check(device, lambda L, x: 2.5 / x.clip(0.5, 2), a)


# (a, b) dtype pairs across categories, with PyTorch's result types
PROMOTIONS = [
    (torch.int8, torch.uint8, torch.int16), (torch.int32, torch.float16, torch.float16),
    (torch.bool, torch.int64, torch.int64), (torch.float16, torch.bfloat16, torch.float32),
    (torch.int64, torch.float64, torch.float64), (torch.uint8, torch.bool, torch.uint8),
    (torch.float32, torch.float64, torch.float64), (torch.int16, torch.int32, torch.int32),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("da,db,want", PROMOTIONS, ids=ids)
def test_type_promotion(device, da, db, want):
    a, b = make((3, 4), da, 0, 5), make((4,), db, 1, 5, seed=1)
    if db == torch.bool:
        b = torch.ones(4, dtype=torch.bool)  # a divisor without zeros
    for fn in (lambda L, x, y: x + y, lambda L, x, y: x * y, lambda L, x, y: L.maximum(x, y)):
        assert check(device, fn, a, b).dtype == want
    assert check(device, lambda L, x, y: x / y, a, b).dtype == (want if want.is_floating_point else torch.float32)
    assert check(device, lambda L, x, y: x < y, a, b).dtype == torch.bool
    assert check(device, lambda L, x, y: L.where(x > 2, x, y), a, b).dtype == want


@pytest.mark.parametrize("device", DEVICES)
def test_scalar_and_zero_dim_promotion(device):
    i8 = make((5,), torch.int8, -5, 5)
    f16 = make((5,), torch.float16)
    # wrapped Python scalars and 0-d tensors do not upcast within a category
    assert check(device, lambda L, x: x + 2.5, i8).dtype == torch.float32
    assert check(device, lambda L, x: x * 1e3, f16).dtype == torch.float16
    assert check(device, lambda L, x: x + 3, i8).dtype == torch.int8
    t64, tf = torch.tensor(2, dtype=torch.int64), torch.tensor(0.5, dtype=torch.float64)
    assert check(device, lambda L, x, s: x * s, i8, t64).dtype == torch.int8
    assert check(device, lambda L, x, s: x + s, f16, tf).dtype == torch.float16
    assert check(device, lambda L, x, s: x + s, i8, tf).dtype == torch.float64  # a higher category: its own type
    assert check(device, lambda L, x: x / 2, i8).dtype == torch.float32


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_where_clamp_and_ternary(device, dtype):
    x, y = make((4, 5), dtype, 0, 9), make((5,), dtype, 0, 9, seed=1)
    c = make((4, 1), torch.bool, seed=2)
    check(device, lambda L, c, x, y: L.where(c, x, y), c, x, y)
    check(device, lambda L, c, x, y: L.where(c, x[:, ::2], y[::2]), c, x, y)
    check(device, lambda L, c, x, y: L.where(c.T, x.T, y[:, None]), c, x, y)
    if dtype != torch.bool:
        check(device, lambda L, x: L.where(x > 4, x, 0), x)
        check(device, lambda L, x: L.clip(x.T, 2, 6), x)
        check(device, lambda L, x, y: L.clip(x, y, None) if L is np else torch.clamp(x, min=y), x, y)
        lo, hi = make((4, 1), dtype, 0, 3, seed=3), make((5,), dtype, 5, 9, seed=4)
        check(device, lambda L, x, lo, hi: L.clip(x, lo, hi), x, lo, hi)
        check(device, lambda L, x: x.clip(3, 5) if L is np else x.clamp_(3, 5), x.clone())
        check(device, lambda L, x: L.clip(x, 1, None) if L is np else x.clamp(min=1), x)
    if dtype.is_floating_point:
        w = make((4, 5), dtype, 0, 1, seed=5)
        check(device, lambda L, a, b, w: torch.lerp(a, b, w), x, y, w, ref=lambda L, a, b, w: a + w * (b - a))
        check(device, lambda L, a, b: torch.lerp(a, b, 0.25), x, y, ref=lambda L, a, b: a + 0.25 * (b - a))
        check(device, lambda L, t, a, b: torch.addcmul(t, a, b, value=0.5), w, x, y,
              ref=lambda L, t, a, b: t + 0.5 * a * b)
        check(device, lambda L, t, a, b: torch.addcdiv(t, a, b + 1, value=2), w, x, y,
              ref=lambda L, t, a, b: t + 2 * a / (b + 1))
        nan = torch.tensor([float("nan"), 1.0, float("inf"), -float("inf")], dtype=dtype)
        check(device, lambda L, a: L.isnan(a) | L.isinf(a), nan)
        check(device, lambda L, a: L.nan_to_num(a, nan=0.0, posinf=2.0, neginf=-2.0), nan)
        check(device, lambda L, a: L.maximum(a, 0.5 * L.ones_like(a)), nan)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64, torch.uint8], ids=ids)
def test_inplace_ops(device, dtype):
    base = make((4, 6), dtype, 0, 9)
    other = make((6,), dtype, 1, 4, seed=1)

    def fn(L, x, y):
        if L is np:
            x = x.copy()
            x += y
            x[::2] *= 2
            x.T[1::2] -= 1
            x[:, 0] = 7
            np.maximum(x, 3, out=x)
            return x
        x = x.clone()
        assert x.add_(y) is x
        x[::2].mul_(2)
        x.t()[1::2].sub_(1)
        x[:, 0] = 7
        x.clamp_(min=3)
        return x

    check(device, fn, base, other)
    if dtype.is_floating_point:
        check(device, lambda L, x: x / 4 if L is np else x.clone().div_(4), base)
    else:
        x = base.to(device)
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
            x.div_(2)
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
            x.add_(0.5)
    # writes through a view are seen by its base, on every device
    x = torch.zeros(3, 4, dtype=dtype, device=device)
    x[1].fill_(5)
    x[:, 2:].add_(1)
    want = np.zeros((3, 4))
    want[1] = 5
    want[:, 2:] += 1
    assert_close(x, want.astype(to_numpy(x).dtype))


# ---- casts and copies -----------------------------------------------------------------

_NP = {torch.int64: np.int64, torch.int32: np.int32, torch.int16: np.int16, torch.int8: np.int8,
       torch.uint8: np.uint8}


def _np_cast(a, dst):
    """numpy's view of a ferrotorch cast: truncation to integers, nonzero to bool."""
    if dst == torch.bool:
        return a != 0
    if dst.is_floating_point:
        return a.astype(np.float64)
    return (np.trunc(a) if a.dtype.kind == "f" else a).astype(_NP[dst])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("src", ALL_DTYPES, ids=ids)
def test_casts(device, src):
    # values every destination holds or rounds alike (no negative to unsigned, no NaN to integer)
    x = make((2, 4), torch.bool) if src == torch.bool else torch.tensor(
        [[0.0, 1.0, 2.5, 100.75], [3.25, 0.5, 7.0, 64.0]]).to(src)
    for dst in ALL_DTYPES:
        assert check(device, lambda L, a: _np_cast(a, dst) if L is np else a.to(dst), x).dtype == dst
        check(device, lambda L, a: _np_cast(a.T, dst) if L is np else a.t().to(dst), x)
    if src not in (torch.uint8, torch.bool):
        signed = torch.tensor([-3.75, -1.0, -0.5, 2.0]).to(src)
        for dst in (torch.int64, torch.int8, torch.float16, torch.bool):
            check(device, lambda L, a: _np_cast(a, dst) if L is np else a.to(dst), signed)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_contiguous_clone(device, dtype):
    base = make((4, 6, 5), dtype, 0, 50)
    views = {
        "permuted": lambda t: t.permute(2, 0, 1), "stepped": lambda t: t[::2, 1::3],
        "expanded": lambda t: t[:1].expand(3, 6, 5), "narrowed": lambda t: t.narrow(2, 1, 3).transpose(0, 1),
    }
    for name, view in views.items():
        cpu = view(base)
        d = view(base.to(device))
        c = d.contiguous()
        assert c.is_contiguous() and c.stride() == cpu.contiguous().stride()
        assert_same(c, cpu)
        k = d.clone()
        assert k.stride() == cpu.clone().stride()
        assert_same(k, cpu)
        assert_close(cpu.contiguous(), np.ascontiguousarray(to_numpy(cpu)))
    x = base.to(device)
    assert x.contiguous() is x
    y = x.clone()
    y.fill_(1)
    assert_same(x, base)  # the clone owns its storage


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int32, torch.bool], ids=ids)
def test_copy_within_device(device, dtype):
    src = make((4, 6), dtype, 0, 9)

    def fn(L, s):
        if L is np:
            d = np.zeros((6, 4))
            d[::2] = s.T[::2]
            d[1::2] = s[0, :4]
            return d.astype(np.float64)
        d = torch.zeros(6, 4, dtype=torch.float64, device=s.device)
        d[::2].copy_(s.t()[::2])  # strided destination and source, with a cast
        d[1::2].copy_(s[0, :4])  # broadcast source
        return d

    check(device, fn, src)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_copy_across_devices(device, dtype):
    src = make((4, 6), dtype, 0, 9)
    # host -> device, into a strided destination, with a cast
    d = torch.zeros(6, 8, dtype=torch.float32, device=device)
    assert d[:, ::2].copy_(src.t()) is not None
    assert d.device == dev(device)
    assert_close(d[:, ::2], to_numpy(src).T)
    assert_close(d[:, 1::2], np.zeros((6, 4)))
    # device -> host, from a strided source, both blocking and non-blocking
    h = torch.zeros(4, 6, dtype=dtype)
    h.copy_(src.to(device).t().t())
    assert_same(h, src)
    h2 = torch.empty(6, 4, dtype=dtype)
    h2.copy_(src.to(device).t(), non_blocking=True)
    if device == "cuda":
        torch.cuda.synchronize()
    assert_same(h2, src.t())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids)
def test_cat_stack(device, dtype):
    a, b, c = make((2, 3), dtype, 0, 9), make((3, 3), dtype, 0, 9, 1), make((3, 2), dtype, 0, 9, 2)
    check(device, lambda L, a, b: L.concatenate([a, b, a]) if L is np else torch.cat([a, b, a]), a, b)
    check(device, lambda L, a, c: L.concatenate([a.T, c], 1) if L is np else torch.cat([a.t(), c], dim=-1), a, c)
    check(device, lambda L, b, c: L.stack([b[:, :2], c, c]) if L is np else torch.stack([b[:, :2], c, c]), b, c)
    check(device, lambda L, b, c: L.stack([b[:, :2], c], axis=2) if L is np else torch.stack([b[:, :2], c], 2),
          b, c)
    e = torch.zeros(0, 3, dtype=dtype)
    check(device, lambda L, a, e: L.concatenate([e, a]) if L is np else torch.cat([e, a]), a, e)
    f = make((1, 3), torch.float64, seed=3)  # cat promotes
    out = check(device, lambda L, a, f: L.concatenate([a, f]) if L is np else torch.cat([a, f]), a, f)
    assert out.dtype == torch.float64


# ---- matmul family --------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
def test_matmul_family(device, dtype):
    tol = MATMUL_TOL
    a, b = make((33, 17), dtype, -1, 1), make((17, 40), dtype, -1, 1, 1)
    v, w = make((17,), dtype, -1, 1, 2), make((33,), dtype, -1, 1, 3)
    bat, bat2 = make((3, 33, 17), dtype, -1, 1, 4), make((3, 17, 40), dtype, -1, 1, 5)
    c = make((33, 40), dtype, -1, 1, 6)
    check(device, lambda L, a, b: a @ b, a, b, tol=tol)
    check(device, lambda L, a, b: L.matmul(b.T, a.T), a, b, tol=tol)  # transposed operands
    check(device, lambda L, a, b: a[::2, 1:] @ b[1::1, ::3], a, b, tol=tol)  # sliced with steps
    check(device, lambda L, a, v: a @ v, a, v, tol=tol)
    check(device, lambda L, w, a: w @ a, w, a, tol=tol)
    check(device, lambda L, v: L.dot(v, v), v, tol=tol)
    check(device, lambda L, v, w: L.outer(v, w), v, w, tol=tol)
    check(device, lambda L, x, y: x @ y, bat, bat2, tol=tol)  # batched
    check(device, lambda L, x, b: x @ b, bat, b, tol=tol)  # batch broadcast
    check(device, lambda L, x, y: (x.transpose(0, 2, 1) @ y.transpose(0, 2, 1)) if L is np else
          x.transpose(1, 2) @ y.transpose(1, 2), bat2, bat, tol=tol)  # both operands transposed
    check(device, lambda L, a, b: L.matmul(a, b) if L is np else torch.mm(a, b), a, b, tol=tol)
    check(device, lambda L, x, y: L.matmul(x, y) if L is np else torch.bmm(x, y), bat, bat2, tol=tol)
    check(device, lambda L, c, a, b: 0.5 * c + 2 * (a @ b) if L is np else torch.addmm(c, a, b, beta=0.5, alpha=2),
          c, a, b, tol=tol)
    check(device, lambda L, c, a, b: c[0] + a @ b if L is np else torch.addmm(c[0], a, b), c, a, b, tol=tol)
    check(device, lambda L, x: x @ x.T, make((64, 512), dtype, -1, 1, 7), tol=tol)  # long reduction
    e = make((0, 17), dtype)
    check(device, lambda L, e, b: e @ b, e, b, tol=tol)


@pytest.mark.parametrize("device", DEVICES)
def test_matmul_rejects_mixed_dtypes(device):
    a = torch.ones(2, 2, device=device)
    with pytest.raises(RuntimeError, match="expected .* same dtype|expected m1 and m2 to have the same dtype"):
        torch.mm(a, a.double())


@cuda_only
def test_allow_tf32_switches_matmul_precision():
    a = torch.randn(1024, 1024, device="cuda")
    b = torch.randn(1024, 1024, device="cuda")
    exact = to_numpy(a) @ to_numpy(b)

    def err(out):
        return float(np.abs(to_numpy(out) - exact).max() / np.abs(exact).max())

    matmul = torch.backends.cuda.matmul
    assert matmul.allow_tf32 is False
    assert err(a @ b) < 1e-5  # full float32
    if torch.cuda.get_device_capability()[0] < 8:
        pytest.skip("TF32 needs compute capability 8.0")
    try:
        matmul.allow_tf32 = True
        assert err(a @ b) > 1e-4  # TF32 keeps 10 mantissa bits
    finally:
        matmul.allow_tf32 = False
    assert err(a @ b) < 1e-5


# ---- random numbers -------------------------------------------------------------------

N = 1_000_000


@pytest.mark.parametrize("device", DEVICES)
def test_rng_reproducible(device):
    draws = [
        lambda: torch.rand(1000, device=device), lambda: torch.randn(3, 5, device=device, dtype=torch.float64),
        lambda: torch.randint(0, 100, (1000,), device=device), lambda: torch.empty(500, device=device).normal_(),
        lambda: torch.empty(500, device=device).uniform_(-1, 1),
        lambda: torch.bernoulli(torch.full((500,), 0.5, device=device)),
        lambda: F.dropout(torch.ones(500, device=device), 0.5),
        lambda: torch.rand(700, device=device, dtype=torch.float16),
    ]
    for draw in draws:
        torch.manual_seed(123)
        first, second = to_numpy(draw()), to_numpy(draw())
        torch.manual_seed(123)
        assert np.array_equal(to_numpy(draw()), first)  # same seed, same numbers
        assert not np.array_equal(second, first)  # the generator advanced
        torch.manual_seed(124)
        assert not np.array_equal(to_numpy(draw()), first)  # another seed, other numbers


@cuda_only
def test_cuda_generators():
    torch.cuda.manual_seed(7)
    assert torch.cuda.initial_seed() == 7
    a = to_numpy(torch.rand(1000, device="cuda"))
    torch.cuda.manual_seed(7)
    torch.rand(1000)  # the CPU generator is separate
    assert np.array_equal(to_numpy(torch.rand(1000, device="cuda")), a)
    torch.manual_seed(7)  # seeds every device too
    assert np.array_equal(to_numpy(torch.rand(1000, device="cuda")), a)
    torch.cuda.manual_seed_all(7)
    assert np.array_equal(to_numpy(torch.rand(1000, device="cuda")), a)
    state = torch.cuda.get_rng_state()
    assert state.dtype == torch.uint8 and state.shape == (16,) and state.device.type == "cpu"
    x = to_numpy(torch.randn(100, device="cuda"))
    torch.cuda.set_rng_state(state)
    assert np.array_equal(to_numpy(torch.randn(100, device="cuda")), x)
    assert [s.tolist() for s in torch.cuda.get_rng_state_all()][0] == torch.cuda.get_rng_state().tolist()
    torch.cuda.manual_seed(-1)
    assert torch.cuda.initial_seed() == 2 ** 64 - 1
    torch.cuda.seed()
    assert torch.cuda.initial_seed() != 2 ** 64 - 1
    with pytest.raises(RuntimeError, match="RNG state is wrong size"):
        torch.cuda.set_rng_state(torch.zeros(3, dtype=torch.uint8))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
def test_rand_randn_distributions(device, dtype):
    torch.manual_seed(0)
    u = torch.rand(N, device=device, dtype=dtype)
    assert u.device == dev(device) and u.dtype == dtype
    u = to_numpy(u)
    assert u.min() >= 0 and u.max() <= 1 and abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.005
    assert np.histogram(u, 8, (0, 1))[0].min() > N / 8 * 0.97  # no gaps (bins of dyadic width: no grid bias)
    z = to_numpy(torch.randn(N, device=device, dtype=dtype))
    assert abs(z.mean()) < 0.006 and abs(z.std() - 1) < 0.006
    assert abs((np.abs(z) < 1).mean() - 0.6827) < 0.005  # shaped like a normal, not just scaled
    n = to_numpy(torch.empty(N, device=device, dtype=dtype).normal_(2.0, 3.0))
    assert abs(n.mean() - 2) < 0.02 and abs(n.std() - 3) < 0.02
    m = to_numpy(torch.empty(N, device=device, dtype=dtype).uniform_(-2, 5))
    assert m.min() >= -2 and m.max() <= 5 and abs(m.mean() - 1.5) < 0.03


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
def test_rand_excludes_one(device, dtype):
    torch.manual_seed(0)
    assert to_numpy(torch.rand(N, device=device, dtype=dtype)).max() < 1
    assert to_numpy(torch.empty(N, device=device, dtype=dtype).uniform_()).max() < 1


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8], ids=ids)
def test_randint(device, dtype):
    torch.manual_seed(0)
    r = torch.randint(-3 if dtype != torch.uint8 else 0, 7, (N,), device=device, dtype=dtype)
    assert r.dtype == dtype and r.device == dev(device)
    r = to_numpy(r)
    values, counts = np.unique(r, return_counts=True)
    lo = -3 if dtype != torch.uint8 else 0
    assert values.tolist() == list(range(lo, 7)) and counts.min() > N / len(values) * 0.97
    assert torch.randint(5, (3, 2), device=device).dtype == torch.int64


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16], ids=ids)
def test_bernoulli(device, dtype):
    torch.manual_seed(0)
    b = torch.bernoulli(torch.full((N,), 0.3, device=device, dtype=dtype))
    assert b.dtype == dtype and b.device == dev(device)
    b = to_numpy(b)
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.003
    x = torch.empty(N, device=device, dtype=dtype).bernoulli_(0.75)
    assert abs(to_numpy(x).mean() - 0.75) < 0.003
    p = torch.tensor([0.0, 1.0] * 500, device=device, dtype=dtype)
    assert to_numpy(torch.bernoulli(p)).tolist() == to_numpy(p).tolist()  # certain outcomes
    probs = torch.linspace(0, 1, 11).repeat(N // 10).to(device, dtype)
    freq = to_numpy(torch.bernoulli(probs)).reshape(-1, 11).mean(0)
    assert np.abs(freq - np.linspace(0, 1, 11)).max() < 0.01


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16], ids=ids)
def test_dropout(device, dtype):
    torch.manual_seed(0)
    x = torch.full((N,), 2.0, device=device, dtype=dtype)
    for p in (0.2, 0.5):
        y = F.dropout(x, p)
        assert y.device == dev(device) and y.dtype == dtype
        y = to_numpy(y)
        kept = y[y != 0]
        assert abs(1 - kept.size / N - p) < 0.003
        assert_close(torch.tensor(kept[:10]).to(dtype), np.full(10, 2.0 / (1 - p)))  # survivors scaled by 1/(1-p)
    assert_same(F.dropout(x, 0.5, training=False), x.cpu())
    m = torch.nn.Dropout(0.4).to(device)
    assert abs((to_numpy(m(x)) == 0).mean() - 0.4) < 0.003
    m.eval()
    assert_same(m(x), x.cpu())
    z = x.clone()
    F.dropout(z, 0.5, inplace=True)
    assert abs((to_numpy(z) == 0).mean() - 0.5) < 0.003


# ---- devices must agree ---------------------------------------------------------------

@cuda_only
def test_mixed_devices_raise():
    g, c = torch.ones(3, device="cuda"), torch.ones(3)
    for op in (lambda: g + c, lambda: c + g, lambda: torch.mul(g, c), lambda: g.add_(c), lambda: g > c,
               lambda: torch.where(g > 0, g, c), lambda: torch.ones(1, device="cuda") * torch.ones(3),
               lambda: torch.tensor(1.0, device="cuda") + c):
        with pytest.raises(RuntimeError) as e:
            op()
        assert str(e.value) == MIXED
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        c.add_(g)
    for op in (lambda: g @ c, lambda: torch.cat([g, c]), lambda: torch.stack([c, g]),
               lambda: torch.mm(g.view(1, 3), c.view(3, 1)), lambda: torch.clamp(g, min=c)):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            op()


@cuda_only
def test_cpu_scalars_mix_with_cuda():
    g = torch.arange(4.0).to("cuda")
    s = torch.tensor(2.0)  # a 0-d CPU tensor acts as a scalar
    for out, want in [(g + s, [2, 3, 4, 5]), (s * g, [0, 2, 4, 6]), (g + 1, [1, 2, 3, 4]), (2.5 * g, [0, 2.5, 5, 7.5]),
                      (torch.where(g > 1, g, s), [2, 2, 2, 3]), (g.add_(s), [2, 3, 4, 5]),
                      (torch.tensor(3) ** g, [9, 27, 81, 243])]:
        assert out.device == torch.device("cuda:0")
        assert out.cpu().tolist() == want


# ---- modules and autograd on a device -------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
def test_module_to_device(device):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                torch.nn.Linear(16, 4)).eval()
    x = torch.randn(5, 8)
    want = model(x)
    moved = model.to(device)
    assert moved is model and all(p.device == dev(device) for p in model.parameters())
    assert all(isinstance(p, torch.nn.Parameter) for p in model.parameters())
    out = model(x.to(device))
    assert out.device == dev(device)
    assert_close(out, want, tol={torch.float32: (1e-4, 1e-5)})
    assert_close(model.cpu()(x), want)
    if device == "cuda":
        assert model.cuda() is model and model[0].weight.is_cuda


@pytest.mark.parametrize("device", DEVICES)
def test_elementwise_autograd(device):
    x = make((3, 4), torch.float32, -1, 1).to(device).requires_grad_()
    y = (x * 2 + 1).exp() * x.sin()
    y.backward(torch.ones_like(y))
    a = to_numpy(x)
    want = 2 * np.exp(2 * a + 1) * np.sin(a) + np.exp(2 * a + 1) * np.cos(a)
    assert x.grad.device == dev(device)
    assert_close(x.grad, want, tol={torch.float32: (1e-5, 1e-5)})
