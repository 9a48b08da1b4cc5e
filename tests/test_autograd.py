"""Autograd: SEED 3.3, graph metadata, errors, grad modes, hooks, in-place
semantics, custom Functions, gradcheck, anomaly mode and deep graphs.
References are hand-computed values, numpy, and finite differences."""
import gc
import subprocess
import sys
import threading

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import Function, gradcheck, gradgradcheck

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")


def leaf(a, dtype=torch.float64):
    return torch.tensor(a, dtype=dtype, requires_grad=True)


def test_seed_examples_verbatim():
    code = '''
import ferrotorch as torch
x = torch.tensor(2.0, requires_grad=True)
y = x ** 2  # y = x^2
y.backward()  # Compute the gradient
print(x.grad)  # Output: tensor(4.0), which is dy/dx
x1 = torch.tensor(3.0, requires_grad=True)
x2 = torch.tensor(4.0, requires_grad=True)
y = x1 * x2
y.backward()  # Compute gradients
print(x1.grad, x2.grad)  # Outputs: tensor(4.0), tensor(3.0)
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "tensor(4.)\ntensor(4.) tensor(3.)\n"


def test_repr_and_graph_metadata(default_device):
    dev = "" if default_device == "cpu" else ", device='cuda:0'"
    x = torch.tensor(2.0, requires_grad=True)
    assert repr(x) == f"tensor(2.{dev}, requires_grad=True)"
    y = x * 2
    assert repr(y) == f"tensor(4.{dev}, grad_fn=<MulBackward0>)"
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")
    nf = y.grad_fn.next_functions
    assert nf[0][0].name() == "AccumulateGrad" and nf[0][1] == 0
    assert nf[0][0].variable is not None
    z = (y + x).sum()
    assert z.grad_fn.name() == "SumBackward0"
    assert z.grad_fn.next_functions[0][0].name() == "AddBackward0"
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    assert x.grad_fn is None
    w = torch.ones(2)
    assert w.is_leaf and not w.requires_grad and w.grad is None
    names = {
        "exp": lambda t: t.exp(), "relu": lambda t: t.relu(), "sub": lambda t: t - 1,
        "div": lambda t: t / 2, "view": lambda t: t.view(-1), "t": lambda t: t.t(),
        "mean": lambda t: t.mean(), "sum1": lambda t: t.sum(0), "neg": lambda t: -t,
        "matmul": lambda t: t @ t, "select": lambda t: t[0], "slice": lambda t: t[:, 1:],
        "expand": lambda t: t[:1].expand(3, 2),
    }
    expect = {
        "exp": "ExpBackward0", "relu": "ReluBackward0", "sub": "SubBackward0", "div": "DivBackward0",
        "view": "ViewBackward0", "t": "TransposeBackward0", "mean": "DivBackward0",
        "sum1": "SumBackward1", "neg": "NegBackward0", "matmul": "MmBackward0",
        "select": "SelectBackward0", "slice": "SliceBackward0", "expand": "ExpandBackward0",
    }
    a = torch.ones(2, 2, requires_grad=True)
    for k, f in names.items():
        assert f(a).grad_fn.name() == expect[k], k


def test_grads_accumulate_and_broadcast_reduce():
    a = leaf([[1.0, 2.0, 3.0]])
    b = leaf([[1.0], [2.0]])
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), [[3.0, 3.0, 3.0]])
    np.testing.assert_allclose(b.grad.cpu().numpy(), [[6.0], [6.0]])
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), [[6.0, 6.0, 6.0]])
    a.grad = None
    assert a.grad is None


def test_mixed_dtype_grad_is_cast_back():
    a = torch.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = leaf([3.0, 4.0])  # float64
    (a * b).sum().backward()
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64
    np.testing.assert_allclose(a.grad.cpu().numpy(), [3.0, 4.0])


def test_backward_errors():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        torch.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.ones(3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        torch.ones(2, dtype=torch.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        (x * 2).requires_grad = False


def test_retain_graph_allows_second_backward():
    x = leaf(3.0)
    y = x ** 3
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(54.0)


def test_backward_with_gradient_argument():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64))
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 2.0, 0.0])


def test_autograd_grad_and_unused():
    x = leaf([1.0, 2.0])
    z = leaf([5.0])
    y = (x ** 2).sum()
    (gx,) = torch.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(gx.cpu().numpy(), [2.0, 4.0])
    assert x.grad is None  # grad() does not accumulate
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = torch.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gz is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(y, torch.ones(2))


def test_grad_wrt_non_leaf_and_backward_inputs():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = torch.autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.cpu().numpy(), [6.0, 12.0])
    w = leaf([1.0, 1.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.cpu().numpy(), [1.0, 2.0])


def test_higher_order_derivatives():
    x = leaf(2.0)
    y = x ** 4
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    assert (g.item(), g2.item(), g3.item()) == pytest.approx((32.0, 48.0, 48.0))
    x = leaf([0.3, -0.7])
    y = x.sin().sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), -np.sin([0.3, -0.7]))


def test_grad_modes():
    x = leaf([1.0])
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    assert torch.is_grad_enabled()

    @torch.no_grad()
    def f(t):
        return t * 2

    @torch.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    torch.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    assert not torch.is_inference_mode_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    ready, done = threading.Event(), threading.Event()

    def worker():
        ready.wait()
        x = torch.ones(1, requires_grad=True)
        seen["enabled"] = torch.is_grad_enabled()
        seen["req"] = (x * 2).requires_grad
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    with torch.no_grad():
        ready.set()
        done.wait()
        assert not torch.is_grad_enabled()
    t.join()
    assert seen == {"enabled": True, "req": True}


def test_detach_and_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 10.0  # shares memory and version counter
    assert y[0].item() == 10.0 and y._version == d._version
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.cpu().numpy(), [20.0, 8.0])
    z = x * 3
    z.detach_()
    assert z.is_leaf and not z.requires_grad
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        torch.ones(1).retain_grad()


def test_register_hook_on_leaf_and_non_leaf():
    x = leaf([1.0, 2.0])
    seen = []
    h = x.register_hook(lambda g: seen.append(g.clone()))
    y = x * 3
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(seen[0].cpu().numpy(), [30.0, 30.0])
    np.testing.assert_allclose(x.grad.cpu().numpy(), [30.0, 30.0])
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(1).register_hook(lambda g: g)

    def bad(g):
        raise ValueError("boom")

    w = leaf([1.0])
    w.register_hook(bad)
    with pytest.raises(ValueError, match="boom"):
        (w * 2).sum().backward()


def test_inplace_on_leaf_and_view_of_leaf_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place operation."):
        x[0].mul_(2)
    with torch.no_grad():
        x.add_(1)  # allowed without grad
    np.testing.assert_allclose(x.detach().cpu().numpy(), [2.0, 3.0])


def test_modified_saved_tensor_raises():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y.exp()  # saves its output
    z.add_(1)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been modified by an inplace operation: \\[torch.DoubleTensor \\[2\\]\\], which is output 0 of ExpBackward0, is at version 1; expected version 0 instead"):
        z.sum().backward()
    a = leaf([1.0, 2.0])
    b = a * 1
    c = b * b  # saves b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_inplace_on_non_leaf_gives_correct_grads():
    x = leaf([-1.0, 2.0, 3.0])
    y = x * 2
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0"
    y.relu_()
    y.mul_(3)
    y.sum().backward()
    # d/dx 3*relu(2x+1) = 6 where 2x+1 > 0
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.0, 6.0, 6.0])


def test_inplace_on_views_of_non_leaf():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    y = x * 1
    v = y[1:3]
    v.mul_(5)
    (y * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1.0, 10.0, 15.0, 4.0])

    # x[0] = y: the written slot takes y's grad, the rest keeps the base's
    a = leaf([1.0, 2.0, 3.0])
    w = leaf(7.0)
    b = a * 2
    b[0] = w * w
    b.sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), [0.0, 2.0, 2.0])
    assert w.grad.item() == pytest.approx(14.0)

    # writing into a tensor that did not require grad makes it require grad
    out = torch.zeros(3, dtype=torch.float64)
    p = leaf(2.0)
    out[1] = p * 3
    assert out.requires_grad and out.grad_fn.name() == "CopySlices"
    (out * out).sum().backward()
    assert p.grad.item() == pytest.approx(36.0)


class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class MulConst(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k, (x > 0)

    @staticmethod
    def backward(ctx, g, _g_mask):
        assert ctx.needs_input_grad == (True, False)
        return g * ctx.k, None


def test_custom_function():
    x = leaf([0.5, -1.0])
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.exp([0.5, -1.0]))
    x.grad = None
    out, mask = MulConst.apply(x, 3.0)
    assert mask.dtype == torch.bool and not mask.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [3.0, 3.0])
    assert gradcheck(Exp.apply, (leaf([0.1, 0.2]),))
    # non-differentiable outputs
    class Argmax(Function):
        @staticmethod
        def forward(ctx, t):
            r = t * 1
            ctx.mark_non_differentiable(r)
            return r

        @staticmethod
        def backward(ctx, g):
            return g

    r = Argmax.apply(leaf([1.0]))
    assert not r.requires_grad


def test_custom_function_errors_propagate():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise KeyError("from backward")

    with pytest.raises(KeyError):
        Bad.apply(leaf([1.0])).sum().backward()


def test_gradcheck_detects_wrong_gradient():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2*x*g

    assert not gradcheck(Wrong.apply, (leaf([1.0, 2.0]),), raise_exception=False)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(Wrong.apply, (leaf([1.0, 2.0]),))


def test_anomaly_mode_names_forward_op():
    x = leaf([-1.0])
    with torch.autograd.detect_anomaly():
        y = x.sqrt()  # NaN forward -> NaN grad
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
    msg = str(e.value)
    assert "Function 'SqrtBackward0' returned nan values in its 0th output." in msg
    assert "test_autograd.py" in msg and "x.sqrt()" in msg
    assert not torch.autograd.grad_mode._C.is_anomaly_enabled()


def _rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def test_100k_op_chain_backward_and_drop_do_not_leak():
    def run():
        x = torch.ones(16, requires_grad=True)
        y = x
        for _ in range(100_000):
            y = y * 1.0
        y.sum().backward()
        assert x.grad.tolist() == [1.0] * 16
        del x, y

    run()
    gc.collect()
    base = _rss_kib()
    for _ in range(3):
        run()
        gc.collect()
    grown_mib = (_rss_kib() - base) / 1024
    assert grown_mib < 20, f"RSS grew {grown_mib:.1f} MiB over 3 chains"

    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    del y  # dropping an un-run 100k graph must not overflow the stack


def test_fill_and_zero_update_history():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    y[1:].fill_(5.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 0.0, 0.0])
    v = leaf(4.0)
    z = torch.zeros(3, dtype=torch.float64)
    z.fill_(v)
    (z * z).sum().backward()
    assert v.grad.item() == pytest.approx(24.0)
    w = torch.ones(2)
    assert w.zero_() is w and w.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        w.fill_(torch.ones(2))


def test_data_is_a_detached_alias_and_assignable():
    p = leaf([1.0, 2.0])
    p.grad = torch.tensor([0.5, 0.5], dtype=torch.float64)
    p.data -= 0.1 * p.grad
    np.testing.assert_allclose(p.detach().cpu().numpy(), [0.95, 1.95])
    assert p.is_leaf and p.requires_grad and not p.data.requires_grad
    p.data = torch.zeros(2, dtype=torch.float64)
    assert p.tolist() == [0.0, 0.0]


def test_inplace_ops_that_read_self_keep_working():
    # PyTorch saves the original self for these; the write must not invalidate it
    x, w = leaf([0.5, -1.0]), leaf([2.0, 3.0])
    y = x * 1
    y.mul_(w)
    y.sin_()
    y *= w
    y.sum().backward()
    xv, wv = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.cos(xv * wv) * wv * wv)
    np.testing.assert_allclose(w.grad.cpu().numpy(), np.cos(xv * wv) * xv * wv + np.sin(xv * wv))
    z = torch.ones(2, dtype=torch.float64)
    z.clamp_(min=w - 0.5)
    z.sum().backward()
    np.testing.assert_allclose(w.grad.cpu().numpy() - (np.cos(xv * wv) * xv * wv + np.sin(xv * wv)), [1.0, 1.0])


def test_custom_function_saved_tensors_are_checked_freed_and_not_leaked():
    x = leaf([0.5, -1.0])
    y = Exp.apply(x)
    s = y.sum()
    s.backward(retain_graph=True)
    s.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * np.exp([0.5, -1.0]))
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        s.backward()
    y2 = Exp.apply(x)
    with torch.no_grad():
        y2.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2.sum().backward()
    # an output saved by its own node must not keep itself alive (4 MB per call)
    big = torch.ones(1 << 20, requires_grad=True)
    gc.collect()
    base = _rss_kib()
    for _ in range(100):
        Exp.apply(big).sum().backward()
    gc.collect()
    assert (_rss_kib() - base) / 1024 < 100
