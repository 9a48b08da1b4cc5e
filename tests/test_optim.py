"""Optimizers: 20-step trajectories against numpy implementations of PyTorch's
documented update rules, state_dict layout and round trips, argument errors."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn

A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])


def grad_np(x):
    # f(x) = 0.5 x^T A x - b^T x + 0.1 sum(x^4): a fixed smooth non-quadratic problem
    return A @ x - B + 0.4 * x ** 3


def loss_ft(p):
    a, b = torch.tensor(A), torch.tensor(B)
    return 0.5 * (p @ (a @ p)) - (b * p).sum() + 0.1 * (p ** 4).sum()


# ---- numpy references (PyTorch's single-tensor formulas) -------------------------------
def sgd(x, g, s, t, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * x
    if momentum:
        s["b"] = g.copy() if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return x - lr * g


def adam(x, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
         decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if weight_decay:
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
    s["m"] = s.get("m", 0) * b1 + (1 - b1) * g
    s["v"] = s.get("v", 0) * b2 + (1 - b2) * g * g
    v = s["v"]
    if amsgrad:
        s["vm"] = np.maximum(s.get("vm", 0), v)
        v = s["vm"]
    denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps
    return x - lr / (1 - b1 ** t) * s["m"] / denom


def rmsprop(x, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * x
    s["sq"] = alpha * s.get("sq", 0) + (1 - alpha) * g * g
    if centered:
        s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
        avg = np.sqrt(s["sq"] - s["ga"] ** 2) + eps
    else:
        avg = np.sqrt(s["sq"]) + eps
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0) + g / avg
        return x - lr * s["b"]
    return x - lr * g / avg


def adagrad(x, g, s, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * x
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return x - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)


def adadelta(x, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * x
    s["sq"] = rho * s.get("sq", 0) + (1 - rho) * g * g
    delta = np.sqrt(s.get("acc", 0) + eps) / np.sqrt(s["sq"] + eps) * g
    s["acc"] = rho * s.get("acc", 0) + (1 - rho) * delta * delta
    return x - lr * delta


def adamax(x, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * x
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
    return x - lr / (1 - b1 ** t) * s["m"] / s["u"]


def nadam(x, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
          decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if weight_decay:
        if decoupled_weight_decay:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    s["prod"] = s.get("prod", 1.0) * mu
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    denom = np.sqrt(s["v"] / (1 - b2 ** t)) + eps
    x = x - lr * (1 - mu) / (1 - s["prod"]) * g / denom
    return x - lr * mu_next / (1 - s["prod"] * mu_next) * s["m"] / denom


def radam(x, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
          maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if weight_decay:
        if decoupled_weight_decay:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2 ** t / bc2
    m_hat = s["m"] / bc1
    if rho_t > 5:
        rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return x - m_hat * lr * np.sqrt(bc2) / (np.sqrt(s["v"]) + eps) * rect
    return x - m_hat * lr


CASES = [
    ("SGD", sgd, dict(lr=0.05)),
    ("SGD", sgd, dict(lr=0.05, momentum=0.9)),
    ("SGD", sgd, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", sgd, dict(lr=0.002, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", adam, dict(lr=0.05)),
    ("Adam", adam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("Adam", adam, dict(lr=0.05, maximize=True)),
    ("AdamW", lambda *a, **k: adam(*a, decoupled=True, **k), dict(lr=0.05, weight_decay=0.01)),
    ("AdamW", lambda *a, **k: adam(*a, decoupled=True, **k), dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", rmsprop, dict(lr=0.01)),
    ("RMSprop", rmsprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", rmsprop, dict(lr=0.01, centered=True)),
    ("Adagrad", adagrad, dict(lr=0.1)),
    ("Adagrad", adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adadelta", adadelta, dict()),
    ("Adadelta", adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", adamax, dict(lr=0.05)),
    ("Adamax", adamax, dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", nadam, dict(lr=0.05)),
    ("NAdam", nadam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", nadam, dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", radam, dict(lr=0.05)),
    ("RAdam", radam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.mark.parametrize("name,ref,kw", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_matches_documented_rule(name, ref, kw, dtype):
    x0 = np.array([0.5, -1.0, 2.0])
    p = nn.Parameter(torch.tensor(x0, dtype=getattr(torch, dtype)))
    opt = getattr(torch.optim, name)([p], **kw)
    x, s = x0.copy(), {}
    for t in range(1, 21):
        opt.zero_grad()
        loss_ft(p.double() if dtype == "float32" else p).backward()
        opt.step()
        x = ref(x, grad_np(x), s, t, **kw)
    tol = 1e-5 if dtype == "float64" else 2e-4
    np.testing.assert_allclose(p.detach().double().numpy(), x, rtol=tol, atol=tol * 1e-2)


def test_state_dict_layout_and_round_trip():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = torch.optim.Adam([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.01}],
                           lr=0.1, amsgrad=True)
    x = torch.randn(5, 3)
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][1]["lr"] == 0.01 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert float(sd["state"][3]["step"]) == 3.0 and sd["state"][3]["step"].dtype == torch.float32
    # a fresh optimizer loaded from the state continues exactly like the original
    twin_model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin_model.load_state_dict(model.state_dict())
    twin = torch.optim.Adam([{"params": twin_model[0].parameters()}, {"params": twin_model[2].parameters()}],
                            lr=0.5, amsgrad=True)
    twin.load_state_dict(sd)
    assert twin.param_groups[1]["lr"] == 0.01
    for m, o in ((model, opt), (twin_model, twin)):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    for a, b in zip(model.parameters(), twin_model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    with pytest.raises(ValueError, match="different number of parameter groups"):
        torch.optim.Adam(model.parameters()).load_state_dict(sd)


def test_sgd_state_and_repr():
    p = nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
                         "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
                         "    weight_decay: 0\n)")
    p.grad = torch.ones(2)
    opt.step()
    assert dict(opt.state) == {} or all(not v for v in opt.state.values())
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    assert list(opt.state[p]) == ["momentum_buffer"]


@pytest.mark.parametrize("make,exc,msg", [
    (lambda p: torch.optim.SGD([p], lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda p: torch.optim.Adam([p], betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (lambda p: torch.optim.Adam([]), ValueError, "optimizer got an empty parameter list"),
    (lambda p: torch.optim.Adam(p), TypeError, "params argument given to the optimizer should be an iterable of Tensors or dicts"),
    (lambda p: torch.optim.SGD([p], nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: torch.optim.Adam([{"params": [p]}, {"params": [p]}]), ValueError, "some parameters appear in more than one parameter group"),
    (lambda p: torch.optim.Adam([p * 2]), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda p: torch.optim.Adam([1.0]), TypeError, "optimizer can only optimize Tensors"),
])
def test_argument_errors(make, exc, msg):
    p = nn.Parameter(torch.ones(2))
    with pytest.raises(exc, match=msg.replace("(", r"\(").replace(")", r"\)")):
        make(p)


def test_closure_hooks_zero_grad_and_skipped_params():
    p, q = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p, q], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    h = opt.register_step_post_hook(lambda o, a, k: calls.append("post"))

    def closure():
        opt.zero_grad()
        loss = (p * 3).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 6.0 and calls == ["pre", "post"]
    np.testing.assert_allclose(p.detach().numpy(), [-0.5, -0.5])
    np.testing.assert_allclose(q.detach().numpy(), [1.0, 1.0])  # no grad: untouched
    h.remove()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and float(p.grad.abs().sum()) == 0.0
    opt.zero_grad()
    assert p.grad is None


def test_parameter_version_bumps_and_views_see_update():
    p = nn.Parameter(torch.zeros(4))
    view = p.detach()[1:3]
    v0 = p._version
    p.grad = torch.ones(4)
    torch.optim.SGD([p], lr=1.0).step()
    assert p._version > v0
    np.testing.assert_array_equal(view.numpy(), [-1.0, -1.0])


def test_trains_a_small_model():
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = (x[:, 0] - 2 * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.AdamW(model.parameters(), lr=0.05)
    for _ in range(100):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert float(loss) < 0.1
