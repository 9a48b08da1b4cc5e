"""MultiheadAttention and the Transformer stacks (issue 4) against numpy
compositions written here (projections, per-head softmax attention, layer
norm, feed-forward, residual order); state_dict keys and reprs are written
literally as PyTorch produces them."""
import math

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from ferrotorch.autograd import gradcheck

RNG = np.random.default_rng(7)


def randomize(module):
    """Random float64 values into every parameter; returns them by state_dict key."""
    out = {}
    for name, p in module.named_parameters():
        arr = RNG.uniform(-0.5, 0.5, tuple(p.shape))
        with torch.no_grad():
            p.copy_(torch.tensor(arr))
        out[name] = arr
    return out


def sub(params, prefix):
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_mha(q, k, v, p, heads, kpm=None, mask=None, add_zero_attn=False):
    """(L, N, E) layout. Bool masks: True = may not attend (MHA's convention)."""
    e = q.shape[-1]
    if "in_proj_weight" in p:
        wq, wk, wv = np.split(p["in_proj_weight"], 3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else (0, 0, 0)
    Q, K, V = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv
    L, N = q.shape[:2]
    bias = np.zeros((N, 1, L, k.shape[0]))
    if mask is not None:
        bias = bias + (np.where(mask, -np.inf, 0.0) if mask.dtype == bool else mask)
    if kpm is not None:
        bias = bias + np.where(kpm, -np.inf, 0.0)[:, None, None, :]
    if "bias_k" in p:
        K = np.concatenate([K, np.tile(p["bias_k"], (1, N, 1))])
        V = np.concatenate([V, np.tile(p["bias_v"], (1, N, 1))])
        bias = np.concatenate([bias, np.zeros(bias.shape[:-1] + (1,))], -1)
    if add_zero_attn:
        K = np.concatenate([K, np.zeros((1, N, e))])
        V = np.concatenate([V, np.zeros((1, N, e))])
        bias = np.concatenate([bias, np.zeros(bias.shape[:-1] + (1,))], -1)
    d = e // heads
    split = lambda x: x.reshape(x.shape[0], N, heads, d).transpose(1, 2, 0, 3)  # noqa: E731
    P = np_softmax(split(Q) @ split(K).transpose(0, 1, 3, 2) / math.sqrt(d) + bias)
    out = (P @ split(V)).transpose(2, 0, 1, 3).reshape(L, N, e)
    out = out @ p["out_proj.weight"].T + p.get("out_proj.bias", 0)
    return out, P


MHA_CASES = [dict(), dict(batch_first=True), dict(kdim=3, vdim=5), dict(add_bias_kv=True, add_zero_attn=True),
             dict(bias=False)]


@pytest.mark.parametrize("kw", MHA_CASES)
def test_multihead_attention_matches_numpy(kw):
    m = nn.MultiheadAttention(8, 2, dtype=torch.float64, **kw)
    p = randomize(m)
    q = RNG.standard_normal((4, 2, 8))
    k, v = RNG.standard_normal((5, 2, kw.get("kdim", 8))), RNG.standard_normal((5, 2, kw.get("vdim", 8)))
    kpm = np.array([[False, False, True, False, True], [False] * 5])
    mask = RNG.standard_normal((4, 5))
    ref, P = np_mha(q, k, v, p, 2, kpm, mask, kw.get("add_zero_attn", False))
    bf = kw.get("batch_first", False)
    tr = (lambda a: torch.tensor(a.transpose(1, 0, 2))) if bf else torch.tensor
    for need_weights in (True, False):
        out, w = m(tr(q), tr(k), tr(v), key_padding_mask=torch.tensor(np.where(kpm, -np.inf, 0)), attn_mask=torch.tensor(mask),
                   need_weights=need_weights)
        got = out.detach().numpy()
        np.testing.assert_allclose(got.transpose(1, 0, 2) if bf else got, ref, rtol=1e-10, atol=1e-12)
        if need_weights:
            np.testing.assert_allclose(w.detach().numpy(), P.mean(1), rtol=1e-10, atol=1e-14)
        else:
            assert w is None
    if "kdim" not in kw:  # self-attention (the packed projection path), per-head weights
        x = RNG.standard_normal((4, 2, 8))
        ref, P = np_mha(x, x, x, p, 2, add_zero_attn=kw.get("add_zero_attn", False))
        out, w = m(tr(x), tr(x), tr(x), average_attn_weights=False) if not bf else m(*(3 * [tr(x)]), average_attn_weights=False)
        got = out.detach().numpy()
        np.testing.assert_allclose(got.transpose(1, 0, 2) if bf else got, ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(w.detach().numpy(), P, rtol=1e-10, atol=1e-14)


def test_mha_bool_masks_unbatched_and_causal():
    m = nn.MultiheadAttention(6, 3, dtype=torch.float64)
    p = randomize(m)
    x = RNG.standard_normal((4, 6))  # unbatched (L, E)
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    ref, P = np_mha(x[:, None], x[:, None], x[:, None], p, 3, mask=causal)
    out, w = m(torch.tensor(x), torch.tensor(x), torch.tensor(x), attn_mask=torch.tensor(causal))
    np.testing.assert_allclose(out.detach().numpy(), ref[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), P.mean(1)[0], rtol=1e-10, atol=1e-14)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        out, _ = m(torch.tensor(x), torch.tensor(x), torch.tensor(x), attn_mask=torch.tensor(causal).to(torch.float64) * -1e9,
                   key_padding_mask=torch.zeros(4, dtype=torch.bool))
    np.testing.assert_allclose(out.detach().numpy(), ref[:, 0], rtol=1e-10, atol=1e-12)
    fmask = nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    out, w = m(torch.tensor(x), torch.tensor(x), torch.tensor(x), attn_mask=fmask, is_causal=True, need_weights=False)
    np.testing.assert_allclose(out.detach().numpy(), ref[:, 0], rtol=1e-10, atol=1e-12)
    xb = RNG.standard_normal((4, 2, 6))  # a 3-D mask gives each (batch, head) its own mask
    mask3 = RNG.random((6, 4, 4)) < 0.3
    mask3[..., 0] = False
    ref, _ = np_mha(xb, xb, xb, p, 3, mask=mask3.reshape(2, 3, 4, 4))
    out, _ = m(torch.tensor(xb), torch.tensor(xb), torch.tensor(xb), attn_mask=torch.tensor(mask3))
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_mha_parameters_repr_and_init():
    m = nn.MultiheadAttention(8, 2)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("out_proj.weight", (8, 8)), ("out_proj.bias", (8,))]
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
                       "out_features=8, bias=True)\n)")
    assert (m.in_proj_bias.detach().numpy() == 0).all() and (m.out_proj.bias.detach().numpy() == 0).all()
    bound = math.sqrt(6 / (24 + 8))  # xavier_uniform_ over the packed (3E, E) weight
    assert m.in_proj_weight.abs().max().item() <= bound
    m2 = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)
    assert [(k, tuple(v.shape)) for k, v in m2.state_dict().items()] == [
        ("q_proj_weight", (8, 8)), ("k_proj_weight", (8, 3)), ("v_proj_weight", (8, 5)), ("bias_k", (1, 1, 8)),
        ("bias_v", (1, 1, 8)), ("out_proj.weight", (8, 8))]
    assert m2.in_proj_weight is None and m2.head_dim == 4


