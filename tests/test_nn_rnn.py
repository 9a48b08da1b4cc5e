"""Recurrent layers (issue 4): RNN/LSTM/GRU and cells against a numpy
implementation of the recurrences written here (PyTorch's gate layouts),
packed sequences checked by running every sequence alone, nn.utils.rnn
against hand-computed layouts; names, shapes, init, reprs and errors."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn.utils.rnn import (
    PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence, unpack_sequence,
    unpad_sequence,
)

RNG = np.random.default_rng(5)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---- numpy reference: one step of each cell, then layers x directions over time
def np_step(mode, x, state, p):
    h = state[0]
    gi = x @ p["w_ih"].T + p.get("b_ih", 0)
    gh = h @ p["w_hh"].T + p.get("b_hh", 0)
    if mode == "RNN_TANH":
        return (np.tanh(gi + gh),)
    if mode == "RNN_RELU":
        return (np.maximum(gi + gh, 0),)
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = sigmoid(f) * state[1] + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        if "w_hr" in p:
            h = h @ p["w_hr"].T
        return h, c
    ir, iz, in_ = np.split(gi, 3, axis=-1)
    hr, hz, hn = np.split(gh, 3, axis=-1)
    r, z = sigmoid(ir + hr), sigmoid(iz + hz)
    n = np.tanh(in_ + r * hn)
    return ((1 - z) * n + z * h,)


def np_rnn(mode, x, params, num_layers, bidirectional, h0):
    """x: (T, B, F); params[layer*dirs + d] a dict; h0: tuple of (L*D, B, H)."""
    dirs = 2 if bidirectional else 1
    finals = [[] for _ in h0]
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            idx = layer * dirs + d
            state = tuple(s[idx] for s in h0)
            ys = [None] * len(x)
            for t in (reversed(range(len(x))) if d else range(len(x))):
                state = np_step(mode, x[t], state, params[idx])
                ys[t] = state[0]
            outs.append(np.stack(ys))
            for k, s in enumerate(state):
                finals[k].append(s)
        x = np.concatenate(outs, -1)
    return x, tuple(np.stack(f) for f in finals)


def load_params(module):
    """Random float64 weights into the module; returns numpy dicts per layer/direction."""
    per = []
    for names in module._all_weights:
        d = {}
        for name in names:
            arr = RNG.uniform(-0.6, 0.6, tuple(getattr(module, name).shape))
            with torch.no_grad():
                getattr(module, name).copy_(torch.tensor(arr))
            d[name.split("_l")[0].replace("weight", "w").replace("bias", "b")] = arr
        per.append(d)
    return per


CASES = [
    ("RNN", dict(nonlinearity="tanh"), "RNN_TANH"),
    ("RNN", dict(nonlinearity="relu", num_layers=2, bidirectional=True), "RNN_RELU"),
    ("LSTM", dict(num_layers=2), "LSTM"),
    ("LSTM", dict(bidirectional=True, proj_size=3), "LSTM"),
    ("GRU", dict(num_layers=2, bidirectional=True, bias=False), "GRU"),
    ("GRU", dict(batch_first=True), "GRU"),
]


@pytest.mark.parametrize("cls,kw,mode", CASES)
def test_rnn_matches_numpy(cls, kw, mode):
    m = getattr(nn, cls)(4, 5, dtype=torch.float64, **kw)
    params = load_params(m)
    layers, dirs = kw.get("num_layers", 1), 2 if kw.get("bidirectional") else 1
    out_size = kw.get("proj_size") or 5
    x = RNG.standard_normal((6, 3, 4))
    h0 = (RNG.standard_normal((layers * dirs, 3, out_size)),)
    if mode == "LSTM":
        h0 += (RNG.standard_normal((layers * dirs, 3, 5)),)
    ref_out, ref_h = np_rnn(mode, x, params, layers, dirs == 2, h0)
    bf = kw.get("batch_first", False)
    xin = torch.tensor(x.transpose(1, 0, 2) if bf else x)
    hx = tuple(torch.tensor(h) for h in h0)
    out, hn = m(xin, hx if mode == "LSTM" else hx[0])
    hn = hn if mode == "LSTM" else (hn,)
    np.testing.assert_allclose(out.detach().numpy(), ref_out.transpose(1, 0, 2) if bf else ref_out, rtol=1e-10, atol=1e-12)
    for got, ref in zip(hn, ref_h):
        np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    # default zero initial state and unbatched (T, F) input
    ref0, _ = np_rnn(mode, x[:, :1], params, layers, dirs == 2, tuple(np.zeros_like(h[:, :1]) for h in h0))
    out1, _ = m(torch.tensor(x[:, 0]))
    np.testing.assert_allclose(out1.detach().numpy(), ref0[:, 0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls,kw,mode", [CASES[1], CASES[3], CASES[4]])
def test_packed_sequences_match_each_sequence_alone(cls, kw, mode):
    m = getattr(nn, cls)(4, 5, dtype=torch.float64, **kw)
    params = load_params(m)
    layers, dirs = kw.get("num_layers", 1), 2 if kw.get("bidirectional") else 1
    out_size = kw.get("proj_size") or 5
    lengths = [3, 5, 2]  # unsorted: enforce_sorted=False sorts and restores the order
    x = RNG.standard_normal((5, 3, 4))
    h0 = (RNG.standard_normal((layers * dirs, 3, out_size)),)
    if mode == "LSTM":
        h0 += (RNG.standard_normal((layers * dirs, 3, 5)),)
    packed = pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    hx = tuple(torch.tensor(h) for h in h0)
    out, hn = m(packed, hx if mode == "LSTM" else hx[0])
    assert isinstance(out, PackedSequence)
    padded, lens = pad_packed_sequence(out)
    assert lens.tolist() == lengths
    hn = hn if mode == "LSTM" else (hn,)
    for b, n in enumerate(lengths):
        ref_out, ref_h = np_rnn(mode, x[:n, b:b + 1], params, layers, dirs == 2, tuple(h[:, b:b + 1] for h in h0))
        np.testing.assert_allclose(padded.detach().numpy()[:n, b], ref_out[:, 0], rtol=1e-10, atol=1e-12)
        assert (padded.detach().numpy()[n:, b] == 0).all()
        for got, ref in zip(hn, ref_h):
            np.testing.assert_allclose(got.detach().numpy()[:, b], ref[:, 0], rtol=1e-10, atol=1e-12)


def test_cells_match_numpy():
    x = RNG.standard_normal((3, 4))
    for cls, mode, kw in ((nn.RNNCell, "RNN_TANH", {}), (nn.RNNCell, "RNN_RELU", dict(nonlinearity="relu")),
                          (nn.LSTMCell, "LSTM", {}), (nn.GRUCell, "GRU", dict(bias=False))):
        c = cls(4, 5, dtype=torch.float64, **kw)
        p = {}
        for name, prm in c.named_parameters():
            arr = RNG.uniform(-0.6, 0.6, tuple(prm.shape))
            with torch.no_grad():
                prm.copy_(torch.tensor(arr))
            p[name.replace("weight", "w").replace("bias", "b")] = arr
        state = tuple(RNG.standard_normal((3, 5)) for _ in range(2 if mode == "LSTM" else 1))
        ref = np_step(mode, x, state, p)
        hx = tuple(torch.tensor(s) for s in state)
        got = c(torch.tensor(x), hx if mode == "LSTM" else hx[0])
        got = got if mode == "LSTM" else (got,)
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g.detach().numpy(), r, rtol=1e-10, atol=1e-12)
        un = c(torch.tensor(x[0]))  # unbatched input, zero state
        un = un if mode == "LSTM" else (un,)
        ref0 = np_step(mode, x[:1], tuple(np.zeros((1, 5)) for _ in state), p)
        np.testing.assert_allclose(un[0].detach().numpy(), ref0[0][0], rtol=1e-10, atol=1e-12)


def test_gradcheck_through_time():
    for m in (nn.LSTM(2, 3, bidirectional=True, dtype=torch.float64), nn.GRU(2, 3, num_layers=2, dtype=torch.float64)):
        x = torch.tensor(RNG.standard_normal((3, 2, 2)), requires_grad=True)
        w = m.weight_hh_l0
        assert gradcheck(lambda x, w: m(x)[0], (x, w))
    cell = nn.RNNCell(2, 3, dtype=torch.float64)
    assert gradcheck(lambda x: cell(x), (torch.tensor(RNG.standard_normal((2, 2)), requires_grad=True),))
    packed_in = torch.tensor(RNG.standard_normal((3, 2, 2)), requires_grad=True)
    rnn = nn.RNN(2, 3, dtype=torch.float64)
    assert gradcheck(lambda x: pad_packed_sequence(rnn(pack_padded_sequence(x, [3, 2]))[0])[0], (packed_in,))


def test_dropout_between_layers():
    m = nn.GRU(3, 4, num_layers=2, dropout=1.0, dtype=torch.float64)
    params = load_params(m)
    x = RNG.standard_normal((4, 2, 3))
    m.train()  # p=1 zeroes layer 0's output, so layer 1 sees zeros
    out, _ = m(torch.tensor(x))
    zeros = np.zeros((4, 2, 4))
    ref, _ = np_rnn("GRU", zeros, params[1:], 1, False, (np.zeros((1, 2, 4)),))
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    m.eval()
    ref, _ = np_rnn("GRU", x, params, 2, False, (np.zeros((2, 2, 4)),))
    np.testing.assert_allclose(m(torch.tensor(x))[0].detach().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_parameter_names_shapes_init_and_reprs():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()][:6] == [
        ("weight_ih_l0", (80, 10)), ("weight_hh_l0", (80, 5)), ("bias_ih_l0", (80,)), ("bias_hh_l0", (80,)),
        ("weight_hr_l0", (5, 20)), ("weight_ih_l0_reverse", (80, 10))]
    assert tuple(m.weight_ih_l1.shape) == (80, 10) and len(m.state_dict()) == 20
    assert list(nn.RNN(3, 4, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert list(nn.GRUCell(3, 4).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert tuple(nn.GRU(3, 4).weight_ih_l0.shape) == (12, 3)
    bound = 1 / math.sqrt(20)
    vals = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert vals.min() >= -bound and vals.max() <= bound and vals.max() > 0.95 * bound
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(nn.RNN(10, 20, 2, nonlinearity="relu", bias=False, batch_first=True, dropout=0.5, bidirectional=True)) == \
        "RNN(10, 20, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"
    assert repr(nn.LSTM(10, 20, proj_size=5)) == "LSTM(10, 20, proj_size=5)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"
    assert len(m.all_weights) == 4 and m.all_weights[0][0] is m.weight_ih_l0


def test_rnn_errors():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'x'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="x")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout should be a number in range \\[0, 1\\]"):
        nn.LSTM(3, 4, dropout=1.5)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.LSTM(3, 4, dropout=0.5)
    assert "non-zero dropout expects num_layers greater than 1" in str(w[0].message)
    lstm = nn.LSTM(3, 4, 2)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\), got \[2, 3, 4\]"):
        lstm(torch.randn(5, 2, 3), (torch.randn(2, 3, 4), torch.randn(2, 2, 4)))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 4"):
        lstm(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match=r"RNN input dtype \(torch.float64\) does not match weight dtype \(torch.float32\)"):
        lstm(torch.randn(5, 2, 3).double())
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(torch.randn(5, 2, 3, 1))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"):
        nn.RNN(3, 4)(torch.randn(5, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        nn.GRU(3, 4)(torch.randn(5, 2, 3), torch.randn(1, 3, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        nn.GRU(3, 4)(torch.randn(5, 2, 3), torch.randn(3, 4))
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        nn.RNN(2, 3)(torch.zeros(0, 2, 2))
    out, h = nn.LSTM(2, 3)(torch.zeros(4, 0, 2))  # an empty batch runs and returns empty results
    assert tuple(out.shape) == (4, 0, 3) and tuple(h[0].shape) == (1, 0, 3)
    cell = nn.RNNCell(3, 4)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        cell(torch.randn(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(torch.randn(2, 3), torch.randn(3, 4))
    with pytest.raises(RuntimeError, match="hidden1 has inconsistent hidden_size: got 5, expected 4"):
        nn.LSTMCell(3, 4)(torch.randn(2, 3), (torch.randn(2, 4), torch.randn(2, 5)))


# ------------------------------------------------------------------ utils.rnn
def test_pad_and_pack_layouts():
    a, b, c = torch.tensor([1.0, 2, 3]), torch.tensor([4.0, 5]), torch.tensor([6.0])
    np.testing.assert_array_equal(pad_sequence([a, b, c]).numpy(), [[1, 4, 6], [2, 5, 0], [3, 0, 0]])
    np.testing.assert_array_equal(pad_sequence([b, a, c], batch_first=True, padding_value=-1, padding_side="left").numpy(),
                                  [[-1, 4, 5], [1, 2, 3], [-1, -1, 6]])
    p = pack_sequence([a, b, c])
    np.testing.assert_array_equal(p.data.numpy(), [1, 4, 6, 2, 5, 3])  # time-major
    assert p.batch_sizes.tolist() == [3, 2, 1] and p.batch_sizes.dtype == torch.int64
    assert p.sorted_indices is None and p.unsorted_indices is None
    assert repr(p) == ("PackedSequence(data=tensor([1., 4., 6., 2., 5., 3.]), batch_sizes=tensor([3, 2, 1]), "
                       "sorted_indices=None, unsorted_indices=None)")
    q = pack_sequence([b, a, c], enforce_sorted=False)
    assert q.sorted_indices.tolist() == [1, 0, 2] and q.unsorted_indices.tolist() == [1, 0, 2]
    assert [s.tolist() for s in unpack_sequence(q)] == [[4.0, 5.0], [1.0, 2.0, 3.0], [6.0]]
    padded, lengths = pad_packed_sequence(p, batch_first=True, total_length=4, padding_value=9)
    np.testing.assert_array_equal(padded.numpy(), [[1, 2, 3, 9], [4, 5, 9, 9], [6, 9, 9, 9]])
    assert lengths.tolist() == [3, 2, 1]
    assert [s.tolist() for s in unpad_sequence(padded, lengths, batch_first=True)] == [[1, 2, 3], [4, 5], [6]]
    x = torch.tensor(RNG.standard_normal((2, 4, 3)), requires_grad=True)
    pk = pack_padded_sequence(x, torch.tensor([2, 4]), batch_first=True, enforce_sorted=False)
    back, _ = pad_packed_sequence(pk, batch_first=True)
    np.testing.assert_array_equal(back.detach().numpy()[1], x.detach().numpy()[1])
    back.sum().backward()  # gradient reaches only the packed (real) steps
    np.testing.assert_array_equal(x.grad.numpy()[:, :, 0], [[1, 1, 0, 0], [1, 1, 1, 1]])
    assert p.double().data.dtype == torch.float64


def test_packing_errors():
    x = torch.zeros(3, 2)
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order when `enforce_sorted` is True"):
        pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        pack_padded_sequence(x, [3, 0])
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 3 \(batch_size=2\)"):
        pack_padded_sequence(x, [3, 1, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence in input, but got total_length=2 and max sequence length being 3"):
        pad_packed_sequence(pack_padded_sequence(x, [3, 1]), total_length=2)
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got mid."):
        pad_sequence([torch.ones(2)], padding_side="mid")
