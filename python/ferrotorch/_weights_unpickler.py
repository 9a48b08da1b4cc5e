"""Reading ``data.pkl`` without running code from the file.

A pickle reaches callables only through the globals it names, and
``find_class`` is where a name becomes an object. Here it yields only the
objects PyTorch's ``weights_only`` unpickler allows (tensor rebuild functions,
storage types, dtypes, ``torch.Size``/``torch.device``, ``OrderedDict``,
``Counter``, ``set``, ``complex``, ``bytearray``, ``_codecs.encode``) or what
the user allowlisted with ``add_safe_globals``, and refuses anything else with
PyTorch's "Unsupported global" ``UnpicklingError``. The allowed callables are
ferrotorch's own and check their arguments, so a crafted file cannot make them
allocate unbounded memory or read outside a storage."""
import _compat_pickle
import pickle
from collections import Counter, OrderedDict

from . import _C, _tensor_bytes
from ._C import Tensor
from ._pyhelpers import Size
from .nn.parameter import Parameter

# never allowed, even when allowlisted (PyTorch's list)
BLOCKED_MODULES = ("sys", "os", "posix", "nt")

_user_safe_globals = set()


def add_safe_globals(safe_globals):
    global _user_safe_globals
    _user_safe_globals = _user_safe_globals | set(safe_globals)


def get_safe_globals():
    return list(_user_safe_globals)


def clear_safe_globals():
    global _user_safe_globals
    _user_safe_globals = set()


