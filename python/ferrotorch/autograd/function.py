"""Custom differentiable operations from Python: ``autograd.Function``."""
from .. import _C
from .grad_mode import no_grad


class FunctionCtx:
    """The ``ctx`` passed to ``forward``/``backward``."""

    def __init__(self):
        self._to_save = ()
        self._saved = None  # set only while backward runs
        self._non_differentiable = set()
        self._materialize_grads = True
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    @property
    def saved_tensors(self):
        # The graph node holds the saved tensors (version-checked, freed after
        # backward); they are handed to ctx only while backward runs.
        return self._saved if self._saved is not None else self._to_save

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        pass  # in-place outputs are re-wrapped in apply, so nothing to track

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
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, _C.Tensor)]
        # Only shapes/dtypes of the outputs: the closure must not reference the
        # outputs themselves (they reference the node that holds the closure).
        out_meta = [(tuple(o.shape), o.dtype, o.device) if isinstance(o, _C.Tensor) else None for o in wrapped]
        # Tensors from save_for_backward move into the node; other values
        # (None, numbers) keep their slots here.
        slots = [None if isinstance(t, _C.Tensor) else (t,) for t in ctx._to_save]
        tensor_saved = [t for t in ctx._to_save if isinstance(t, _C.Tensor)]
        ctx._to_save = ()
        n_args = len(args)

        def backward(saved, grads):
            it = iter(saved)
            ctx._saved = tuple(next(it) if slot is None else slot[0] for slot in slots)
            # backward takes one grad per output; non-differentiable ones get None/zeros
            full = [None] * len(out_meta)
            for i, g in zip(diff_pos, grads):
                full[i] = g
            if ctx._materialize_grads:
                full = [_C.zeros(m[0], dtype=m[1], device=m[2]) if g is None and m is not None else g
                        for g, m in zip(full, out_meta)]
            try:
                res = cls.backward(ctx, *full)
            finally:
                ctx._saved = None
            if not isinstance(res, tuple):
                res = (res,)
            if len(res) < n_args:
                raise RuntimeError(
                    f"function {cls.__name__}Backward returned an incorrect number of gradients "
                    f"(expected {n_args}, got {len(res)})"
                )
            return [res[i] if ctx.needs_input_grad[i] else None for i in tensor_pos]

        _C._record_function(cls.__name__ + "Backward", backward, inputs, [wrapped[i] for i in diff_pos], tensor_saved)
        return wrapped[0] if single else tuple(wrapped)


class once_differentiable:  # noqa: N801  (PyTorch's decorator name)
    def __new__(cls, fn):
        return fn
