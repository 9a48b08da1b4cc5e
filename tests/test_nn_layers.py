"""nn layers (issue 4): Flatten/Unflatten, Bilinear, batch/layer/group norm,
Embedding/EmbeddingBag, dropout and scaled_dot_product_attention against
numpy float64 references written here, hand-computed values and gradcheck;
reprs, state_dict keys and error messages are PyTorch's."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from ferrotorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)


def t64(a, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------ Flatten, Bilinear
def test_flatten_unflatten():
    x = torch.arange(24.0).view(2, 3, 4)
    assert tuple(nn.Flatten()(x).shape) == (2, 12)
    assert tuple(nn.Flatten(0, 1)(x).shape) == (6, 4)
    y = nn.Unflatten(1, (3, 4))(torch.arange(24.0).view(2, 12))
    np.testing.assert_array_equal(y.numpy(), np.arange(24.0).reshape(2, 3, 4))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type float at pos 1"):
        nn.Unflatten(1, (2, 5.0))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 5)


def test_bilinear_matches_numpy_and_init():
    x1, x2 = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 5))
    w, b = RNG.standard_normal((6, 4, 5)), RNG.standard_normal(6)
    ref = np.einsum("...i,kij,...j->...k", x1, w, x2) + b
    np.testing.assert_allclose(F.bilinear(t64(x1), t64(x2), t64(w), t64(b)).numpy(), ref, rtol=1e-12, atol=1e-12)
    args = (t64(x1[0], True), t64(x2[0], True), t64(w, True), t64(b, True))
    assert gradcheck(F.bilinear, args)
    m = nn.Bilinear(20, 30, 40)
    assert repr(m) == "Bilinear(in1_features=20, in2_features=30, out_features=40, bias=True)"
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [("weight", (40, 20, 30)), ("bias", (40,))]
    bound = 1 / math.sqrt(20)  # PyTorch: U(-1/sqrt(in1), 1/sqrt(in1)) for weight and bias
    assert m.weight.abs().max().item() <= bound and m.weight.abs().max().item() > 0.9 * bound
    assert m.bias.abs().max().item() <= bound
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None
    with pytest.raises(RuntimeError, match="input batch dimensions do not match at dim 0: got 2 and 3"):
        F.bilinear(torch.randn(2, 3), torch.randn(3, 4), torch.randn(5, 3, 4))
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 5 but expected 4"):
        F.bilinear(torch.randn(2, 3), torch.randn(2, 5), torch.randn(5, 3, 4))


# ------------------------------------------------------------- normalization
def np_batch_norm(x, mean, var, w, b, eps):
    shape = [1, -1] + [1] * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
def test_batch_norm_training_and_running_stats(shape):
    x = RNG.standard_normal(shape) * 3 + 1
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    rm, rv = t64(RNG.standard_normal(3)), t64(RNG.uniform(0.5, 2, 3))
    rm0, rv0 = rm.numpy().copy(), rv.numpy().copy()
    got = F.batch_norm(t64(x), rm, rv, t64(w), t64(b), training=True, momentum=0.3, eps=1e-3)
    ref = np_batch_norm(x, x.mean(axes), x.var(axes), w, b, 1e-3)  # biased variance normalises
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), 0.7 * rm0 + 0.3 * x.mean(axes), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.7 * rv0 + 0.3 * x.var(axes, ddof=1), rtol=1e-12)  # unbiased tracked
    ev = F.batch_norm(t64(x), rm, rv, t64(w), t64(b), training=False, eps=1e-3)
    np.testing.assert_allclose(ev.numpy(), np_batch_norm(x, rm.numpy(), rv.numpy(), w, b, 1e-3), rtol=1e-10)


def test_batch_norm_gradcheck():
    x = t64(RNG.standard_normal((4, 3, 2)), True)
    w, b = t64(RNG.standard_normal(3), True), t64(RNG.standard_normal(3), True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradgradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x,))
    rm, rv = t64(RNG.standard_normal(3)), t64(RNG.uniform(0.5, 2, 3))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))


def test_batchnorm_module_state_and_momentum():
    bn = nn.BatchNorm1d(3, dtype=torch.float64)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == torch.int64 and bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    xs = [RNG.standard_normal((5, 3)) for _ in range(3)]
    rm, rv = np.zeros(3), np.ones(3)
    for x in xs:
        out = bn(t64(x))
        rm, rv = 0.9 * rm + 0.1 * x.mean(0), 0.9 * rv + 0.1 * x.var(0, ddof=1)
        np.testing.assert_allclose(out.detach().numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-9)
    assert bn.num_batches_tracked.item() == 3
    np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12)
    bn.eval()
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(bn(t64(x)).detach().numpy(), (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-10)
    assert bn.num_batches_tracked.item() == 3  # eval does not count batches

    cma = nn.BatchNorm2d(2, momentum=None, dtype=torch.float64)  # cumulative moving average
    xs = [RNG.standard_normal((3, 2, 2, 2)) for _ in range(4)]
    for x in xs:
        cma(t64(x))
    np.testing.assert_allclose(cma.running_mean.numpy(), np.mean([x.mean((0, 2, 3)) for x in xs], 0), rtol=1e-12)
    np.testing.assert_allclose(cma.running_var.numpy(), np.mean([x.var((0, 2, 3), ddof=1) for x in xs], 0), rtol=1e-12)


def test_batchnorm_without_running_stats_or_affine():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=torch.float64).eval()
    assert list(bn.state_dict()) == [] and bn.running_mean is None and bn.weight is None
    x = RNG.standard_normal((4, 3, 2))
    ref = (x - x.mean((0, 2), keepdims=True)) / np.sqrt(x.var((0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(bn(t64(x)).numpy(), ref, rtol=1e-10)  # batch statistics even in eval
    assert list(nn.BatchNorm2d(3, bias=False).state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_reprs_and_errors():
    assert repr(nn.BatchNorm2d(16)) == "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert repr(nn.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False)) == \
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=False)"
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size torch.Size\(\[1, 3\]\)"):
        nn.BatchNorm1d(3)(torch.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(torch.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(torch.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(torch.randn(2, 3), None, None)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(torch.randn(2, 3), torch.zeros(4), torch.ones(4))
    nn.BatchNorm1d(3).eval()(torch.randn(1, 3))  # one value per channel is fine in eval


def test_norms_take_half_input_with_float_parameters():
    x = RNG.standard_normal((4, 3))
    xh = torch.tensor(x).half()
    xr = xh.double().numpy()
    for m, ref in ((nn.BatchNorm1d(3), (xr - xr.mean(0)) / np.sqrt(xr.var(0) + 1e-5)),
                   (nn.LayerNorm(3), np_layer_norm(xr, 1)), (nn.GroupNorm(1, 3), np_layer_norm(xr, 1))):
        got = m(xh)
        assert got.dtype == torch.float16  # computed in float32, returned in the input's dtype
        np.testing.assert_allclose(got.double().detach().numpy(), ref, rtol=2e-3, atol=2e-3)
        with pytest.raises(RuntimeError, match="mixed dtype \\(CPU\\): all inputs must share same datatype."):
            m(t64(x))


def np_layer_norm(x, n, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - n, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def test_layer_norm():
    x = RNG.standard_normal((2, 3, 4)) * 5
    w, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(F.layer_norm(t64(x), (3, 4), t64(w), t64(b)).numpy(), np_layer_norm(x, 2, w, b), rtol=1e-10)
    np.testing.assert_allclose(F.layer_norm(t64(x), 4, eps=0.1).numpy(), np_layer_norm(x, 1, eps=0.1), rtol=1e-10)
    xg, wg, bg = t64(x[0], True), t64(w[0], True), t64(b[0], True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, [4], w, b), (xg, wg, bg))
    assert gradgradcheck(lambda x: F.layer_norm(x, [4]), (xg,))
    m = nn.LayerNorm(4)
    assert repr(m) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(4))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(4))
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    assert repr(nn.LayerNorm([3, 4], elementwise_affine=False)) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=False, bias=False)"
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size\[2, 3\]"):
        F.layer_norm(torch.randn(2, 3), [4])
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[3\] and normalized_shape = \[4\]"):
        F.layer_norm(torch.randn(2, 4), [4], torch.ones(3))


def test_group_norm():
    x = RNG.standard_normal((2, 6, 3, 2))
    w, b = RNG.standard_normal(6), RNG.standard_normal(6)
    g = x.reshape(2, 3, -1)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    ref = ref * w.reshape(1, 6, 1, 1) + b.reshape(1, 6, 1, 1)
    np.testing.assert_allclose(F.group_norm(t64(x), 3, t64(w), t64(b)).numpy(), ref, rtol=1e-10)
    m = nn.GroupNorm(3, 6, dtype=torch.float64)
    with torch.no_grad():
        m.weight.copy_(t64(w))
        m.bias.copy_(t64(b))
    np.testing.assert_allclose(m(t64(x)).detach().numpy(), ref, rtol=1e-10)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (t64(x[:, :4, :, 0], True), t64(w[:4], True), t64(b[:4], True)))
    assert repr(m) == "GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)"
    assert list(nn.GroupNorm(2, 6, affine=False).state_dict()) == []
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"Expected number of channels in input to be divisible by num_groups, but got input of shape \[2, 6, 4\] and num_groups=4"):
        F.group_norm(torch.randn(2, 6, 4), 4)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size \[1, 2\]"):
        F.group_norm(torch.randn(1, 2), 2)


# ----------------------------------------------------------------- embedding
def test_embedding_lookup_and_padding_gradient():
    w = RNG.standard_normal((5, 3))
    idx = np.array([[0, 2, 2], [4, 0, 1]])
    weight = t64(w, True)
    out = F.embedding(torch.tensor(idx), weight, padding_idx=0)
    np.testing.assert_array_equal(out.detach().numpy(), w[idx])  # padding row is looked up as stored
    g = RNG.standard_normal((2, 3, 3))
    out.backward(t64(g))
    ref = np.zeros_like(w)
    np.add.at(ref, idx, g)
    ref[0] = 0  # the padding row receives no gradient
    np.testing.assert_allclose(weight.grad.numpy(), ref, rtol=1e-12)
    weight.grad = None
    F.embedding(torch.tensor(idx), weight, scale_grad_by_freq=True).backward(t64(g))
    counts = np.bincount(idx.ravel(), minlength=5)
    ref = np.zeros_like(w)
    np.add.at(ref, idx, g / counts[idx][..., None])  # each index's gradient divided by its frequency
    np.testing.assert_allclose(weight.grad.numpy(), ref, rtol=1e-12)
    assert gradcheck(lambda w: F.embedding(torch.tensor(idx), w), (t64(w, True),))  # the options above are not Jacobians
    assert tuple(F.embedding(torch.tensor(3, dtype=torch.int32), weight).shape) == (3,)


def test_embedding_max_norm_renormalises_rows_in_place():
    w = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]])
    weight = t64(w.copy())
    out = F.embedding(torch.tensor([0, 1, 0]), weight, max_norm=1.0)
    scale = 1.0 / (5.0 + 1e-7)  # rows over max_norm shrink to max_norm (PyTorch's 1e-7 guard)
    np.testing.assert_allclose(weight.numpy()[0], w[0] * scale, rtol=1e-12)
    np.testing.assert_array_equal(weight.numpy()[1:], w[1:])  # within the norm or not referenced
    np.testing.assert_allclose(out.numpy(), [w[0] * scale, w[1], w[0] * scale], rtol=1e-12)
    F.embedding(torch.tensor([2]), weight, max_norm=2.0, norm_type=1.0)
    np.testing.assert_allclose(weight.numpy()[2], w[2] * 2.0 / (14.0 + 1e-7), rtol=1e-12)


def test_embedding_module():
    m = nn.Embedding(10, 3, padding_idx=0)
    assert repr(m) == "Embedding(10, 3, padding_idx=0)"
    np.testing.assert_array_equal(m.weight[0].detach().numpy(), np.zeros(3))
    assert list(m.state_dict()) == ["weight"] and m.weight.requires_grad
    assert repr(nn.Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)) == \
        "Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)"
    assert nn.Embedding(3, 2, padding_idx=-1).padding_idx == 2
    pre = torch.ones(3, 2)
    e = nn.Embedding.from_pretrained(pre, padding_idx=1)
    assert not e.weight.requires_grad and repr(e) == "Embedding(3, 2, padding_idx=1)"
    np.testing.assert_array_equal(e.weight.detach().numpy(), np.ones((3, 2)))  # pretrained padding row kept
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(10, 3, padding_idx=10)
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(torch.ones(3))
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        nn.Embedding(3, 2, _weight=torch.ones(3, 3))
    with pytest.raises(NotImplementedError, match="sparse gradients"):
        nn.Embedding(3, 2, sparse=True)(torch.tensor([1]))
    with pytest.raises(IndexError, match="index out of range in self"):
        m(torch.tensor([10]))
    with pytest.raises(IndexError, match="index out of range in self"):
        m(torch.tensor([-1]))
    with pytest.raises(RuntimeError, match=r"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead \(while checking arguments for embedding\)"):
        m(torch.tensor([1.0]))


def np_embedding_bag(w, idx, offsets, mode, psw=None, padding_idx=None, include_last_offset=False):
    n = len(idx)
    bounds = list(offsets) if include_last_offset else list(offsets) + [n]
    out = []
    for s, e in zip(bounds[:-1], bounds[1:]):
        keep = [j for j in range(s, e) if idx[j] != padding_idx]
        rows = w[idx[keep]] * (1 if psw is None else psw[keep][:, None])
        if not keep:
            out.append(np.zeros(w.shape[1]))
        elif mode == "sum":
            out.append(rows.sum(0))
        elif mode == "mean":
            out.append(rows.mean(0))
        else:
            out.append(rows.max(0))
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_matches_numpy(mode, padding_idx):
    w = RNG.standard_normal((6, 3))
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 0])
    offsets = np.array([0, 3, 3, 5])  # bag 1 is empty
    got = F.embedding_bag(torch.tensor(idx), t64(w), torch.tensor(offsets), mode=mode, padding_idx=padding_idx)
    np.testing.assert_allclose(got.numpy(), np_embedding_bag(w, idx, offsets, mode, padding_idx=padding_idx), rtol=1e-12)
    got = F.embedding_bag(torch.tensor(idx), t64(w), torch.tensor([0, 3, 3, 5, 8]), mode=mode, include_last_offset=True)
    np.testing.assert_allclose(got.numpy(), np_embedding_bag(w, idx, [0, 3, 3, 5, 8], mode, include_last_offset=True), rtol=1e-12)
    idx2 = RNG.integers(0, 6, size=(3, 4))  # 2-D input: fixed-length bags
    got = F.embedding_bag(torch.tensor(idx2), t64(w), mode=mode)
    np.testing.assert_allclose(got.numpy(), np_embedding_bag(w, idx2.ravel(), [0, 4, 8], mode), rtol=1e-12)


def test_embedding_bag_weights_grads_and_module():
    w = RNG.standard_normal((6, 3))
    idx, offsets, psw = np.array([1, 2, 1, 5]), np.array([0, 2]), RNG.standard_normal(4)
    got = F.embedding_bag(torch.tensor(idx), t64(w), torch.tensor(offsets), mode="sum", per_sample_weights=t64(psw))
    np.testing.assert_allclose(got.numpy(), np_embedding_bag(w, idx, offsets, "sum", psw), rtol=1e-12)
    for mode in ("sum", "mean", "max"):
        assert gradcheck(lambda w: F.embedding_bag(torch.tensor(idx), w, torch.tensor(offsets), mode=mode, padding_idx=5),
                         (t64(w, True),))
    assert gradcheck(lambda p: F.embedding_bag(torch.tensor(idx), t64(w), torch.tensor(offsets), mode="sum",
                                               per_sample_weights=p), (t64(psw, True),))
    wt = torch.ones(6, 2, requires_grad=True)  # ties in max mode: the gradient goes to one row only
    F.embedding_bag(torch.tensor([1, 1, 2]), wt, torch.tensor([0]), mode="max").sum().backward()
    np.testing.assert_array_equal(wt.grad.numpy().sum(0), [1.0, 1.0])
    m = nn.EmbeddingBag(10, 3)
    assert repr(m) == "EmbeddingBag(10, 3, mode='mean')"
    assert repr(nn.EmbeddingBag(10, 3, mode="max", padding_idx=2, max_norm=2.0)) == "EmbeddingBag(10, 3, max_norm=2.0, mode='max', padding_idx=2)"
    np.testing.assert_array_equal(nn.EmbeddingBag(10, 3, padding_idx=2).weight[2].detach().numpy(), np.zeros(3))
    e = nn.EmbeddingBag.from_pretrained(t64(w), mode="sum")
    assert not e.weight.requires_grad
    np.testing.assert_allclose(e(torch.tensor(idx), torch.tensor(offsets)).numpy(), np_embedding_bag(w, idx, offsets, "sum"))


def test_embedding_bag_errors():
    w = torch.randn(5, 2)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(torch.tensor([1, 2]), w, torch.tensor([0]), mode="foo")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum' \\(got mode='max'\\)"):
        F.embedding_bag(torch.tensor([1, 2]), w, torch.tensor([0]), mode="max", per_sample_weights=torch.ones(2))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(torch.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(torch.tensor([[1, 2]]), w, torch.tensor([0]))
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor, but got Tensor of dimension 3"):
        F.embedding_bag(torch.tensor([[[1, 2]]]), w)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(torch.tensor([1, 2]), w, torch.tensor([1]))
    with pytest.raises(RuntimeError, match="offsets\\[-1\\] can not be greater than input's length 2 but got offsets\\[-1\\] of 3"):
        F.embedding_bag(torch.tensor([1, 2]), w, torch.tensor([0, 3]))
    with pytest.raises(RuntimeError, match="Index 1 of input takes value 7 which is not in the valid range \\[0, 5\\)"):
        F.embedding_bag(torch.tensor([1, 7]), w, torch.tensor([0]))


# ------------------------------------------------------------------- dropout
def test_dropout_statistics_and_scaling():
    torch.manual_seed(0)
    x = torch.ones(200000, dtype=torch.float64)
    for p in (0.2, 0.7):
        y = F.dropout(x, p).numpy()
        zero = (y == 0).mean()
        assert abs(zero - p) < 5 * math.sqrt(p * (1 - p) / x.numel())  # five binomial standard deviations
        np.testing.assert_allclose(np.unique(y[y != 0]), [1 / (1 - p)], rtol=1e-12)
    a = torch.ones(3)
    assert F.dropout(a, 0.5, training=False) is a and F.dropout(a, 0.0) is a
    np.testing.assert_array_equal(F.dropout(a, 1.0).numpy(), np.zeros(3))
    b = torch.ones(1000)
    assert F.dropout(b, 0.5, inplace=True) is b and set(np.unique(b.numpy())) <= {0.0, 2.0}
    g = torch.ones(1000, requires_grad=True)
    y = F.dropout(g, 0.3)
    y.sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), y.detach().numpy())  # grad = mask / (1 - p)
    d = nn.Dropout(0.5)
    assert repr(d) == "Dropout(p=0.5, inplace=False)"
    d.eval()
    assert d(a) is a
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {bad}"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {bad}"):
            F.dropout(a, bad)


def test_channel_dropout_zeroes_whole_channels():
    torch.manual_seed(1)
    for fn, shape in ((F.dropout1d, (50, 40, 7)), (F.dropout2d, (50, 40, 3, 4)), (F.dropout3d, (50, 40, 2, 2, 3))):
        y = fn(torch.ones(*shape), 0.5).numpy().reshape(50, 40, -1)
        assert ((y == 0).all(-1) | (y == 2).all(-1)).all()  # each channel is dropped or kept whole
        assert 0.4 < (y[..., 0] == 0).mean() < 0.6
    y = F.dropout1d(torch.ones(30, 5), 0.5).numpy()  # unbatched (C, L)
    assert ((y == 0).all(1) | (y == 2).all(1)).all()
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(torch.ones(2, 3, 4, 5))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        F.dropout2d(torch.ones(2, 3, 4))
    assert "Received a 3D input to dropout2d" in str(w[0].message)
    assert repr(nn.Dropout2d(0.2, True)) == "Dropout2d(p=0.2, inplace=True)"
    m = nn.Dropout1d().eval()
    x = torch.ones(2, 3, 4)
    assert m(x) is x


def test_alpha_dropout_keeps_selu_statistics():
    torch.manual_seed(2)
    x = torch.randn(400000, dtype=torch.float64)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01  # zero mean, unit variance preserved
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * 0.2 + 1) * 0.8)
    dropped = np.isclose(y, -alpha * a + alpha * a * 0.2)  # dropped units sit at SELU's saturation value
    assert abs(dropped.mean() - 0.2) < 0.01
    kept = ~dropped
    np.testing.assert_allclose(y[kept], a * x.numpy()[kept] + alpha * a * 0.2, rtol=1e-12)
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False
    y = F.feature_alpha_dropout(torch.zeros(20, 30, 5), 0.5, training=True).numpy()
    assert (np.ptp(y, axis=2) == 0).all()
    assert repr(nn.AlphaDropout(0.1)) == "AlphaDropout(p=0.1, inplace=False)"


# ------------------------------------------------------------------ attention
def np_sdpa(q, k, v, mask=None, causal=False, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    m = s.max(-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(s - m)
    den = e.sum(-1, keepdims=True)
    p = np.divide(e, den, out=np.zeros_like(e), where=den > 0)  # fully masked rows -> 0
    return p @ v


def test_scaled_dot_product_attention_matches_numpy():
    q, k, v = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((2, 3, 6, 5)), RNG.standard_normal((2, 3, 6, 7))
    sdpa = F.scaled_dot_product_attention
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v)).numpy(), np_sdpa(q, k, v), rtol=1e-10)
    bm = RNG.random((4, 6)) > 0.3
    bm[1] = False  # a fully masked row gives zeros, not NaN
    got = sdpa(t64(q), t64(k), t64(v), attn_mask=torch.tensor(bm)).numpy()
    np.testing.assert_allclose(got, np_sdpa(q, k, v, bm), rtol=1e-10, atol=1e-15)
    assert (got[:, :, 1] == 0).all()
    fm = RNG.standard_normal((4, 6))
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), attn_mask=t64(fm), scale=0.3).numpy(),
                               np_sdpa(q, k, v, fm, scale=0.3), rtol=1e-10)
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), is_causal=True).numpy(), np_sdpa(q, k, v, causal=True), rtol=1e-10)
    kg, vg = RNG.standard_normal((2, 1, 6, 5)), RNG.standard_normal((2, 1, 6, 7))  # grouped-query attention
    q4 = RNG.standard_normal((2, 2, 4, 5))
    np.testing.assert_allclose(sdpa(t64(q4), t64(kg), t64(vg), enable_gqa=True).numpy(),
                               np_sdpa(q4, np.repeat(kg, 2, 1), np.repeat(vg, 2, 1)), rtol=1e-10)


def test_sdpa_gradcheck_and_errors():
    q, k, v = (t64(RNG.standard_normal(s), True) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    mask = RNG.random((3, 5)) > 0.3
    mask[0] = False
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)), (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask), is_causal=True)
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: float and value.dtype: double instead."):
        F.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(2, 3), t64(np.ones((2, 3))))
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float or to match query dtype"):
        F.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 3), attn_mask=torch.ones(2, 2, dtype=torch.int64))
    torch.manual_seed(3)  # attention dropout: each weight dropped with p, survivors scaled 1/(1-p)
    ones = torch.ones(1, 1, 2000, 1)
    out = F.scaled_dot_product_attention(torch.zeros(1, 1, 2000, 1), ones[:, :, :4], ones[:, :, :4], dropout_p=0.5).numpy()
    assert set(np.round(np.unique(out), 6)) <= {0.0, 0.5, 1.0, 1.5, 2.0} and 0.9 < out.mean() < 1.1
