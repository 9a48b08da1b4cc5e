"""softmax/log_softmax kernels and the classification/regression losses
against numpy float64 references, plus gradcheck; SEED.md 4.1-4.2 pieces."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from ferrotorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(3)


def np_log_softmax(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 7), 1), ((3, 7), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((), 0)])
def test_softmax_log_softmax_match_numpy(shape, dim):
    a = RNG.standard_normal(shape) * 10
    t = torch.tensor(a)
    ref = np_log_softmax(a, dim if a.ndim else None) if a.ndim else np.zeros(())
    np.testing.assert_allclose(t.log_softmax(dim).numpy(), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(torch.softmax(t, dim).numpy(), np.exp(ref), rtol=1e-12, atol=1e-12)
    t32 = torch.tensor(a, dtype=torch.float32)
    np.testing.assert_allclose(F.log_softmax(t32, dim).numpy(), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(t.T.contiguous().T.softmax(dim).numpy(), np.exp(ref), rtol=1e-12, atol=1e-12)


def test_softmax_is_stable_and_typed():
    t = torch.tensor([1000.0, 1000.0, -1000.0])
    np.testing.assert_allclose(t.softmax(0).numpy(), [0.5, 0.5, 0.0])
    assert t.half().softmax(0).dtype == torch.float16
    assert torch.tensor([1, 2]).softmax(0, dtype=torch.float64).dtype == torch.float64
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        torch.tensor([1, 2]).softmax(0)
    with pytest.raises(IndexError):
        t.softmax(1)
    x = torch.randn(2, 3, 4)
    np.testing.assert_allclose(F.softmax(x).numpy(), x.softmax(0).numpy())  # PyTorch's implicit dim for 3-D input
    assert repr(nn.LogSoftmax(dim=1)) == "LogSoftmax(dim=1)"


@pytest.mark.parametrize("f", [
    lambda x: x.softmax(1), lambda x: x.log_softmax(0), lambda x: F.log_softmax(x, -1) * x,
])
def test_softmax_gradcheck(f):
    x = torch.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def np_cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    n, c = logits.shape
    logp = np_log_softmax(logits, 1)
    w = np.ones(c) if weight is None else weight
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    nll = -logp[np.arange(n), t] * w[t] * valid
    smooth = -(logp * w).sum(1) * valid
    if reduction == "mean":
        denom = (w[t] * valid).sum()
        nll, smooth = nll.sum() / denom, smooth.sum() / denom
    elif reduction == "sum":
        nll, smooth = nll.sum(), smooth.sum()
    return (1 - label_smoothing) * nll + label_smoothing / c * smooth


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_matches_numpy(reduction, weighted, label_smoothing):
    logits = RNG.standard_normal((6, 4))
    target = np.array([0, 3, 1, -100, 2, 3])
    weight = np.array([0.5, 1.0, 2.0, 1.5]) if weighted else None
    got = F.cross_entropy(torch.tensor(logits), torch.tensor(target),
                          weight=torch.tensor(weight) if weighted else None,
                          reduction=reduction, label_smoothing=label_smoothing)
    ref = np_cross_entropy(logits, target, weight, -100, reduction, label_smoothing)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-12)


def test_cross_entropy_probabilities_and_nd_inputs():
    logits = RNG.standard_normal((5, 3))
    probs = RNG.dirichlet(np.ones(3), size=5)
    got = F.cross_entropy(torch.tensor(logits), torch.tensor(probs))
    np.testing.assert_allclose(got.item(), -(probs * np_log_softmax(logits, 1)).sum(1).mean(), rtol=1e-12)
    x = RNG.standard_normal((2, 3, 4))  # (N, C, d1)
    t = RNG.integers(0, 3, size=(2, 4))
    got = F.cross_entropy(torch.tensor(x), torch.tensor(t))
    ref = np_cross_entropy(x.transpose(0, 2, 1).reshape(-1, 3), t.reshape(-1))
    np.testing.assert_allclose(got.item(), ref, rtol=1e-12)


def test_loss_errors():
    x = torch.randn(3, 4)
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(x, torch.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match="Expected input batch_size \\(3\\) to match target batch_size \\(2\\)"):
        F.nll_loss(x, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.mse_loss(x, x, reduction="avg")


def test_losses_gradcheck_and_modules():
    x = torch.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    t = torch.tensor([1, 0, 4, 2])
    w = torch.tensor(RNG.uniform(0.5, 2, 5))
    assert gradcheck(lambda x: F.cross_entropy(x, t, weight=w, label_smoothing=0.1), (x,))
    assert gradcheck(lambda x: F.nll_loss(x.log_softmax(1), t, ignore_index=0), (x,))
    y = torch.tensor(RNG.standard_normal((4, 5)))
    assert gradcheck(lambda x: F.mse_loss(x, y) + F.l1_loss(x, y, reduction="sum"), (x,))
    criterion = nn.CrossEntropyLoss()  # SEED.md 4.2
    np.testing.assert_allclose(criterion(x, t).item(), np_cross_entropy(x.detach().numpy(), t.numpy()), rtol=1e-12)
    assert list(nn.CrossEntropyLoss(weight=w).state_dict()) == ["weight"]
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(x, y).item(), ((x.detach().numpy() - y.numpy()) ** 2).sum())


def test_seed_4_1_model_with_log_softmax():
    class SimpleNN(nn.Module):
        def __init__(self):
            super(SimpleNN, self).__init__()
            self.fc1 = nn.Linear(784, 128)  # Input layer (784) to hidden layer (128)
            self.fc2 = nn.Linear(128, 10)    # Hidden layer (128) to output layer (10)

        def forward(self, x):
            x = F.relu(self.fc1(x))  # Apply ReLU activation function
            x = self.fc2(x)  # Output layer
            return F.log_softmax(x, dim=1)  # Log softmax for multi-class classification

    model = SimpleNN()
    out = model(torch.randn(8, 784))
    np.testing.assert_allclose(out.exp().sum(1).detach().numpy(), np.ones(8), rtol=1e-5)
    assert out.grad_fn.name() == "LogSoftmaxBackward0"
    F.nll_loss(out, torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])).backward()
    assert model.fc1.weight.grad is not None


def test_softmax_special_values_and_fast_exp_accuracy():
    t = torch.tensor([[0.0, float("-inf"), 1.0], [float("nan"), 1.0, 2.0], [float("-inf")] * 3])
    got = t.log_softmax(1).numpy()
    np.testing.assert_allclose(got[0], np_log_softmax(np.array([0.0, -np.inf, 1.0]), 0), rtol=1e-6)
    assert np.isnan(got[1]).all() and np.isnan(got[2]).all()
    np.testing.assert_allclose(t.softmax(1).numpy()[0], [1 / (1 + np.e), 0.0, np.e / (1 + np.e)], rtol=1e-6)
    # wide dynamic range in float32 against float64 numpy, long rows (vectorised path)
    a = (RNG.standard_normal((7, 1000)) * 30).astype(np.float32)
    ref = np_log_softmax(a.astype(np.float64), 1)
    np.testing.assert_allclose(torch.from_numpy(a).log_softmax(1).numpy(), ref, rtol=2e-6, atol=2e-5)
    np.testing.assert_allclose(torch.from_numpy(a).softmax(1).numpy(), np.exp(ref), rtol=1e-5, atol=1e-30)
