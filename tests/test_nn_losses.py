"""Regression, binary, divergence and embedding losses against numpy float64
references: every reduction, the legacy size_average/reduce arguments,
gradcheck in float64, PyTorch's gradients where BCE saturates, module
attributes/buffers, and PyTorch's errors and warnings."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from ferrotorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(5)


def np_reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def np_smooth_l1(x, y, beta=1.0):
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta) if beta > 0 else d


def np_huber(x, y, delta=1.0):
    d = np.abs(x - y)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def np_bce(x, t, w=1.0):
    with np.errstate(divide="ignore"):
        return -w * (t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))


def np_bce_logits(x, t, w=1.0, pos_weight=None):
    lw = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * t
    return w * ((1 - t) * x + lw * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)))


def np_kl(x, t, log_target=False):
    if log_target:
        return np.exp(t) * (t - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, t * np.log(t)) - t * x


def np_cos_embed(a, b, y, margin=0.0):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return np.where(y == 1, 1 - cos, 0.0) + np.where(y == -1, np.maximum(cos - margin, 0), 0.0)


def np_pdist(a, b, p=2.0, eps=1e-6):
    d = np.abs(a - b + eps)
    if p == np.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


def np_triplet(a, p_, n, margin=1.0, p=2.0, eps=1e-6, swap=False):
    dp, dn = np_pdist(a, p_, p, eps), np_pdist(a, n, p, eps)
    if swap:
        dn = np.minimum(dn, np_pdist(p_, n, p, eps))
    return np.maximum(dp - dn + margin, 0)


T = torch.tensor


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression_losses(reduction):
    x, y = RNG.standard_normal((4, 5)) * 2, RNG.standard_normal((4, 5))
    for beta in (1.0, 0.5, 0.0):
        got = F.smooth_l1_loss(T(x), T(y), reduction=reduction, beta=beta)
        np.testing.assert_allclose(got.numpy(), np_reduce(np_smooth_l1(x, y, beta), reduction), rtol=1e-12)
    for delta in (1.0, 0.3, 2.5):
        got = F.huber_loss(T(x), T(y), reduction=reduction, delta=delta)
        np.testing.assert_allclose(got.numpy(), np_reduce(np_huber(x, y, delta), reduction), rtol=1e-12)
    w = RNG.uniform(0, 2, (4, 5))
    got = F.huber_loss(T(x), T(y), reduction=reduction, weight=T(w))
    np.testing.assert_allclose(got.numpy(), np_reduce(np_huber(x, y) * w, reduction), rtol=1e-12)
    got32 = F.smooth_l1_loss(T(x, dtype=torch.float32), T(y, dtype=torch.float32), reduction=reduction)
    assert got32.dtype == torch.float32
    np.testing.assert_allclose(got32.numpy(), np_reduce(np_smooth_l1(x, y), reduction), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy(reduction):
    x, t = RNG.uniform(0.01, 0.99, (3, 4)), RNG.uniform(0, 1, (3, 4))
    w = RNG.uniform(0.5, 2, 4)  # broadcasts over the batch
    got = F.binary_cross_entropy(T(x), T(t), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), np_reduce(np_bce(x, t), reduction), rtol=1e-12)
    got = F.binary_cross_entropy(T(x), T(t), weight=T(w), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), np_reduce(np_bce(x, t, w), reduction), rtol=1e-12)
    got32 = F.binary_cross_entropy(T(x, dtype=torch.float32), T(t, dtype=torch.float32), reduction=reduction)
    np.testing.assert_allclose(got32.numpy(), np_reduce(np_bce(x, t), reduction), rtol=1e-5)


def test_binary_cross_entropy_saturated_inputs():
    # log is clamped at -100; the gradient's denominator x(1-x) is clamped at 1e-12 (PyTorch's EPSILON)
    x = T([0.0, 1.0, 0.0, 1.0, 0.5], requires_grad=True)
    t = T([1.0, 0.0, 0.0, 1.0, 0.25])
    loss = F.binary_cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, 0.0, 0.0, np_bce(0.5, 0.25)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1e12, 1e12, 0.0, 0.0, 1.0], rtol=1e-6)
    assert "BinaryCrossEntropyBackward" in repr(loss.grad_fn)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy_with_logits(reduction):
    x, t = RNG.standard_normal((3, 4)) * 5, RNG.uniform(0, 1, (3, 4))
    x[0, :2] = [-800.0, 800.0]  # stable form: no overflow
    w, pw = RNG.uniform(0.5, 2, (3, 4)), RNG.uniform(0.5, 3, 4)
    got = F.binary_cross_entropy_with_logits(T(x), T(t), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), np_reduce(np_bce_logits(x, t), reduction), rtol=1e-12)
    got = F.binary_cross_entropy_with_logits(T(x), T(t), weight=T(w), pos_weight=T(pw), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), np_reduce(np_bce_logits(x, t, w, pw), reduction), rtol=1e-12)
    xg = T(x, requires_grad=True)
    F.binary_cross_entropy_with_logits(xg, T(t), pos_weight=T(pw), reduction="sum").backward()
    sig = 0.5 * (1 + np.tanh(x / 2))
    lw = 1 + (pw - 1) * t
    np.testing.assert_allclose(xg.grad.numpy(), (1 - t) - lw * (1 - sig), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(log_target):
    x = np.log(RNG.dirichlet(np.ones(5), size=3))
    t = RNG.dirichlet(np.ones(5), size=3)
    t[0, 1] = 0.0  # 0 * log 0 counts as 0
    if log_target:
        t = np.log(t + 0.1)
    ref = np_kl(x, t, log_target)
    for reduction, want in [("none", ref), ("sum", ref.sum()), ("batchmean", ref.sum() / 3)]:
        got = F.kl_div(T(x), T(t), reduction=reduction, log_target=log_target)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-15)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        got = F.kl_div(T(x), T(t), log_target=log_target)
    np.testing.assert_allclose(got.item(), ref.mean(), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the legacy arguments do not warn
        np.testing.assert_allclose(F.kl_div(T(x), T(t), size_average=False, log_target=log_target).item(), ref.sum(), rtol=1e-12)
    assert F.kl_div(T(-1.0), T(0.5), reduction="batchmean").item() == pytest.approx(0.5 * (np.log(0.5) + 1))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_embedding_losses(reduction):
    a, b = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 4))
    y = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    for margin in (0.0, 0.3):
        got = F.cosine_embedding_loss(T(a), T(b), T(y), margin=margin, reduction=reduction)
        np.testing.assert_allclose(got.numpy(), np_reduce(np_cos_embed(a, b, y, margin), reduction), rtol=1e-12)
    np.testing.assert_allclose(F.cosine_embedding_loss(T(a[0]), T(b[0]), T(-1.0), reduction=reduction).numpy(),
                               np_cos_embed(a[0], b[0], -1.0), rtol=1e-12)
    x1, x2 = RNG.standard_normal(6), RNG.standard_normal(6)
    got = F.margin_ranking_loss(T(x1), T(x2), T(y), margin=0.5, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), np_reduce(np.maximum(-y * (x1 - x2) + 0.5, 0), reduction), rtol=1e-12)
    n = RNG.standard_normal((6, 4))
    for kw in ({}, {"p": 1.0, "margin": 2.0}, {"swap": True, "eps": 1e-3}, {"p": 3.0}):
        got = F.triplet_margin_loss(T(a), T(b), T(n), reduction=reduction, **kw)
        np.testing.assert_allclose(got.numpy(), np_reduce(np_triplet(a, b, n, **kw), reduction), rtol=1e-12)


def test_legacy_reduction_arguments():
    x, y = RNG.standard_normal(5), RNG.standard_normal(5)
    ref = np_smooth_l1(x, y)
    np.testing.assert_allclose(F.smooth_l1_loss(T(x), T(y), size_average=False).item(), ref.sum(), rtol=1e-12)
    np.testing.assert_allclose(F.smooth_l1_loss(T(x), T(y), reduce=False).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(F.smooth_l1_loss(T(x), T(y), size_average=True, reduce=True).item(), ref.mean(), rtol=1e-12)
    assert nn.BCELoss(size_average=False).reduction == "sum"
    assert nn.BCEWithLogitsLoss(reduce=False).reduction == "none"
    assert nn.KLDivLoss(size_average=False).reduction == "sum"
    assert nn.TripletMarginLoss(reduce=False, size_average=True).reduction == "none"
    assert nn.MarginRankingLoss(size_average=True).reduction == "mean"


def test_gradcheck():
    x = T(RNG.standard_normal((3, 4)), requires_grad=True)
    y = T(RNG.standard_normal((3, 4)) * 2, requires_grad=True)
    assert gradcheck(lambda a, b: F.smooth_l1_loss(a, b, beta=0.7), (x, y))
    assert gradcheck(lambda a, b: F.huber_loss(a, b, delta=0.6, reduction="sum"), (x, y))
    p = T(RNG.uniform(0.05, 0.95, (3, 4)), requires_grad=True)
    t = T(RNG.uniform(0, 1, (3, 4)), requires_grad=True)
    w = T(RNG.uniform(0.5, 2, (3, 4)))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=w), (p, t))
    assert gradgradcheck(lambda a: F.binary_cross_entropy(a, t.detach()), (p,))
    pw = T(RNG.uniform(0.5, 3, 4))
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, pos_weight=pw), (x, t))
    assert gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, t.detach()), (x,))
    lp = T(np.log(RNG.dirichlet(np.ones(4), size=3)), requires_grad=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (lp, p))
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), (lp, y))
    lab = T([1.0, -1.0, -1.0])
    assert gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, lab, margin=-0.5), (x, y))
    assert gradcheck(lambda a, b: F.margin_ranking_loss(a, b, T([1.0, -1.0, 1.0, -1.0]), margin=0.1),
                     (x[0].detach().requires_grad_(), y[0].detach().requires_grad_()))
    n = T(RNG.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=3.0, swap=True), (x, y, n))
    assert gradcheck(lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=3.0, p=1), (x, y, n))


def test_modules():
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    p, t = RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4))
    np.testing.assert_allclose(nn.SmoothL1Loss(beta=0.5)(T(x), T(y)).item(), np_smooth_l1(x, y, 0.5).mean(), rtol=1e-12)
    np.testing.assert_allclose(nn.HuberLoss(reduction="sum", delta=0.5)(T(x), T(y)).item(), np_huber(x, y, 0.5).sum(), rtol=1e-12)
    w = RNG.uniform(0.5, 2, 4)
    m = nn.BCELoss(weight=T(w))
    assert list(m.state_dict()) == ["weight"]
    np.testing.assert_allclose(m(T(p), T(t)).item(), np_bce(p, t, w).mean(), rtol=1e-12)
    m = nn.BCEWithLogitsLoss(pos_weight=T(w))
    assert list(m.state_dict()) == ["pos_weight"] and m.weight is None
    np.testing.assert_allclose(m(T(x), T(t)).item(), np_bce_logits(x, t, pos_weight=w).mean(), rtol=1e-12)
    m = nn.KLDivLoss(reduction="batchmean", log_target=True)
    np.testing.assert_allclose(m(T(x), T(y)).item(), np_kl(x, y, True).sum() / 3, rtol=1e-12)
    lab = np.array([1.0, -1.0, 1.0])
    np.testing.assert_allclose(nn.CosineEmbeddingLoss(0.2)(T(x), T(y), T(lab)).item(), np_cos_embed(x, y, lab, 0.2).mean(), rtol=1e-12)
    np.testing.assert_allclose(nn.MarginRankingLoss(0.2, reduction="sum")(T(x[0]), T(y[0]), T(np.sign(x[1]))).item(),
                               np.maximum(-np.sign(x[1]) * (x[0] - y[0]) + 0.2, 0).sum(), rtol=1e-12)
    m = nn.TripletMarginLoss(margin=2.0, p=1.0, swap=True)
    assert (m.margin, m.p, m.eps, m.swap, m.reduction) == (2.0, 1.0, 1e-6, True, "mean")
    np.testing.assert_allclose(m(T(x), T(y), T(p)).item(), np_triplet(x, y, p, 2.0, 1.0, swap=True).mean(), rtol=1e-12)
    for m in (nn.SmoothL1Loss(), nn.HuberLoss(), nn.BCELoss(), nn.BCEWithLogitsLoss(), nn.KLDivLoss(),
              nn.CosineEmbeddingLoss(), nn.MarginRankingLoss(), nn.TripletMarginLoss()):
        assert repr(m) == type(m).__name__ + "()"  # PyTorch's losses print no extra_repr


def test_errors_and_warnings():
    x, y = torch.rand(3, 4), torch.rand(3, 1)
    with pytest.raises(ValueError, match=r"^Using a target size \(torch.Size\(\[3, 1\]\)\) that is different to the "
                       r"input size \(torch.Size\(\[3, 4\]\)\) is deprecated. Please ensure they have the same size.$"):
        F.binary_cross_entropy(x, y)
    with pytest.raises(ValueError, match=r"^Target size \(torch.Size\(\[3, 1\]\)\) must be the same as input size "
                       r"\(torch.Size\(\[3, 4\]\)\)$"):
        F.binary_cross_entropy_with_logits(x, y)
    with pytest.raises(RuntimeError, match="^all elements of input should be between 0 and 1$"):
        F.binary_cross_entropy(x * 3, x)
    with pytest.raises(RuntimeError, match="^all elements of input should be between 0 and 1$"):
        F.binary_cross_entropy(T([float("nan")]), T([1.0]))
    with pytest.raises(RuntimeError, match="^all elements of target should be between 0 and 1$"):
        F.binary_cross_entropy(x, x * 3)
    with pytest.raises(RuntimeError, match="^Found dtype Double but expected Float$"):
        F.binary_cross_entropy(x, x.double())
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.binary_cross_entropy(T([1, 0]), T([1, 0]))
    with pytest.raises(ValueError, match="^bad is not a valid value for reduction$"):
        F.binary_cross_entropy(x, x, reduction="bad")
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3, 1\]\)\) that is different to the input "
                      r"size \(torch.Size\(\[3, 4\]\)\). This will likely lead to incorrect results due to broadcasting."):
        F.smooth_l1_loss(x, y)
    for f in (F.huber_loss, F.mse_loss, F.l1_loss):
        with pytest.warns(UserWarning, match="This will likely lead to incorrect results due to broadcasting"):
            f(x, y)
    with pytest.raises(RuntimeError, match="^smooth_l1_loss does not support negative values for beta.$"):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(RuntimeError, match="^huber_loss does not support non-positive values for delta.$"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="^Weights and input must have the same size.$"):
        F.huber_loss(x, x, weight=torch.rand(4))
    with pytest.raises(ValueError, match="^foo is not a valid value for reduction$"):
        F.kl_div(x, x, reduction="foo")
    with pytest.raises(RuntimeError, match="^0D or 1D target tensor expected, multi-target not supported$"):
        F.cosine_embedding_loss(x, x, torch.ones(3, 1))
    with pytest.raises(RuntimeError, match=r"^1D target tensor expects 2D input tensors, but found inputs with sizes "
                       r"\[2, 3, 4\] and \[2, 3, 4\].$"):
        F.cosine_embedding_loss(torch.rand(2, 3, 4), torch.rand(2, 3, 4), T([1.0, -1.0]))
    with pytest.raises(RuntimeError, match=r"^0D target tensor expects 1D input tensors, but found inputs with sizes "
                       r"\[3, 4\] and \[3, 4\].$"):
        F.cosine_embedding_loss(x, x, T(1.0))
    with pytest.raises(RuntimeError, match=r"^margin_ranking_loss : All input tensors should have same dimension but "
                       r"got sizes: input1: torch.Size\(\[3\]\), input2: torch.Size\(\[3\]\), target: torch.Size\(\[3, 1\]\) $"):
        F.margin_ranking_loss(torch.rand(3), torch.rand(3), torch.rand(3, 1))
    with pytest.raises(ValueError, match="^margin must be greater than 0, got 0$"):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(ValueError, match="^TripletMarginLoss: expected margin to be greater than 0, got -1 instead$"):
        nn.TripletMarginLoss(margin=-1)
    with pytest.raises(RuntimeError, match="^The anchor, positive, and negative tensors are expected to have the same "
                       "number of dimensions, but got: anchor 2D, positive 2D, and negative 3D inputs$"):
        F.triplet_margin_loss(x, x, torch.rand(2, 3, 4))
    w = torch.rand(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="^The function 'binary_cross_entropy' is not differentiable with respect "
                       "to argument 'weight'. This input cannot have requires_grad True.$"):
        F.binary_cross_entropy(x, x, weight=w)
    with pytest.raises(RuntimeError, match="argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=w)
    with torch.no_grad():
        F.binary_cross_entropy(x, x, weight=w)  # the check belongs to autograd