def test_mha_errors_and_gradcheck():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0, got embed_dim=0 and num_heads=2 instead"):
        nn.MultiheadAttention(0, 2)
    m = nn.MultiheadAttention(4, 2)
    x = torch.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is torch.Size\(\[3, 4\]\), but should be \(3, 3\)."):
        m(x, x, x, attn_mask=torch.zeros(3, 4))
    with pytest.raises(AssertionError, match="For batched \\(3-D\\) `query`, expected `key_padding_mask` to be `None` or 2-D but found 1-D tensor instead"):
        m(x, x, x, key_padding_mask=torch.zeros(3, dtype=torch.bool))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask are supported"):
        m(x, x, x, attn_mask=torch.zeros(3, 3, dtype=torch.int64))
    out, w = m(torch.zeros(0, 2, 4), torch.zeros(0, 2, 4), torch.zeros(0, 2, 4))  # empty sequences
    assert tuple(out.shape) == (0, 2, 4) and tuple(w.shape) == (2, 0, 0)
    md = nn.MultiheadAttention(4, 2, dtype=torch.float64)
    q = torch.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    kv = torch.tensor(RNG.standard_normal((5, 2, 4)), requires_grad=True)
    assert gradcheck(lambda q, kv: md(q, kv, kv)[0], (q, kv))
    assert gradcheck(lambda q: md(q, q, q, need_weights=False, attn_mask=torch.ones(3, 3, dtype=torch.bool).triu(1))[0], (q,))


