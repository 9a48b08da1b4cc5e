"""``torch.save`` and ``torch.load``, reading and writing PyTorch's file format.

``save`` writes what ``torch.save`` writes: a zip archive with ``data.pkl``
(the object, pickled with protocol 2, each tensor a ``_rebuild_tensor_v2``
call on a storage persistent id), ``byteorder``, one raw little-endian record
``data/<key>`` per storage, and ``version``. PyTorch loads these files with
``weights_only=True``. Paths are written to a temporary file in the same
directory and renamed over the target, so a failed save leaves no partial file.

``load`` never executes code from the file, whatever ``weights_only`` says: it
reads ``data.pkl`` with the restricted unpickler of ``_weights_unpickler``
(PyTorch's ``weights_only`` allowlist plus ``add_safe_globals``). It reads
ferrotorch's and PyTorch's zip checkpoints and safetensors files, told apart by
their content."""
import io
import os
import pickle
import secrets
import stat
import sys
import warnings
from contextlib import nullcontext

import numpy as np

from . import _C, _pickle_writer, _safetensors, _tensor_bytes
from ._C import Tensor
from ._weights_unpickler import (  # noqa: F401  (public as torch.serialization.*)
    StorageRecord, StorageType, Unpickler, WeightsOnlyError, add_safe_globals, clear_safe_globals,
    get_safe_globals, safe_globals,
)
from ._zip_archive import ArchiveReader, ArchiveWriter

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "save_safetensors", "load_safetensors"]

DEFAULT_PROTOCOL = 2
_LEGACY_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")  # first thing in pre-1.6 files
_CUDA_UNAVAILABLE = (
    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
    "If you are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') "
    "to map your storages to the CPU.")


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


# ---- writing ----------------------------------------------------------------

def _archive_name(path):
    # PyTorch's writer names the archive's folder after the file, less its extension
    base = os.path.basename(path)
    return (base[:base.rfind(".")] if "." in base else base) or "archive"


def _atomic_write(path, write):
    """Runs ``write(fileobj)`` into a temporary file beside ``path`` and renames
    it over ``path`` only once everything is written."""
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    target = os.path.realpath(path)  # write through a symlink, as open() would
    tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    # mode 0o666 lets the umask decide permissions, as for a plain open()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fileobj:
            write(fileobj)
            fileobj.flush()
            os.fsync(fileobj.fileno())
        if os.path.exists(target):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Saves ``obj`` to the path or binary file object ``f`` in ``torch.save``'s format."""
    if pickle_module is not pickle:
        raise NotImplementedError("ferrotorch.save pickles with the standard pickle module only")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ferrotorch.save writes only the zip format (torch.save's default since "
                                  "PyTorch 1.6); _use_new_zipfile_serialization=False is not supported")
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    # pickle before writing anything: an unpicklable object leaves f untouched
    data_pkl, storages = _pickle_writer.dumps(obj, pickle_protocol)

    def write(fileobj, name):
        archive = ArchiveWriter(fileobj, name)
        try:
            archive.write("data.pkl", data_pkl)
            if not _disable_byteorder_record:
                archive.write("byteorder", sys.byteorder.encode())
            for s in storages:
                archive.write(f"data/{s.key}", s.data())
            archive.write("version", b"3\n")
        except BaseException:
            archive.abandon()
            raise
        archive.close()

    if _is_path(f):
        path = os.fspath(f)
        _atomic_write(path, lambda fileobj: write(fileobj, _archive_name(path)))
    else:
        write(f, "archive")


def save_safetensors(tensors, path, metadata=None):
    """Writes the dict ``tensors`` of contiguous, non-overlapping tensors to the
    safetensors file ``path`` (``safetensors.torch.save_file``)."""
    _safetensors._check_for_save(tensors, metadata)
    _atomic_write(os.fspath(path), lambda fileobj: _safetensors.write(tensors, fileobj, metadata))


# ---- reading ----------------------------------------------------------------

def load_safetensors(path):
    """The tensors of a safetensors file, by name (``safetensors.torch.load_file``)."""
    with _opened(path) as fileobj:
        return _safetensors.read(fileobj)[0]