class safe_globals:
    """Context manager that allowlists ``safe_globals`` for the loads inside it."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        global _user_safe_globals
        _user_safe_globals = _user_safe_globals - set(self.safe_globals)


def _user_allowed():
    allowed = {}
    for g in _user_safe_globals:
        if isinstance(g, tuple):
            if len(g) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), "
                                 f"but got tuple of length: {len(g)}")
            if type(g[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: {type(g[1])}")
            allowed[g[1]] = g[0]
        else:
            allowed[f"{g.__module__}.{g.__qualname__}"] = g
    return allowed


class WeightsOnlyError(pickle.UnpicklingError):
    """The file asks for something the restricted unpickler refuses."""


class StorageType:
    """What ``torch.FloatStorage`` and ``torch.storage.UntypedStorage`` stand for
    in a persistent id: the element type of the storage record."""

    def __init__(self, dtype, untyped=False):
        self.dtype, self.untyped = dtype, untyped


class StorageRecord:
    """What a persistent id resolves to: one storage record, read on first use.

    Tensors are rebuilt over the memory of one flat tensor per record, so
    tensors that shared a storage when saved share memory again."""

    def __init__(self, materialize, dtype, nbytes):
        self._materialize, self.dtype, self.nbytes = materialize, dtype, nbytes
        self._flat = {}

    def flat(self, dtype):
        t = self._flat.get(dtype)
        if t is None:
            if self.nbytes % _tensor_bytes.itemsize(dtype):
                raise RuntimeError(f"a storage of {self.nbytes} bytes cannot hold {dtype} elements")
            t = self._flat[dtype] = self._materialize(dtype)
        return t


def _ints(name, v):
    if not isinstance(v, (tuple, list)) or not all(type(i) is int and i >= 0 for i in v):
        raise TypeError(f"tensor {name} must be a sequence of non-negative ints, got {v!r}")
    return tuple(v)


def _view(storage, dtype, offset, size, stride):
    if not isinstance(storage, StorageRecord):
        raise TypeError(f"expected a storage to rebuild a tensor from, got {type(storage).__name__}")
    size, stride = _ints("size", size), _ints("stride", stride)
    if type(offset) is not int or offset < 0:
        raise TypeError(f"tensor storage offset must be a non-negative int, got {offset!r}")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {list(size)} vs {list(stride)}")
    item = _tensor_bytes.itemsize(dtype)
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if _tensor_bytes.overflows(size, item) or max((needed, offset) + size + stride) >= 2**63:
        raise RuntimeError(f"tensor sizes {list(size)}, strides {list(stride)} and storage offset {offset} "
                           "overflow int64")
    flat = storage.flat(dtype)
    if needed > flat.numel():
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
            f"{item} requiring a storage size of {needed * item} are out of bounds for storage of size {storage.nbytes}")
    # Tensor(view) aliases the memory without being an autograd view of
    # ``flat``: loaded tensors are independent leaves, as in PyTorch
    return Tensor.__new__(Tensor, flat.as_strided(size, stride, offset if needed else 0))


def _set_requires_grad(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _view(storage, storage.dtype, storage_offset, size, stride)


def _no_metadata(metadata):
    if metadata:
        raise NotImplementedError(f"ferrotorch cannot restore tensor metadata {metadata!r} (conjugate/negative bits)")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    _no_metadata(metadata)
    t = _view(storage, storage.dtype, storage_offset, size, stride)
    return _set_requires_grad(t, requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    _no_metadata(metadata)
    if not isinstance(dtype, _C.dtype):
        raise TypeError(f"expected a dtype, got {type(dtype).__name__}")
    return _set_requires_grad(_view(storage, dtype, storage_offset, size, stride), requires_grad)


def _set_obj_state(obj, state):
    # PyTorch's _utils._set_obj_state: a __dict__ state, or (dict, slots) states
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        states = state
    else:
        states = (state,)
    for st in states:
        for k, v in (st or {}).items():
            try:
                setattr(obj, k, v)
            except AttributeError:
                raise NotImplementedError(f"the checkpoint sets attribute {k!r} on a {type(obj).__name__}, "
                                          "which ferrotorch cannot hold") from None
    return obj


def _parameter(data, requires_grad=True):
    if not isinstance(data, Tensor):
        raise TypeError(f"Parameter data must be a tensor, got {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return _parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_parameter(data, requires_grad), state)


def _tensor_type(*args):
    raise WeightsOnlyError("ferrotorch does not rebuild tensors through torch.Tensor(...) (legacy format)")


def _rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    if new_type is _tensor_type:
        new_type = Tensor
    elif new_type is _parameter:
        new_type = Parameter
    if not (isinstance(new_type, type) and issubclass(new_type, Tensor) and isinstance(ret, Tensor)):
        raise WeightsOnlyError(f"cannot rebuild {new_type!r} from {type(ret).__name__}")
    if type(ret) is not new_type:
        requires_grad = ret.requires_grad
        ret = Tensor.__new__(new_type, ret)  # aliases ret's memory, like as_subclass
        _set_requires_grad(ret, requires_grad)
    return _set_obj_state(ret, state)


_TEXT_CODECS = ("latin1", "latin-1", "iso-8859-1", "utf-8", "utf8", "ascii")


def _encode(obj, encoding="utf-8", errors="strict"):
    # how protocol-2 pickles spell bytes: _codecs.encode(text, "latin1")
    if type(obj) is not str or encoding not in _TEXT_CODECS or errors != "strict":
        raise WeightsOnlyError(f"_codecs.encode is allowed only for text with {', '.join(_TEXT_CODECS)}")
    return obj.encode(encoding)


def _bytearray(*args):
    # bytearray(n) would allocate n bytes; pickles only pass the contents
    if args and not isinstance(args[0], (bytes, str)):
        raise WeightsOnlyError("bytearray is allowed only from bytes or text")
    return bytearray(*args)


def _allowed_globals():
    allowed = {
        "collections.OrderedDict": OrderedDict,
        "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": _parameter,
        "torch.Size": Size,
        "torch.Tensor": _tensor_type,
        "torch.device": _C.device,
        "_codecs.encode": _encode,
        "builtins.bytearray": _bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.storage.UntypedStorage": StorageType(_C.uint8, untyped=True),
    }
    for name, dtype in _tensor_bytes.BY_NAME.items():
        allowed["torch." + name] = dtype
        allowed["torch." + _tensor_bytes.DTYPES[name][0]] = StorageType(dtype)
    return allowed


def _unsupported_globals():
    """Globals PyTorch allows that name things ferrotorch cannot build."""
    unsupported = {}
    for what, names in {
        "quantized tensors": ["torch._utils._rebuild_qtensor", "torch.per_tensor_affine", "torch.per_tensor_symmetric",
                              "torch.per_channel_affine", "torch.per_channel_symmetric",
                              "torch.per_channel_affine_float_qparams"],
        "sparse tensors": ["torch._utils._rebuild_sparse_tensor", "torch.serialization._get_layout"],
        "meta tensors": ["torch._utils._rebuild_meta_tensor_no_storage"],
        "tensor subclasses without storage": ["torch._utils._rebuild_wrapper_subclass"],
        "tensors of non-CPU devices without storage": ["torch._utils._rebuild_device_tensor_from_numpy",
                                                        "torch._utils._rebuild_device_tensor_from_cpu_tensor"],
        "torch.storage.TypedStorage objects": ["torch.storage.TypedStorage"],
    }.items():
        for name in names:
            unsupported[name] = f"{what} ({name})"
    for name in _tensor_bytes.MISSING_TORCH_DTYPES:
        unsupported["torch." + name] = f"tensors of dtype torch.{name}: ferrotorch has no such dtype"
    for storage, dtype in _tensor_bytes.MISSING_STORAGES.items():
        unsupported["torch." + storage] = f"tensors of dtype torch.{dtype}: ferrotorch has no such dtype"
    return unsupported


_ALLOWED = _allowed_globals()
_UNSUPPORTED = _unsupported_globals()


def _refused(full_path):
    if full_path.startswith("builtins."):
        full_path = full_path[len("builtins."):]  # PyTorch prints builtins bare
    return WeightsOnlyError(
        f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{full_path}])` or the "
        f"`torch.serialization.safe_globals([{full_path}])` context manager to allowlist this global "
        "if you trust this class/function.")


class Unpickler(pickle.Unpickler):
    """``persistent_load(pid)`` is given by the caller: it maps a storage
    persistent id to a ``StorageRecord``."""

    def __init__(self, file, persistent_load, encoding="utf-8", errors="strict"):
        super().__init__(file, encoding=encoding, errors=errors)
        self._persistent_load = persistent_load

    def find_class(self, module, name):
        # protocol-2 pickles spell Python 3 names the Python 2 way (__builtin__.set)
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full_path = f"{module}.{name}"
        if module in BLOCKED_MODULES:
            raise WeightsOnlyError(f"Trying to load unsupported GLOBAL {full_path} whose module {module} is blocked.")
        if full_path in _UNSUPPORTED:
            raise NotImplementedError(f"ferrotorch cannot load {_UNSUPPORTED[full_path]}")
        found = _ALLOWED.get(full_path)
        if found is None:
            found = _user_allowed().get(full_path)
        if found is None:
            raise _refused(full_path)
        return found

    def persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != 5:
            raise WeightsOnlyError(f"persistent_load id must be a storage tuple, but got {pid!r}")
        kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if kind != "storage":
            raise WeightsOnlyError(f"Only persistent_load of storage is allowed, but got {kind!r}")
        return self._persistent_load(*pid[1:])