# ---------------------------------------------------------------- transformer
def np_ln(x, p, eps=1e-5):
    y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    return y * p["weight"] + p.get("bias", 0)


def np_ff(x, p, act):
    h = act(x @ p["linear1.weight"].T + p.get("linear1.bias", 0))
    return h @ p["linear2.weight"].T + p.get("linear2.bias", 0)


def np_relu(x):
    return np.maximum(x, 0)


def np_encoder_layer(x, p, heads, norm_first, act=np_relu, mask=None, kpm=None):
    sa = lambda y: np_mha(y, y, y, sub(p, "self_attn."), heads, kpm, mask)[0]  # noqa: E731
    if norm_first:
        x = x + sa(np_ln(x, sub(p, "norm1.")))
        return x + np_ff(np_ln(x, sub(p, "norm2.")), p, act)
    x = np_ln(x + sa(x), sub(p, "norm1."))
    return np_ln(x + np_ff(x, p, act), sub(p, "norm2."))


def np_decoder_layer(x, mem, p, heads, norm_first, act=np_relu, tgt_mask=None, mem_kpm=None):
    sa = lambda y: np_mha(y, y, y, sub(p, "self_attn."), heads, mask=tgt_mask)[0]  # noqa: E731
    ca = lambda y: np_mha(y, mem, mem, sub(p, "multihead_attn."), heads, kpm=mem_kpm)[0]  # noqa: E731
    if norm_first:
        x = x + sa(np_ln(x, sub(p, "norm1.")))
        x = x + ca(np_ln(x, sub(p, "norm2.")))
        return x + np_ff(np_ln(x, sub(p, "norm3.")), p, act)
    x = np_ln(x + sa(x), sub(p, "norm1."))
    x = np_ln(x + ca(x), sub(p, "norm2."))
    return np_ln(x + np_ff(x, p, act), sub(p, "norm3."))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_and_decoder_layers_match_numpy(norm_first):
    enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=norm_first, dtype=torch.float64)
    pe = randomize(enc)
    src = RNG.standard_normal((5, 2, 8))
    mask = RNG.standard_normal((5, 5))
    kpm = np.array([[False] * 4 + [True], [False] * 5])
    got = enc(torch.tensor(src), src_mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(np.where(kpm, -np.inf, 0)))
    got = got.detach().numpy()
    np.testing.assert_allclose(got, np_encoder_layer(src, pe, 2, norm_first, mask=mask, kpm=kpm), rtol=1e-10, atol=1e-12)
    dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=True,
                                     bias=False, dtype=torch.float64)
    pd = randomize(dec)
    tgt, mem = RNG.standard_normal((4, 2, 8)), RNG.standard_normal((5, 2, 8))
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    got = dec(torch.tensor(tgt.transpose(1, 0, 2)), torch.tensor(mem.transpose(1, 0, 2)), tgt_mask=torch.tensor(causal),
              memory_key_padding_mask=torch.tensor(kpm)).detach().numpy().transpose(1, 0, 2)
    ref = np_decoder_layer(tgt, mem, pd, 2, norm_first, tgt_mask=causal, mem_kpm=kpm)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_transformer_matches_numpy_composition():
    t = nn.Transformer(8, 2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0,
                       dtype=torch.float64)
    p = randomize(t)
    src, tgt = RNG.standard_normal((5, 2, 8)), RNG.standard_normal((4, 2, 8))
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    got = t(torch.tensor(src), torch.tensor(tgt), tgt_mask=tgt_mask).detach().numpy()
    mem = src
    for i in range(2):
        mem = np_encoder_layer(mem, sub(p, f"encoder.layers.{i}."), 2, False)
    mem = np_ln(mem, sub(p, "encoder.norm."))
    x = tgt
    for i in range(2):
        x = np_decoder_layer(x, mem, sub(p, f"decoder.layers.{i}."), 2, False, tgt_mask=tgt_mask.numpy())
    np.testing.assert_allclose(got, np_ln(x, sub(p, "decoder.norm.")), rtol=1e-10, atol=1e-12)
    t.zero_grad()
    t(torch.tensor(src), torch.tensor(tgt)).sum().backward()
    assert all(prm.grad is not None for prm in t.parameters())