def _default_restore(t, location):
    if isinstance(location, bytes):
        location = location.decode("ascii")
    kind = location.split(":", 1)[0]
    if kind == "cpu":
        return t
    if kind == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError(_CUDA_UNAVAILABLE)
        return t.to(location)
    raise RuntimeError(f"don't know how to restore data location of torch.storage.UntypedStorage (tagged with {location})")


def _restore_location(map_location):
    """``restore(flat_tensor, location_tag)``, as ``torch.load``'s map_location decides."""
    if map_location is None:
        return _default_restore
    if isinstance(map_location, dict):
        return lambda t, loc: _default_restore(t, map_location.get(loc, loc))
    if isinstance(map_location, (str, bytes, _C.device)):
        target = map_location if isinstance(map_location, bytes) else str(map_location)
        return lambda t, loc: _default_restore(t, target)
    if not callable(map_location):
        raise TypeError(f"map_location should be a str, torch.device, dict or callable, got {type(map_location).__name__}")

    def restore(t, loc):
        # the callable receives each storage as a flat tensor, e.g. lambda storage, loc: storage
        result = map_location(t, loc)
        if result is None:
            return _default_restore(t, loc)
        if not isinstance(result, Tensor) or result.dtype != t.dtype or result.numel() != t.numel():
            raise TypeError("map_location must return None or the storage it was given (a flat tensor), "
                            f"possibly moved to another device; got {type(result).__name__}")
        return result
    return restore


def _opened(f):
    """A seekable binary file object for ``f``; closes it only if it opened it."""
    if _is_path(f):
        return open(f, "rb")
    if not hasattr(f, "read"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'read' attribute")
    if not (hasattr(f, "seekable") and f.seekable()):
        return nullcontext(io.BytesIO(f.read()))
    return nullcontext(f)


def _sniff(fileobj):
    start = fileobj.tell()
    head = fileobj.read(512)
    fileobj.seek(start)
    if not head:
        raise EOFError("Ran out of input: the checkpoint file is empty")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if len(head) >= 9 and head[8:9] == b"{":
        return "safetensors"
    if _LEGACY_MAGIC in head[:32] or head[257:262] == b"ustar":
        raise NotImplementedError(
            "ferrotorch.load cannot read the legacy torch.save format of PyTorch < 1.6; load the file with "
            "PyTorch and torch.save it again (the zip format is the default since PyTorch 1.6)")
    raise RuntimeError("the checkpoint file is corrupted or not a checkpoint: it is neither a torch.save zip "
                       "archive nor a safetensors file")


def _weights_only_message(message):
    return ("Weights only load failed. ferrotorch.load never executes code from a checkpoint (weights_only=False "
            "does not change that): it builds tensors, plain containers and the globals PyTorch's weights_only "
            "unpickler allows, plus those allowlisted with torch.serialization.add_safe_globals. Allowlist a "
            "global only if you trust the checkpoint's source.\n\tWeightsUnpickler error: " + message)


class _StorageReader:
    """Reads the storage records a checkpoint's persistent ids name."""

    def __init__(self, archive, restore, mapped):
        self._archive, self._restore, self._mapped = archive, restore, mapped
        byteorder = archive.read("byteorder").decode("ascii", "replace") if archive.has("byteorder") else "little"
        if byteorder not in ("little", "big"):
            raise ValueError("Unknown endianness type: " + byteorder)
        self._swap = byteorder != sys.byteorder
        self._records = {}

    def persistent_load(self, storage_type, key, location, numel):
        if not isinstance(storage_type, StorageType):
            raise WeightsOnlyError(f"expected a storage type in a storage persistent id, got {storage_type!r}")
        if type(key) not in (str, int) or type(numel) is not int or numel < 0 \
                or not isinstance(location, (str, bytes)):
            raise TypeError(f"malformed storage persistent id {(key, location, numel)!r}")
        nbytes = numel * _tensor_bytes.itemsize(storage_type.dtype)
        name = f"data/{key}"
        rec = self._records.get((name, storage_type.dtype))
        if rec is None:
            self._archive.check(name, nbytes)
            rec = self._records[name, storage_type.dtype] = StorageRecord(
                lambda dtype: self._read(name, dtype, nbytes, location), storage_type.dtype, nbytes)
        elif rec.nbytes != nbytes:
            raise RuntimeError(f"the checkpoint is corrupted: storage {key} is given sizes {rec.nbytes} and {nbytes}")
        return rec

    def _read(self, name, dtype, nbytes, location):
        count = nbytes // _tensor_bytes.itemsize(dtype)
        np_dtype = _tensor_bytes.DTYPES[_tensor_bytes.dtype_name(dtype)][2]
        flat = None
        if self._mapped is not None and np_dtype is not None and self._archive.stored(name):
            offset = self._archive.data_offset(name)
            if offset % _tensor_bytes.itemsize(dtype) == 0:  # the kernels need aligned elements
                flat = _C.from_numpy(self._mapped[offset:offset + nbytes].view(np_dtype))
        if flat is None:
            flat = _C.empty(count, dtype=dtype)
            self._archive.read_into(name, _tensor_bytes.contiguous_bytes(flat))
        if self._swap and flat.element_size() > 1:
            _tensor_bytes.swap_(flat)
        return self._restore(flat, location)


def _load_zip(fileobj, path, restore, mmap, encoding, errors):
    archive = ArchiveReader(fileobj)
    if archive.has("constants.pkl"):
        raise RuntimeError("the file is a TorchScript archive (torch.jit.save); ferrotorch.load reads torch.save "
                           "checkpoints only")
    mapped = np.memmap(path, dtype=np.uint8, mode="c") if mmap else None
    reader = _StorageReader(archive, restore, mapped)
    data = archive.read("data.pkl")
    unpickler = Unpickler(io.BytesIO(data), reader.persistent_load, encoding=encoding, errors=errors)
    try:
        return unpickler.load()
    except WeightsOnlyError as e:
        raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError, AttributeError,
            OverflowError) as e:
        raise RuntimeError(f"the checkpoint is corrupted: its data.pkl cannot be read ({type(e).__name__}: {e})") from e


