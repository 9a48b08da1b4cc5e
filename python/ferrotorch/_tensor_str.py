"""Tensor printing that matches PyTorch's ``repr``/``str`` character for character
(default print options: precision 4, threshold 1000, edgeitems 3, linewidth 80)."""
import math

from . import _C

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    """Decides one format for all elements, as PyTorch's ``_Formatter`` does:
    widths come from the nonzero finite values only."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
            return
        nz = [v for v in values if math.isfinite(v) and v != 0]
        if not nz:
            return
        self.int_mode = all(v == math.ceil(v) for v in nz)
        mx = max(abs(v) for v in nz)
        mn = min(abs(v) for v in nz)
        if self.int_mode:
            if mx / mn > 1000.0 or mx > 1.0e8:
                self.sci_mode = True
                strs = [f"{v:.{PRECISION}e}" for v in nz]
            else:
                strs = [f"{v:.0f}." for v in nz]
        else:
            if mx / mn > 1000.0 or mx > 1.0e8 or mn < 1.0e-4:
                self.sci_mode = True
                strs = [f"{v:.{PRECISION}e}" for v in nz]
            else:
                strs = [f"{v:.{PRECISION}f}" for v in nz]
        self.max_width = max([self.max_width] + [len(x) for x in strs])

    def width(self):
        return self.max_width

    def format(self, v):
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.max_width}.{PRECISION}e}"
        elif self.int_mode:
            s = f"{v:.0f}"
            if math.isfinite(v):
                s += "."
        else:
            s = f"{v:.{PRECISION}f}"
        return " " * (self.max_width - len(s)) + s


def _summarized_values(data, shape, summarize):
    """Flat list of the values that will be printed."""
    if not shape:
        return [data]
    if summarize and shape[0] > 2 * EDGEITEMS:
        rows = data[:EDGEITEMS] + data[-EDGEITEMS:]
    else:
        rows = data
    out = []
    for r in rows:
        out.extend(_summarized_values(r, shape[1:], summarize))
    return out


def _vector_str(row, n, indent, formatter, summarize):
    elem_width = formatter.width() + 2
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / elem_width)))
    if summarize and n > 2 * EDGEITEMS:
        items = [formatter.format(v) for v in row[:EDGEITEMS]] + [" ..."] + [formatter.format(v) for v in row[-EDGEITEMS:]]
    else:
        items = [formatter.format(v) for v in row]
    lines = [items[i:i + per_line] for i in range(0, len(items), per_line)]
    body = [", ".join(line) for line in lines]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(body) + "]"


def _tensor_str_rec(data, shape, indent, formatter, summarize):
    if len(shape) == 0:
        return formatter.format(data)
    if len(shape) == 1:
        return _vector_str(data, shape[0], indent, formatter, summarize)
    if summarize and shape[0] > 2 * EDGEITEMS:
        parts = [_tensor_str_rec(d, shape[1:], indent + 1, formatter, summarize) for d in data[:EDGEITEMS]]
        parts.append("...")
        parts += [_tensor_str_rec(d, shape[1:], indent + 1, formatter, summarize) for d in data[-EDGEITEMS:]]
    else:
        parts = [_tensor_str_rec(d, shape[1:], indent + 1, formatter, summarize) for d in data]
    sep = "," + "\n" * (len(shape) - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _edge_data(t, shape):
    """Nested lists holding only the edge items of a summarized tensor."""
    if not shape:
        return t.item()
    n = shape[0]
    if n > 2 * EDGEITEMS:
        idx = list(range(EDGEITEMS)) + list(range(n - EDGEITEMS, n))
    else:
        idx = range(n)
    if len(shape) == 1:
        full = t.tolist() if n <= 2 * EDGEITEMS else None
        return full if full is not None else [t[i].item() for i in idx]
    return [_edge_data(t[i], shape[1:]) for i in idx]


def tensor_repr(t):
    import ferrotorch

    shape = tuple(t.shape)
    numel = t.numel()
    dtype = t.dtype
    summarize = numel > THRESHOLD
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    # PyTorch names the device unless it is the default device (set_default_device)
    if t.device != _C.get_default_device():
        suffixes.append("device='" + str(t.device) + "'")
    if numel == 0:
        body = "[]"
        if len(shape) != 1:
            suffixes.append("size=" + str(shape))
        if dtype != ferrotorch.get_default_dtype():
            suffixes.append("dtype=" + repr(dtype))
    else:
        data = _edge_data(t, shape) if summarize else t.tolist()
        fmt = _Formatter(_summarized_values(data, shape, summarize), dtype.is_floating_point)
        body = _tensor_str_rec(data, shape, indent, fmt, summarize)
        if dtype not in (ferrotorch.get_default_dtype(), ferrotorch.int64, ferrotorch.bool):
            suffixes.append("dtype=" + repr(dtype))
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append("grad_fn=<" + grad_fn.name() + ">")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
