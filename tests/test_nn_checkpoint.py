"""SEED.md 4.1 verbatim, and a PyTorch-produced CNN+LSTM+Transformer
checkpoint (tests/data/hybrid_checkpoint.npz, made by make_hybrid_checkpoint.py):
same repr, same state_dict keys and shapes, strict load, same output."""
import copy
import os
import subprocess
import sys

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn

DATA = os.path.join(os.path.dirname(__file__), "data")
sys.path.insert(0, DATA)
from hybrid_model import build  # noqa: E402


def test_seed_4_1_verbatim():
    code = '''
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F

# Define a simple feedforward neural network
class SimpleNN(nn.Module):
    def __init__(self):
        super(SimpleNN, self).__init__()
        self.fc1 = nn.Linear(784, 128)  # Input layer (784) to hidden layer (128)
        self.fc2 = nn.Linear(128, 10)    # Hidden layer (128) to output layer (10)
        
    def forward(self, x):
        x = F.relu(self.fc1(x))  # Apply ReLU activation function
        x = self.fc2(x)  # Output layer
        return F.log_softmax(x, dim=1)  # Log softmax for multi-class classification

# Instantiate the model
model = SimpleNN()
import ferrotorch
print(model)
out = model(ferrotorch.randn(3, 784))
print(tuple(out.shape), float(out.exp().sum(1).sum()))
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[:4] == [
        "SimpleNN(",
        "  (fc1): Linear(in_features=784, out_features=128, bias=True)",
        "  (fc2): Linear(in_features=128, out_features=10, bias=True)",
        ")",
    ]
    shape, total = lines[4].rsplit(" ", 1)
    assert shape == "(3, 10)" and abs(float(total) - 3.0) < 1e-5  # rows of probabilities


@pytest.fixture(scope="module")
def ckpt():
    with np.load(os.path.join(DATA, "hybrid_checkpoint.npz")) as z:
        return {k: z[k] for k in z.files}


def test_repr_matches_pytorch(ckpt):
    assert repr(build(nn)) == str(ckpt["repr"])


def test_state_dict_keys_and_shapes_match_pytorch(ckpt):
    want = {k[3:]: v.shape for k, v in ckpt.items() if k.startswith("sd/")}
    got = {k: tuple(v.shape) for k, v in build(nn).state_dict().items()}
    assert list(got) == list(want)  # same keys in PyTorch's order
    assert got == want
    assert "lstm.weight_hh_l1_reverse" in got and "encoder.layers.1.self_attn.in_proj_weight" in got
    assert "features.1.num_batches_tracked" in got


def test_pytorch_checkpoint_loads_strict_and_reproduces_output(ckpt):
    model = build(nn)
    sd = {k[3:]: torch.from_numpy(v.copy()) for k, v in ckpt.items() if k.startswith("sd/")}
    result = model.load_state_dict(sd, strict=True)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert model.features[1].num_batches_tracked.item() == 7
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(ckpt["x"]), torch.from_numpy(ckpt["tokens"]))
    np.testing.assert_allclose(out.numpy(), ckpt["out"], rtol=1e-4, atol=1e-5)
    # a deep copy is an independent model with the same output
    twin = copy.deepcopy(model)
    with torch.no_grad():
        np.testing.assert_allclose(twin(torch.from_numpy(ckpt["x"]), torch.from_numpy(ckpt["tokens"])).numpy(),
                                   out.numpy(), rtol=1e-6)
        twin.head.bias.add_(1.0)
    assert not np.allclose(twin.head.bias.detach().numpy(), model.head.bias.detach().numpy())


def test_strict_load_reports_missing_and_unexpected(ckpt):
    model = build(nn)
    sd = {k[3:]: torch.from_numpy(v.copy()) for k, v in ckpt.items() if k.startswith("sd/")}
    del sd["lstm.bias_ih_l0"]
    sd["lstm.extra"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as e:
        model.load_state_dict(sd, strict=True)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Hybrid:")
    assert 'Missing key(s) in state_dict: "lstm.bias_ih_l0".' in msg
    assert 'Unexpected key(s) in state_dict: "lstm.extra".' in msg
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["lstm.bias_ih_l0"] and result.unexpected_keys == ["lstm.extra"]
