"""Regenerates the torch.save fixtures of test_serialization.py. Needs PyTorch;
the tests only read the files (run: python make_serialization_fixtures.py).

- torch_checkpoint.pt: a tiny model's state_dict and its Adam state_dict after
  one step, as a training checkpoint; torch_checkpoint_expected.npz: the
  state_dict as arrays, a second batch, and the parameters after PyTorch's
  second Adam step on it.
- torch_views.pt: tensors of every dtype, views sharing one storage, a
  Parameter, 0-d and empty tensors.
- torch_reference.pt: an object whose data.pkl ferrotorch must write byte for
  byte (see reference_object in the test).
"""
import collections
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def build(nn):
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.BatchNorm1d(4), nn.Linear(4, 2))


def loss_fn(model, x, y):
    return ((model(x) - y) ** 2).mean()


torch.manual_seed(0)
model = build(torch.nn)
opt = torch.optim.Adam(model.parameters(), lr=0.05, betas=(0.8, 0.9), weight_decay=0.01)
x1, y1 = torch.randn(5, 3), torch.randn(5, 2)
opt.zero_grad()
loss_fn(model, x1, y1).backward()
opt.step()
torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, os.path.join(HERE, "torch_checkpoint.pt"))

x2, y2 = torch.randn(5, 3), torch.randn(5, 2)
expected = {"sd/" + k: v.clone().numpy() for k, v in model.state_dict().items()}
opt.zero_grad()
loss_fn(model, x2, y2).backward()
opt.step()
expected.update({"after/" + k: v.detach().numpy() for k, v in model.named_parameters()})
np.savez(os.path.join(HERE, "torch_checkpoint_expected.npz"), x2=x2.numpy(), y2=y2.numpy(), **expected)

base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
views = {
    "base": base,
    "row": base[1],
    "cols": base[:, 1::2],
    "t": base.t(),
    "expand": torch.arange(3.0).unsqueeze(1).expand(3, 2),
    "param": torch.nn.Parameter(torch.tensor([0.5, -1.5])),
    "frozen": torch.nn.Parameter(torch.tensor([2.0]), requires_grad=False),
    "grad": torch.tensor([1.0, 2.0], requires_grad=True),
    "scalar": torch.tensor(7, dtype=torch.int64),
    "empty": torch.zeros(0, 3),
    "f64": torch.tensor([1.0 / 3, -2.5], dtype=torch.float64),
    "f16": torch.tensor([0.1, 65504.0, -2.0], dtype=torch.float16),
    "bf16": torch.tensor([0.1, 3.0e38, -2.0], dtype=torch.bfloat16),
    "i32": torch.tensor([-(2**31), 2**31 - 1], dtype=torch.int32),
    "i16": torch.tensor([-(2**15), 7], dtype=torch.int16),
    "i8": torch.tensor([-128, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
}
torch.save(views, os.path.join(HERE, "torch_views.pt"))

t = torch.arange(6.0).reshape(2, 3)
reference = collections.OrderedDict(
    w=t, v=t[1:], p=torch.nn.Parameter(torch.ones(2)), n=torch.tensor([1, 2]),
    h=torch.tensor([1.5, -2.0], dtype=torch.bfloat16), m=torch.tensor([True, False]),
    s=(1, 2.5, "x", None, True, b"\x00\xff", {"k": [3]}), d=torch.float16, z=torch.Size([2, 3]))
torch.save(reference, os.path.join(HERE, "torch_reference.pt"))
