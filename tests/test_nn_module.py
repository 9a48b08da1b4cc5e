"""nn.Module system (issue 4, first part): registration, traversal, modes,
state_dict round trips and errors, containers, hooks, dtype moves, reprs
and Linear's PyTorch initialisation. References: PyTorch's documented
behaviour and output strings, and hand-computed values."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F


class SimpleNN(nn.Module):  # SEED.md 4.1 (log_softmax arrives with the functional kernels)
    def __init__(self):
        super(SimpleNN, self).__init__()
        self.fc1 = nn.Linear(784, 128)  # Input layer (784) to hidden layer (128)
        self.fc2 = nn.Linear(128, 10)    # Hidden layer (128) to output layer (10)

    def forward(self, x):
        x = F.relu(self.fc1(x))  # Apply ReLU activation function
        return self.fc2(x)  # Output layer


def test_parameter_is_a_tensor_sharing_data():
    t = torch.ones(2)
    p = nn.Parameter(t)
    assert isinstance(p, torch.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    t[0] = 5.0  # shares memory with the tensor it was built from
    assert p[0].item() == 5.0
    assert repr(nn.Parameter(torch.zeros(2))) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    assert not nn.Parameter(torch.zeros(1), requires_grad=False).requires_grad


def test_registration_and_traversal():
    m = SimpleNN()
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [tuple(p.shape) for p in m.parameters()] == [(128, 784), (128,), (10, 128), (10,)]
    assert [n for n, _ in m.named_children()] == ["fc1", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "fc2"]
    assert list(m.state_dict().keys()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert m.get_submodule("fc2") is m.fc2
    with pytest.raises(AttributeError, match="'SimpleNN' object has no attribute 'fc3'"):
        m.fc3
    with pytest.raises(TypeError, match="cannot assign"):
        m.fc1 = torch.ones(1)
    # shared modules and parameters are listed once
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2 and len(list(seq.modules())) == 3
    # buffers: persistent ones are in the state_dict
    m.register_buffer("steps", torch.zeros(1))
    m.register_buffer("cache", torch.zeros(1), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    assert "steps" in m.state_dict() and "cache" not in m.state_dict()
    m.extra = nn.Parameter(torch.ones(3))
    assert "extra" in dict(m.named_parameters())
    del m.extra
    assert "extra" not in dict(m.named_parameters())


def test_forward_backward_and_zero_grad():
    torch.manual_seed(0)
    m = SimpleNN()
    out = m(torch.randn(4, 784))
    assert tuple(out.shape) == (4, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    np.testing.assert_allclose(m.fc2.bias.grad.numpy(), np.full(10, 4.0))
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    out = m(torch.randn(2, 784))
    out.sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in m.parameters())


def test_train_eval_and_requires_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    assert m.training and m[1][0].training
    m.eval()
    assert not m.training and not m[1][0].training
    m.train()
    assert m[1][0].training
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_state_dict_round_trip_and_errors():
    a, b = SimpleNN(), SimpleNN()
    r = b.load_state_dict(a.state_dict())
    assert repr(r) == "<All keys matched successfully>"
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    sd = a.state_dict()
    assert not sd["fc1.weight"].requires_grad  # detached, as in PyTorch
    del sd["fc2.bias"]
    sd["junk"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(sd)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for SimpleNN:")
    assert 'Missing key(s) in state_dict: "fc2.bias".' in msg and 'Unexpected key(s) in state_dict: "junk".' in msg
    r = b.load_state_dict(sd, strict=False)
    assert r.missing_keys == ["fc2.bias"] and r.unexpected_keys == ["junk"]
    bad = a.state_dict()
    bad["fc1.bias"] = torch.zeros(3)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.bias: copying a param with shape torch.Size\(\[3\]\) from checkpoint, the shape in current model is torch.Size\(\[128\]\)."):
        b.load_state_dict(bad)


def test_containers():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    seq.append(nn.Tanh())
    assert len(seq) == 4 and list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"] and named.act is named[1]
    x = torch.randn(5, 3)
    np.testing.assert_allclose(seq(x).detach().numpy(), seq[3](seq[2](seq[1](seq[0](x)))).detach().numpy())
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6 and isinstance(ml[-1], nn.ReLU)
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and list(md.state_dict()) == ["a.weight", "a.bias"]
    pl = nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(3)])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"] and isinstance(pl[1], nn.Parameter)
    pd = nn.ParameterDict({"w": torch.ones(1)})
    assert list(pd.state_dict()) == ["w"]


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    out = m(torch.ones(1, 2))
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 1, rtol=1e-6)
    h1.remove()
    h2.remove()
    m(torch.ones(1, 2))
    assert calls == ["pre", "post"]


def test_dtype_moves_keep_parameter_objects():
    m = nn.Linear(2, 3)
    w = m.weight
    m.double()
    assert m.weight.dtype == torch.float64 and isinstance(m.weight, nn.Parameter)
    m.to(torch.float32)
    assert m.weight.dtype == torch.float32 and m.bias.dtype == torch.float32
    m.float()
    assert m.weight is not None and w.dtype == torch.float32


def test_reprs_match_pytorch():
    assert repr(nn.Linear(3, 4, bias=False)) == "Linear(in_features=3, out_features=4, bias=False)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU()))) == (
        "Sequential(\n  (0): Linear(in_features=1, out_features=2, bias=True)\n"
        "  (1): Sequential(\n    (0): ReLU()\n  )\n)"
    )


def test_linear_init_and_nn_init():
    torch.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) and the bias bound
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    t = torch.empty(50, 80)
    nn.init.xavier_uniform_(t)
    a = math.sqrt(6 / 130)
    assert np.abs(t.numpy()).max() <= a and t.is_leaf and not t.requires_grad
    assert nn.init.calculate_gain("relu") == math.sqrt(2) and nn.init.calculate_gain("tanh") == 5 / 3
    nn.init.constant_(t, 0.5)
    assert float(t.sum()) == 0.5 * 4000
    nn.init.zeros_(m.weight)  # works on a leaf that requires grad (no history recorded)
    assert float(m.weight.abs().sum()) == 0.0 and m.weight.grad_fn is None


def test_training_a_linear_model_with_module_parameters():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    w_true = torch.tensor([[1.5], [-2.0], [0.5]])
    y = x @ w_true + 0.3
    m = nn.Linear(3, 1)
    for _ in range(300):
        loss = ((m(x) - y) ** 2).mean()
        m.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in m.parameters():
                p -= 0.1 * p.grad
    np.testing.assert_allclose(m.weight.detach().numpy(), w_true.t().numpy(), atol=1e-3)
    assert abs(m.bias.item() - 0.3) < 1e-3


def test_full_backward_hooks_see_and_replace_grads():
    m = nn.Linear(3, 2)
    log = []
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [tuple(g.shape) for g in go])))

    def hook(mod, gi, go):
        log.append(("hook", mod is m, [tuple(g.shape) for g in gi], [tuple(g.shape) for g in go]))
        return (gi[0] * 2,)

    handle = m.register_full_backward_hook(hook)
    x = torch.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert log == [("pre", [(4, 2)]), ("hook", True, [(4, 3)], [(4, 2)])]
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((4, 2)) @ w, rtol=1e-6)  # replaced grad_input
    # a pre-hook can replace grad_output: zero grads reach the weight
    handle.remove()
    m.weight.grad = None
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0,))
    m(x).sum().backward()
    assert float(m.weight.grad.abs().sum()) == 0.0
    # no input needs grad: hooks still fire with grad_input None, and warn as PyTorch does
    seen = []
    m2 = nn.Linear(3, 2)
    m2.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    with pytest.warns(UserWarning, match="Full backward hook is firing"):
        m2(torch.randn(4, 3)).sum().backward()
    assert seen == [(None,)]
