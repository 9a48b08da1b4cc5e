"""``default_collate`` (a list of samples -> one batch) and ``default_convert``
(numpy -> tensors without batching). ``collate`` dispatches on the first
sample's type through ``collate_fn_map``, which callers may extend."""
import collections.abc
import copy
import re

import numpy as np

import ferrotorch

# numpy dtypes that cannot become tensors: bytes, str, unicode, object
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_convert(data):
    """Turn numpy arrays and scalars inside ``data`` into tensors, keeping the
    container structure (tuples become lists, as PyTorch)."""
    elem_type = type(data)
    if isinstance(data, ferrotorch.Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        # np.asarray: a numpy scalar's own array interface points at a temporary
        # that ferrotorch.as_tensor does not keep alive
        return ferrotorch.as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(elem, values):
    # keep the mapping's own type (OrderedDict, custom classes) when it can be built
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, items):
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(elem)(items)
    except TypeError:
        return items


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` recursively: a leaf type found in ``collate_fn_map``
    (exact type first, then isinstance) is collated by its function;
    mappings, namedtuples and sequences are collated per key / position."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return ferrotorch.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([ferrotorch.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    # through numpy: ferrotorch.as_tensor on a list of numpy scalars widens
    # int32 to int64, PyTorch keeps the scalars' dtype
    return ferrotorch.as_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return ferrotorch.tensor(batch, dtype=ferrotorch.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return ferrotorch.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    ferrotorch.Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack tensors, numpy arrays and numbers into a batch tensor with a new
    leading dimension; keep strings as lists; recurse into mappings,
    namedtuples and sequences (a tuple of columns becomes a list)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