def test_transformer_state_dict_keys_and_repr():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 2, norm=nn.LayerNorm(8))
    assert list(enc.state_dict()) == [
        "layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias", "layers.0.self_attn.out_proj.weight",
        "layers.0.self_attn.out_proj.bias", "layers.0.linear1.weight", "layers.0.linear1.bias",
        "layers.0.linear2.weight", "layers.0.linear2.bias", "layers.0.norm1.weight", "layers.0.norm1.bias",
        "layers.0.norm2.weight", "layers.0.norm2.bias", "layers.1.self_attn.in_proj_weight",
        "layers.1.self_attn.in_proj_bias", "layers.1.self_attn.out_proj.weight", "layers.1.self_attn.out_proj.bias",
        "layers.1.linear1.weight", "layers.1.linear1.bias", "layers.1.linear2.weight", "layers.1.linear2.bias",
        "layers.1.norm1.weight", "layers.1.norm1.bias", "layers.1.norm2.weight", "layers.1.norm2.bias",
        "norm.weight", "norm.bias"]
    dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, bias=False)
    assert [(k, tuple(v.shape)) for k, v in dec.state_dict().items()] == [
        ("self_attn.in_proj_weight", (24, 8)), ("self_attn.out_proj.weight", (8, 8)),
        ("multihead_attn.in_proj_weight", (24, 8)), ("multihead_attn.out_proj.weight", (8, 8)),
        ("linear1.weight", (16, 8)), ("linear2.weight", (8, 16)), ("norm1.weight", (8,)), ("norm2.weight", (8,)),
        ("norm3.weight", (8,))]
    t = nn.Transformer(8, 2, 1, 1, 16)
    keys = list(t.state_dict())
    assert len(keys) == 34 and keys[12:14] == ["encoder.norm.weight", "encoder.norm.bias"]
    assert keys[14] == "decoder.layers.0.self_attn.in_proj_weight" and keys[-1] == "decoder.norm.bias"
    assert repr(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)) == """TransformerEncoderLayer(
  (self_attn): MultiheadAttention(
    (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)
  )
  (linear1): Linear(in_features=8, out_features=16, bias=True)
  (dropout): Dropout(p=0.1, inplace=False)
  (linear2): Linear(in_features=16, out_features=8, bias=True)
  (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
  (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
  (dropout1): Dropout(p=0.1, inplace=False)
  (dropout2): Dropout(p=0.1, inplace=False)
)"""
    # the stack holds independent copies of the given layer
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)
    stack = nn.TransformerEncoder(layer, 2)
    w0, w1 = stack.layers[0].linear1.weight, stack.layers[1].linear1.weight
    np.testing.assert_array_equal(w0.detach().numpy(), layer.linear1.weight.detach().numpy())
    assert w0 is not layer.linear1.weight and w0.data_ptr() != w1.data_ptr()
    assert stack.num_layers == 2 and stack.norm is None


def test_square_subsequent_mask_activation_and_dropout():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    assert m.dtype == torch.float32
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, activation=torch.tanh, dtype=torch.float64)
    p = randomize(layer)
    x = RNG.standard_normal((3, 2, 4))
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), np_encoder_layer(x, p, 2, False, np.tanh), rtol=1e-10)
    drop = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.5, dtype=torch.float64)
    pd = randomize(drop)
    xt = torch.tensor(x)
    assert not np.allclose(drop(xt).detach().numpy(), drop(xt).detach().numpy())  # training: random
    drop.eval()
    np.testing.assert_allclose(drop(xt).detach().numpy(), np_encoder_layer(x, pd, 2, False), rtol=1e-10)


def test_gelu_activation_string():
    from math import erf
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, activation="gelu", dtype=torch.float64)
    assert layer.activation is F.gelu
    p = randomize(layer)
    gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / math.sqrt(2))))
    x = RNG.standard_normal((3, 2, 4))
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), np_encoder_layer(x, p, 2, False, gelu), rtol=1e-9)
