"""Variable-length sequence utilities: PackedSequence and (un)packing and
(un)padding, built from differentiable indexing so gradients flow through."""
from typing import NamedTuple, Optional

from ... import _C

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: _C.Tensor
    batch_sizes: _C.Tensor
    sorted_indices: Optional[_C.Tensor]
    unsorted_indices: Optional[_C.Tensor]


class PackedSequence(PackedSequence_):
    """Time-major packed batch: ``data`` holds step 0 of every sequence, then
    step 1 of the sequences still running, ...; ``batch_sizes[t]`` counts them."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: None if t is None else t.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return type(self)(self.data.cuda(*args, **kwargs), self.batch_sizes,
                          None if self.sorted_indices is None else self.sorted_indices.cuda(*args, **kwargs),
                          None if self.unsorted_indices is None else self.unsorted_indices.cuda(*args, **kwargs))

    def double(self):
        return self.to(dtype=_C.float64)

    def float(self):
        return self.to(dtype=_C.float32)

    def half(self):
        return self.to(dtype=_C.float16)

    def long(self):
        return self.to(dtype=_C.int64)

    def int(self):
        return self.to(dtype=_C.int32)

    def short(self):
        return self.to(dtype=_C.int16)

    def char(self):
        return self.to(dtype=_C.int8)

    def byte(self):
        return self.to(dtype=_C.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    if permutation is None:
        return None
    return _C.full_like(permutation, 0).scatter(0, permutation, _C.arange(permutation.numel()))


def _as_lengths(lengths):
    if isinstance(lengths, _C.Tensor):
        return lengths.to(_C.int64)
    return _C.tensor(list(lengths), dtype=_C.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lengths = _as_lengths(lengths)
    sorted_indices = None
    if enforce_sorted:
        if lengths.numel() > 1 and bool((lengths[1:] > lengths[:-1]).any()):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                               "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
    else:
        lengths, sorted_indices = lengths.sort(descending=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.size(0), input.size(1)
    if lengths.numel() != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.numel()} "
                           f"(batch_size={batch})")
    if batch == 0 or int(lengths.min()) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    longest = int(lengths[0])
    if longest > steps:
        raise RuntimeError(f"pack_padded_sequence: a sequence length of {longest} exceeds the padded length {steps}")
    # (step, batch) cells that hold data, in row-major order: exactly the packed order
    valid = _C.arange(longest).unsqueeze(1) < lengths.unsqueeze(0)
    data = input[:longest][valid]
    batch_sizes = valid.sum(1)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _padded_from_packed(data, batch_sizes, padding_value, total_length):
    sizes = batch_sizes.tolist()
    batch = sizes[0] if sizes else 0
    starts = [0]
    for s in sizes[:-1]:
        starts.append(starts[-1] + s)
    col = _C.arange(batch).unsqueeze(0)
    valid = col < batch_sizes.unsqueeze(1)
    idx = (_C.tensor(starts).unsqueeze(1) + col).clamp(max=max(data.size(0) - 1, 0))
    tail = [1] * (data.dim() - 1)
    padded = data[idx].masked_fill(~valid.view(len(sizes), batch, *tail), padding_value)
    if total_length > len(sizes):
        fill = _C.full((total_length - len(sizes), batch, *data.shape[1:]), padding_value, dtype=data.dtype)
        padded = _C.cat([padded, fill])
    return padded, valid.sum(0)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    padded, lengths = _padded_from_packed(sequence.data, sequence.batch_sizes, padding_value, max_seq_length)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if isinstance(sequences, _C.Tensor):
        sequences = sequences.unbind(0)
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}") from None
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    longest = max(s.size(0) for s in sequences)
    padded = []
    for s in sequences:
        gap = longest - s.size(0)
        if gap:
            fill = _C.full((gap, *s.shape[1:]), padding_value, dtype=s.dtype)
            s = _C.cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return _C.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = _C.tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
