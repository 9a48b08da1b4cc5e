"""The ``data.pkl`` record of a checkpoint, written as ``torch.save`` writes it.

Tensors become ``torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, requires_grad, OrderedDict())`` with the storage a persistent id
``('storage', torch.FloatStorage, key, 'cpu', numel)``; Parameters wrap that in
``_rebuild_parameter``; dtypes, devices and sizes are ``torch.float32``,
``torch.device`` and ``torch.Size``. Those names are what PyTorch's
``weights_only`` unpickler and ferrotorch's reader accept, so both load the
file. The stdlib's C pickler insists on importing each global it writes, so
the pure-Python one writes these ``torch.*`` names (``_Global``).

Each storage is saved once, trimmed to the elements its tensors reach: the
core exposes no storage size, and the trim keeps views sharing memory after
loading. That extent is only known once every tensor has been seen, so the
object is pickled twice: once to collect storages, once to write."""
import io
import pickle
from collections import OrderedDict

from . import _C, _tensor_bytes
from ._C import Tensor
from ._pyhelpers import Size
from .nn.parameter import Parameter


class _Global:
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # the pickler only accepts callables as reduce functions
        raise TypeError(f"{self.module}.{self.name} is only a name written into a pickle")


_GLOBALS = {}


def _g(module, name):
    # one object per name, so the pickler memoizes it like any repeated global
    return _GLOBALS.setdefault((module, name), _Global(module, name))


class _Storage:
    """One saved storage: the elements ``start .. end`` of a tensor's memory."""

    def __init__(self, key, tensor, start, end):
        self.key, self.tensor, self.start, self.end = key, tensor, start, end

    def persistent_id(self):
        cls = _tensor_bytes.DTYPES[_tensor_bytes.dtype_name(self.tensor.dtype)][0]
        return ("storage", _g("torch", cls), self.key, "cpu", self.end - self.start)

    def data(self):
        return _tensor_bytes.storage_bytes(self.tensor, self.start, self.end - self.start)


class _StorageTable:
    def __init__(self):
        self.storages = []
        self._by_ptr = {}
        self._derived = {}  # (id(tensor), how) -> (tensor, derived tensor)
        self.frozen = False

    def derived(self, t, how, make):
        """``make()``, made once per tensor, so both passes see the same object."""
        entry = self._derived.get((id(t), how))
        if entry is None:
            entry = self._derived[id(t), how] = (t, make())
        return entry[1]

    def _add(self, t, start, end):
        s = _Storage(str(len(self.storages)), t, start, end)
        self.storages.append(s)
        return s

    def locate(self, t):
        """(storage, offset within it, strides) for ``t``, growing the
        storage's extent while collecting."""
        if t.device.type != "cpu":
            raise NotImplementedError(f"saving tensors on {t.device} is not supported")
        offset = t.storage_offset()
        if t.numel() == 0:
            # an empty tensor owns no bytes, and may alias any pointer
            key, offset, end = ("empty", id(t)), 0, 0
        else:
            key = t.untyped_storage_ptr()
            end = offset + 1 + sum((n - 1) * st for n, st in zip(t.shape, t.stride()))
        s = self._by_ptr.get(key)
        if s is None:
            if self.frozen:
                raise RuntimeError("the object changed while it was being saved")
            s = self._by_ptr[key] = self._add(t, offset, end)
        elif s.tensor.dtype != t.dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        elif not self.frozen:
            s.start, s.end = min(s.start, offset), max(s.end, end)
        return s, offset - s.start, tuple(t.stride())


class _Pickler(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, table):
        super().__init__(file, protocol)
        self._table = table

    def _save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    def _save_dtype(self, obj):
        self.save(_g("torch", _tensor_bytes.dtype_name(obj)))

    dispatch[_Global] = _save_global_name
    dispatch[_C.dtype] = _save_dtype

    def persistent_id(self, obj):
        return obj.persistent_id() if type(obj) is _Storage else None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, Size):
            return _g("torch", "Size"), (tuple(obj),)
        if isinstance(obj, _C.device):
            return _g("torch", "device"), (str(obj),)
        return NotImplemented

    def _reduce_tensor(self, t):
        if isinstance(t, Parameter):
            state = dict(getattr(t, "__dict__", {}))
            args = (self._table.derived(t, "data", t.detach), t.requires_grad, OrderedDict())
            if state:
                return _g("torch._utils", "_rebuild_parameter_with_state"), args + (state,)
            return _g("torch._utils", "_rebuild_parameter"), args
        storage, offset, stride = self._table.locate(t)
        args = (storage, offset, tuple(t.shape), stride, t.requires_grad, OrderedDict())
        if type(t) is Tensor:
            return _g("torch._utils", "_rebuild_tensor_v2"), args
        # other subclasses: PyTorch's form, naming the subclass and its attributes
        state = dict(getattr(t, "__dict__", {}))
        return _g("torch._tensor", "_rebuild_from_type_v2"), (_g("torch._utils", "_rebuild_tensor_v2"), type(t), args, state)


class _Discard:
    def write(self, data):
        pass


class _Collector(pickle.Pickler):
    """The first pass, on the fast C pickler: visits what ``_Pickler`` will
    visit, only to find every tensor's storage extent."""

    def __init__(self, table):
        super().__init__(_Discard(), 2)
        self._table = table

    def reducer_override(self, obj):
        if not isinstance(obj, Tensor):
            return NotImplemented
        if isinstance(obj, Parameter):
            self._table.locate(self._table.derived(obj, "data", obj.detach))
        else:
            self._table.locate(obj)
        return tuple, (getattr(obj, "__dict__", None),)  # attributes may hold tensors too


def dumps(obj, protocol=2):
    """``(data.pkl bytes, storages)`` for ``obj``; ``storage.data()`` gives the
    bytes of record ``data/<storage.key>``."""
    table = _StorageTable()
    _Collector(table).dump(obj)
    table.frozen = True
    buf = io.BytesIO()
    _Pickler(buf, protocol, table).dump(obj)
    return buf.getvalue(), table.storages
