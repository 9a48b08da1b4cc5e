"""Custom differentiable operations from Python: ``autograd.Function``."""
from .. import _C
from .grad_mode import no_grad


class FunctionCtx:
    """The ``ctx`` passed to ``forward``/``backward``."""

    def __init__(self):
        self._saved = ()
        self._versions = ()
        self._non_differentiable = set()
        self._materialize_grads = True
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._versions = tuple(t._version if isinstance(t, _C.Tensor) else None for t in tensors)

    @property
    def saved_tensors(self):
        for i, (t, v) in enumerate(zip(self._saved, self._versions)):
            if v is not None and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.type()} {list(t.shape)}] is at version {t._version}; expected version {v} "
                    "instead. Hint: enable anomaly detection to find the operation that failed to compute its "
                    "gradient, with torch.autograd.set_detect_anomaly(True)."
                )
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        pass  # in-place outputs are re-wrapped below, so nothing to track

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``;
    call ``Function.apply(*args)``."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. "
            "Please use new-style autograd function with static forward method."
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not (_C.is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        inputs = [a for a in args if isinstance(a, _C.Tensor)]
        input_ids = {id(a) for a in inputs}
        wrapped = []
        for o in outs:
            # An input returned as is becomes a new tensor, so it can take the new history.
            if isinstance(o, _C.Tensor) and id(o) in input_ids:
                o = o.detach()
            wrapped.append(o)
        diff_pos = [i for i, (o, orig) in enumerate(zip(wrapped, outs))
                    if isinstance(o, _C.Tensor) and o.is_floating_point() and id(orig) not in ctx._non_differentiable]
        diff = [wrapped[i] for i in diff_pos]
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, _C.Tensor)]

        def backward(grads):
            # backward takes one grad per output; non-differentiable ones get None/zeros
            full = [None] * len(wrapped)
            for i, g in zip(diff_pos, grads):
                full[i] = g
            if ctx._materialize_grads:
                full = [_C.zeros(tuple(o.shape), dtype=o.dtype) if g is None and isinstance(o, _C.Tensor) else g
                        for g, o in zip(full, wrapped)]
            res = cls.backward(ctx, *full)
            if not isinstance(res, tuple):
                res = (res,)
            if len(res) < len(args):
                raise RuntimeError(
                    f"function {cls.__name__}Backward returned an incorrect number of gradients "
                    f"(expected {len(args)}, got {len(res)})"
                )
            return [res[i] if ctx.needs_input_grad[i] else None for i in tensor_pos]

        _C._record_function(cls.__name__ + "Backward", backward, inputs, diff)
        return wrapped[0] if single else tuple(wrapped)


class once_differentiable:  # noqa: N801  (PyTorch's decorator name)
    def __new__(cls, fn):
        return fn
