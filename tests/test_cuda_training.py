"""Indexing along a dim, optimizer updates and a whole training step on
every device: the CPU case against numpy or hand-computed values, the CUDA
case against the CPU (CUDA backend II, first part)."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from devices import DEVICES, assert_close, assert_same, cuda_only, to_numpy


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.float16])
def test_gather_and_index_select(device, dtype):
    src = torch.arange(24).reshape(4, 6).to(dtype)
    idx = torch.tensor([[0, 5, -1], [2, 2, 3], [1, 0, 4], [5, 5, 5]])
    got = src.to(device).gather(1, idx.to(device))
    assert_close(got, np.take_along_axis(src.numpy() if dtype != torch.float16 else src.float().numpy(),
                                         idx.numpy() % 6, axis=1))
    rows = torch.tensor([3, 0, 3])
    assert_close(src.to(device).index_select(0, rows.to(device)), src.numpy()[[3, 0, 3]] if dtype != torch.float16
                 else src.float().numpy()[[3, 0, 3]])
    t = src.to(device).t()  # strided source
    assert_same(t.index_select(1, rows.to(device)), src.t().index_select(1, rows))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int32, torch.int64])
def test_scatter_add_and_index_add(device, dtype):
    idx = torch.tensor([[0, 1, 0], [2, 2, 1]])
    src = torch.tensor([[1, 2, 3], [4, 5, 6]]).to(dtype)
    out = torch.zeros(2, 4, dtype=dtype).to(device).scatter_add(1, idx.to(device), src.to(device))
    assert_close(out, [[4, 2, 0, 0], [0, 6, 9, 0]])
    out = torch.ones(3, 2, dtype=dtype).to(device)
    out.index_add_(0, torch.tensor([2, 0, 2]).to(device), torch.tensor([[1, 1], [2, 2], [3, 3]]).to(dtype).to(device))
    assert_close(out, [[3, 3], [1, 1], [5, 5]])
    s = torch.zeros(2, 3, dtype=dtype).to(device).scatter(1, torch.tensor([[2], [0]]).to(device), 7)
    assert_close(s, [[0, 0, 7], [7, 0, 0]])


@cuda_only
def test_out_of_range_index_is_reported():
    src = torch.arange(6.0).to("cuda")
    bad = src.gather(0, torch.tensor([1, 9]).to("cuda"))  # launches; reported at the next sync
    with pytest.raises(RuntimeError, match="device-side assert triggered"):
        bad.cpu()
    assert src.gather(0, torch.tensor([1, 2]).to("cuda")).cpu().tolist() == [1.0, 2.0]  # usable again


def train(device, opt_name, steps=5):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    opt = getattr(torch.optim, opt_name)(model.parameters(), lr=0.05)
    x, y = torch.randn(32, 8).to(device), torch.randint(0, 3, (32,)).to(device)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.device.type == torch.device(device).type for p in model.parameters())
    return losses


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("opt_name", OPTIMIZERS)
def test_training_step(device, opt_name):
    losses = train(device, opt_name)
    assert losses[-1] < losses[0]
    if device != "cpu":  # the whole step on the device reproduces the CPU's
        np.testing.assert_allclose(losses, train("cpu", opt_name), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_grads_of_broadcast_ops_land_on_the_device(device):
    w = torch.randn(3, 1).to(device).requires_grad_()
    b = torch.randn(4).to(device).requires_grad_()
    ((w * b).exp().sum() + (w ** 2).mean()).backward()
    assert w.grad.device.type == torch.device(device).type and w.grad.shape == (3, 1)
    wc, bc = w.detach().cpu().double().numpy(), b.detach().cpu().double().numpy()
    e = np.exp(wc * bc)
    assert_close(w.grad, (e * bc).sum(1, keepdims=True) + 2 * wc / 3, {torch.float32: (1e-5, 1e-5)})
    assert_close(b.grad, (e * wc).sum(0), {torch.float32: (1e-5, 1e-5)})


@cuda_only
def test_training_step_copies_nothing_to_the_host():
    # issue 7: no silent host round trips; only the .item() asked for here
    from ferrotorch import _C
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)).to("cuda")
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 8).to("cuda"), torch.randint(0, 3, (32,)).to("cuda")
    before = _C._cuda_device_to_host_copies()
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert _C._cuda_device_to_host_copies() == before
    loss.item()  # the value, plus the check of the index kernels' error flag at this sync
    assert _C._cuda_device_to_host_copies() in (before + 1, before + 2)


@pytest.mark.parametrize("device", DEVICES)
def test_integer_index_and_tril(device):
    x = torch.arange(20.0).reshape(4, 5)
    g = x.to(device)
    i = torch.tensor([[0, 3], [2, -1]])
    assert_close(g[i], x.numpy()[i.numpy()])  # a CPU index may index any device
    assert_close(g[:, torch.tensor([4, 0]).to(device)], x.numpy()[:, [4, 0]])
    assert_close(g.tril(), np.tril(x.numpy()))
    assert_close(g.triu(1), np.triu(x.numpy(), 1))
    b = g > 3
    assert b.tril().dtype == torch.bool
    assert_close(b.tril(), np.tril(x.numpy() > 3))
