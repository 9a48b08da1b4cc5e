"""Module full backward hooks, as PyTorch builds them: identity autograd
Functions around a call's tensor inputs and outputs. The outputs' node sees
grad_output first (pre-hooks may replace it); the inputs' node then sees
grad_input and hands both to the hooks, which may replace grad_input."""
import warnings

from ... import _C
from ...autograd.function import Function


class _State:
    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.has_inputs = False


def _call_hooks(state, grad_input):
    m = state.module
    for hook in list(m._backward_hooks.values()):
        r = hook(m, grad_input, state.grad_output)
        if r is not None:
            r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
            if len(r) != len(grad_input):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(r)}, "
                                   f"but expected {len(grad_input)}")
            grad_input = r
    return grad_input


class _Inputs(Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(_call_hooks(ctx.state, grads))


class _Outputs(Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        state, m = ctx.state, ctx.state.module
        for hook in list(m._backward_pre_hooks.values()):
            r = hook(m, grads)
            if r is not None:
                grads = tuple(r) if isinstance(r, (tuple, list)) else (r,)
        state.grad_output = grads
        if not state.has_inputs and m._backward_hooks:  # hooks still run, with grad_input all None
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.")
            _call_hooks(state, (None,))
        return (None,) + tuple(grads)


def _is_tensor(x):
    return isinstance(x, _C.Tensor)


def call_with_backward_hooks(module, forward, args, kwargs):
    """Runs forward(*args, **kwargs) with the module's backward hooks attached."""
    if not _C.is_grad_enabled():
        return forward(*args, **kwargs)
    state = _State(module)
    pos = [i for i, a in enumerate(args) if _is_tensor(a)]
    if any(args[i].requires_grad for i in pos):
        state.has_inputs = True
        wrapped = _Inputs.apply(state, *[args[i] for i in pos])
        args = list(args)
        for i, w in zip(pos, wrapped):
            args[i] = w
    out = forward(*args, **kwargs)
    outs = out if isinstance(out, tuple) else (out,)
    opos = [i for i, o in enumerate(outs) if _is_tensor(o) and o.requires_grad]
    if not opos:
        return out
    wrapped = _Outputs.apply(state, *[outs[i] for i in opos])
    outs = list(outs)
    for i, w in zip(opos, wrapped):
        outs[i] = w
    return tuple(outs) if isinstance(out, tuple) else outs[0]