def _load_safetensors(fileobj, map_location):
    if isinstance(map_location, dict):
        raise RuntimeError("Loading safetensors file with dict map_location is not supported. "
                           "Use a device string or torch.device instead.")
    if callable(map_location) and not isinstance(map_location, _C.device):
        raise RuntimeError("Loading safetensors file with callable map_location is not supported. "
                           "Use a device string or torch.device instead.")
    tensors = _safetensors.read(fileobj)[0]
    if map_location is not None:
        restore = _restore_location(map_location)
        tensors = {k: restore(v, "cpu") for k, v in tensors.items()}
    return tensors


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Loads an object saved with ``torch.save`` (by PyTorch or ferrotorch), or
    the tensors of a safetensors file, from a path or binary file object.

    Never executes code from the file: only tensors, containers, numbers,
    strings and the globals PyTorch's ``weights_only`` unpickler allows are
    built, plus those allowlisted with ``add_safe_globals``; anything else
    raises ``pickle.UnpicklingError`` naming the global, also when
    ``weights_only=False``. ``map_location`` is None, a device (string or
    ``torch.device``), a dict from saved to new locations, or a callable
    ``(storage, location)`` returning the storage or None; storages reach it
    as flat tensors. ``mmap=True`` maps the storages of a file path
    copy-on-write instead of reading them."""
    if weights_only is None:
        weights_only = True
    if pickle_module is not None:
        if weights_only:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_module is not pickle:
            raise NotImplementedError("ferrotorch.load reads pickles with its restricted unpickler only")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.")
    unknown = set(pickle_load_args) - {"encoding", "errors"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(unknown)}")
    if mmap and not _is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    restore = _restore_location(map_location)  # rejects a bad map_location before reading
    with _opened(f) as fileobj:
        kind = _sniff(fileobj)
        if kind == "safetensors":
            return _load_safetensors(fileobj, map_location)
        return _load_zip(fileobj, os.fspath(f) if mmap else None, restore, mmap,
                         pickle_load_args.get("encoding", "utf-8"), pickle_load_args.get("errors", "strict"))
