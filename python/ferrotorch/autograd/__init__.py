"""``ferrotorch.autograd``: reverse-mode differentiation (engine in Rust)."""
from .. import _C
from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from . import graph  # noqa: F401


def _tensor_list(x):
    if isinstance(x, _C.Tensor):
        return [x]
    return list(x)


def _grads_list(g, n):
    if g is None:
        return [None] * n
    if isinstance(g, _C.Tensor):
        return [g]
    return list(g)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulates the gradients of ``tensors`` into the leaves' ``.grad``."""
    tensors = _tensor_list(tensors)
    grads = _grads_list(grad_tensors if grad_tensors is not None else grad_variables, len(tensors))
    if inputs is not None:
        inputs = _tensor_list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    _C._run_backward(tensors, grads, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple)."""
    outputs = _tensor_list(outputs)
    inputs_list = _tensor_list(inputs)
    grads = _grads_list(grad_outputs, len(outputs))
    if allow_unused is None:
        allow_unused = materialize_grads
    res = _C._run_grad(outputs, inputs_list, grads, retain_graph, create_graph, allow_unused)
    if materialize_grads:
        res = [g if g is not None else _C.zeros(tuple(i.shape), dtype=i.dtype, device=i.device)
               for g, i in zip(res, inputs_list)]
    return tuple(res)


Variable = _C.Tensor
