"""The safetensors format, written and read from its specification: an 8-byte
little-endian header length N, N bytes of JSON
``{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}``
padded with spaces to a multiple of 8, then the tensors' little-endian bytes
back to back. Validation and error names follow the reference implementation
(huggingface/safetensors), and so does the layout it writes: tensors sorted by
descending dtype alignment, then by name."""
import json
import struct
import sys

from . import _C, _tensor_bytes
from ._C import Tensor

MAX_HEADER_SIZE = 100_000_000
_CODE_TO_NAME = {v[1]: k for k, v in _tensor_bytes.DTYPES.items()}
_CODE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E4M3FNUZ": 1, "F8_E5M2FNUZ": 1,
              "F8_E8M0": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "C64": 8,
              "F64": 8, "I64": 8, "U64": 8}
# the reference orders dtypes by its enum, i.e. by alignment
_WRITE_ORDER = {code: i for i, code in enumerate(["BOOL", "U8", "I8", "I16", "F16", "BF16", "I32", "F32", "F64", "I64"])}


class SafetensorError(RuntimeError):
    pass


def _header_error(reason):
    return SafetensorError(f"Error while deserializing header: {reason}")


def _shared_groups(tensors):
    """Names of tensors whose bytes overlap, as the reference finds them."""
    by_storage = {}
    for name, t in tensors.items():
        if t.numel():
            by_storage.setdefault(t.untyped_storage_ptr(), []).append(name)
    groups = []
    for names in by_storage.values():
        areas = sorted((tensors[n].data_ptr(), tensors[n].data_ptr() + tensors[n].nbytes, n) for n in names)
        last_stop = None
        for start, stop, name in areas:
            if last_stop is not None and start < last_stop:
                groups[-1].add(name)
            else:
                groups.append({name})
            last_stop = stop if last_stop is None else max(last_stop, stop)
    return [g for g in groups if len(g) > 1]


def _check_for_save(tensors, metadata):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"tensor names must be str, got {type(k).__name__}")
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received {type(v)}")
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("metadata must be a dict of str to str")
    failing = _shared_groups(tensors)
    if failing:
        raise RuntimeError(
            f"\n            Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {failing}.\n            A potential way to correctly save your "
            "model is to use `save_model`.\n            More information at "
            "https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ")
    for k, v in tensors.items():
        if not v.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It either means you"
                " are trying to save tensors which are reference of each other in which case it's recommended to save"
                " only the full tensors, and reslice at load time, or simply call `.contiguous()` on your tensor to"
                " pack it before saving.")


def write(tensors, fileobj, metadata=None):
    _check_for_save(tensors, metadata)
    code = {k: _tensor_bytes.DTYPES[_tensor_bytes.dtype_name(v.dtype)][1] for k, v in tensors.items()}
    order = sorted(tensors, key=lambda k: (-_WRITE_ORDER[code[k]], k))
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for k in order:
        n = tensors[k].nbytes
        header[k] = {"dtype": code[k], "shape": list(tensors[k].shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    fileobj.write(struct.pack("<Q", len(text)))
    fileobj.write(text)
    for k in order:
        t = tensors[k]
        if t.element_size() > 1 and sys.byteorder == "big":
            t = t.clone()
            _tensor_bytes.swap_(t)
        fileobj.write(_tensor_bytes.contiguous_bytes(t))


def _no_duplicate_keys(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _parse_header(fileobj, file_size):
    head = fileobj.read(8)
    if len(head) < 8:
        raise _header_error("HeaderTooSmall")
    n = struct.unpack("<Q", head)[0]
    if n > MAX_HEADER_SIZE:
        raise _header_error("HeaderTooLarge")
    if 8 + n > file_size:
        raise _header_error("InvalidHeaderLength")
    try:
        text = fileobj.read(n).decode("utf-8")
    except UnicodeDecodeError:
        raise _header_error("InvalidHeader") from None
    if not text.startswith("{"):
        raise _header_error("InvalidHeaderStart")
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        metadata = header.pop("__metadata__", None)
        if metadata is not None and not all(isinstance(v, str) for v in metadata.values()):
            raise ValueError("metadata values must be str")
        entries = []
        for name, info in header.items():
            if set(info) != {"dtype", "shape", "data_offsets"} or info["dtype"] not in _CODE_SIZE:
                raise ValueError(name)
            shape, offsets = info["shape"], info["data_offsets"]
            if not all(type(i) is int and i >= 0 for i in shape + offsets) or len(offsets) != 2:
                raise ValueError(name)
            entries.append((tuple(offsets), name, info["dtype"], shape))
    except (ValueError, TypeError, AttributeError):
        raise _header_error("InvalidHeaderDeserialization") from None
    entries.sort()
    end = 0
    for (start, stop), name, code, shape in entries:
        if start != end or stop < start:
            raise _header_error(f'InvalidOffset("{name}")')
        if _tensor_bytes.overflows(shape, _CODE_SIZE[code]):
            raise _header_error("ValidationOverflow")
        numel = 1
        for s in shape:
            numel *= s
        if stop - start != numel * _CODE_SIZE[code]:
            raise _header_error("TensorInvalidInfo")
        end = stop
    if 8 + n + end != file_size:
        raise _header_error("MetadataIncompleteBuffer")
    return 8 + n, entries, metadata


def read(fileobj):
    """``(tensors by name, metadata)`` from a binary file object at the start of a file."""
    start = fileobj.tell()
    file_size = fileobj.seek(0, 2) - start
    fileobj.seek(start)
    data_start, entries, metadata = _parse_header(fileobj, file_size)
    for _, name, code, _ in entries:
        if code not in _CODE_TO_NAME:
            raise NotImplementedError(f"tensor {name!r} has safetensors dtype {code}, which ferrotorch does not support")
    tensors = {}
    for (begin, stop), name, code, shape in entries:
        t = _C.empty(tuple(shape), dtype=_tensor_bytes.BY_NAME[_CODE_TO_NAME[code]])
        fileobj.seek(start + data_start + begin)
        if not _tensor_bytes.read_exactly(fileobj, _tensor_bytes.contiguous_bytes(t)):
            raise _header_error("MetadataIncompleteBuffer")
        if t.element_size() > 1 and sys.byteorder == "big":
            _tensor_bytes.swap_(t)
        tensors[name] = t
    return {k: tensors[k] for k in sorted(tensors)}, metadata
