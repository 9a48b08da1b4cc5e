"""Tensors as raw bytes, for the checkpoint formats.

The formats name dtypes their own way; ``DTYPES`` is the one table of those
names. Tensor memory is read and written through ``ctypes`` views of
``data_ptr()``, so saving and loading run no tensor kernel and copy each byte
once."""
import ctypes

import numpy as np

from . import _C

# name -> (PyTorch's legacy storage class, safetensors code, native numpy dtype or None)
DTYPES = {
    "float32": ("FloatStorage", "F32", "f4"),
    "float64": ("DoubleStorage", "F64", "f8"),
    "float16": ("HalfStorage", "F16", "f2"),
    "bfloat16": ("BFloat16Storage", "BF16", None),  # numpy has no bfloat16
    "int64": ("LongStorage", "I64", "i8"),
    "int32": ("IntStorage", "I32", "i4"),
    "int16": ("ShortStorage", "I16", "i2"),
    "int8": ("CharStorage", "I8", "i1"),
    "uint8": ("ByteStorage", "U8", "u1"),
    "bool": ("BoolStorage", "BOOL", "?"),
}
BY_NAME = {name: getattr(_C, name) for name in DTYPES}

# PyTorch dtypes ferrotorch lacks: a checkpoint naming one gets a clear error
# rather than "unsupported global".
MISSING_TORCH_DTYPES = {
    "complex32", "complex64", "complex128", "uint16", "uint32", "uint64",
    "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
    "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
    "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
    "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7",
    "int1", "int2", "int3", "int4", "int5", "int6", "int7",
}
MISSING_STORAGES = {
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8", "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
}

ITEMSIZE = {name: _C.empty(0, dtype=dt).element_size() for name, dt in BY_NAME.items()}


def dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[1]


def itemsize(dtype):
    return ITEMSIZE[dtype_name(dtype)]


def overflows(shape, itemsize):
    """True if a tensor of ``shape`` could not be indexed in int64 bytes (the
    core's shape arithmetic would overflow), zero-size dimensions aside."""
    span = itemsize
    for n in shape:
        span *= max(n, 1)
    return span >= 2**63


def raw(address, nbytes):
    """A writable byte view of ``nbytes`` of memory at ``address``."""
    if nbytes == 0:
        return memoryview(bytearray())
    return memoryview((ctypes.c_ubyte * nbytes).from_address(address)).cast("B")


def storage_bytes(t, start, count):
    """Bytes of elements ``start .. start+count`` of ``t``'s storage."""
    size = t.element_size()
    return raw(t.untyped_storage_ptr() + start * size, count * size)


def contiguous_bytes(t):
    """The bytes of a contiguous ``t``."""
    return raw(t.data_ptr(), t.numel() * t.element_size())


def read_exactly(fileobj, out):
    """Fills the byte view ``out`` from ``fileobj``; False if the file ends first."""
    done = 0
    while done < len(out):
        n = fileobj.readinto(out[done:])
        if not n:
            return False
        done += n
    return True


def swap_(t):
    """Reverses the byte order of each element of a contiguous ``t`` in place."""
    width = t.element_size()
    np.frombuffer(contiguous_bytes(t), dtype=f"u{width}").byteswap(inplace=True)
