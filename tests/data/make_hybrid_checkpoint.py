"""Regenerates hybrid_checkpoint.npz: a CNN+LSTM+Transformer model's PyTorch
state_dict (eval mode, float32), one input batch, PyTorch's output and repr.
Needs PyTorch; the tests only read the .npz (run: python make_hybrid_checkpoint.py)."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from hybrid_model import build  # noqa: E402

torch.manual_seed(0)
model = build(torch.nn)
with torch.no_grad():  # non-trivial running statistics
    bn = model.features[1]
    bn.running_mean.uniform_(-0.5, 0.5)
    bn.running_var.uniform_(0.5, 1.5)
    bn.num_batches_tracked.fill_(7)
model.eval()
x = torch.randn(2, 1, 12, 12)
tokens = torch.tensor([[0, 3, 5, 9], [1, 0, 2, 2]])
with torch.no_grad():
    out = model(x, tokens)
arrays = {"sd/" + k: v.numpy() for k, v in model.state_dict().items()}
arrays.update(x=x.numpy(), tokens=tokens.numpy(), out=out.numpy(), repr=np.array(repr(model)))
np.savez_compressed(os.path.join(os.path.dirname(__file__), "hybrid_checkpoint.npz"), **arrays)
print(repr(model))
