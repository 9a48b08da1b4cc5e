"""gradcheck through the Python API for the index and shape families
(gather/scatter/index/masked/sort/topk, cat/stack/flip/roll/repeat/norms/
einsum/cumulative), with duplicate indices and non-contiguous inputs."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck, gradgradcheck

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")

RNG = np.random.default_rng(1)


def rand(*shape):
    return torch.tensor(RNG.uniform(-1, 1, size=shape), dtype=torch.float64, requires_grad=True)


def noncontig(*shape):
    base = torch.tensor(RNG.uniform(-1, 1, size=tuple(reversed(shape))), dtype=torch.float64)
    t = base.permute(*reversed(range(len(shape)))).detach()
    t.requires_grad_()
    return t


# Index constants are built when a case runs, on the test's default device.
def IDX():
    return torch.tensor([[0, 2, 2, 1], [1, 1, 0, 0], [2, 0, 1, 2]])  # duplicates on purpose


def ROWS():
    return torch.tensor([2, 0, 2])


def MASK():
    return torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

INDEX_OPS = {
    "gather": lambda x: x.gather(0, IDX()),
    "take_along_dim": lambda x: torch.take_along_dim(x, IDX(), dim=0),
    "index_select": lambda x: x.index_select(0, ROWS()),
    "adv_getitem": lambda x: x[ROWS(), 1:],
    "adv_getitem_2": lambda x: x[ROWS(), torch.tensor([0, 3, 3])],
    "bool_getitem": lambda x: x[MASK()],
    "masked_select": lambda x: x.masked_select(MASK()),
    "masked_fill": lambda x: x.masked_fill(MASK(), 0.5),
    "take": lambda x: torch.take(x, torch.tensor([0, 5, 5, 11])),
    "scatter_src": lambda x: torch.zeros(3, 4, dtype=torch.float64).scatter(0, torch.tensor([[0, 1, 2, 0]]), x[:1]),
    "scatter_self": lambda x: x.scatter(1, torch.tensor([[0], [1], [2]]), 2.0),
    "scatter_add": lambda x: x.scatter_add(0, IDX(), x * 2),
    "index_add": lambda x: x.index_add(0, ROWS(), x * 3),
    "index_put_acc": lambda x: x.index_put((ROWS(),), x * 2, accumulate=True),
    "sort": lambda x: x.sort(1)[0],
    "sort_desc": lambda x: x.sort(0, descending=True).values,
    "topk": lambda x: x.topk(2, 1)[0],
    "max_dim": lambda x: x.max(1)[0],
    "kthvalue_like_min": lambda x: x.min(0).values,
}


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
def test_index_ops_gradcheck(name):
    f = INDEX_OPS[name]
    assert gradcheck(f, (rand(3, 4),))
    assert gradcheck(f, (noncontig(3, 4),))


def test_index_setitem_and_inplace_index_ops():
    def f(x, v):
        y = x * 1
        y[ROWS(), 0] = v  # duplicate index 2: the last write wins
        y.masked_fill_(MASK(), 0.0)
        y.index_add_(1, torch.tensor([0, 0]), x[:, :2] * v.unsqueeze(1))
        return y

    assert gradcheck(f, (rand(3, 4), rand(3)))


@pytest.mark.parametrize("f", [
    lambda x: x.gather(1, IDX().t()[:3, :3]),
    lambda x: x.index_select(1, torch.tensor([3, 0, 3])),
    lambda x: x[ROWS()] * x[ROWS()],
])
def test_index_gradgradcheck(f):
    assert gradgradcheck(f, (rand(3, 4),))


SHAPE_OPS = {
    "cat": lambda x, y: torch.cat([x, y, x], 0),
    "cat_dim1": lambda x, y: torch.cat([x, y], 1),
    "stack": lambda x, y: torch.stack([x, y], 1),
    "hstack": lambda x, y: torch.hstack([x, y]),
    "vstack": lambda x, y: torch.vstack([x, y]),
    "flip": lambda x, y: x.flip(0, 1) * y,
    "roll": lambda x, y: x.roll(1, 1) + y.roll((1, -1), (0, 1)),
    "repeat": lambda x, y: x.repeat(2, 1, 3),
    "tile": lambda x, y: torch.tile(y, (2,)),
    "repeat_interleave": lambda x, y: x.repeat_interleave(2, dim=1),
    "repeat_interleave_flat": lambda x, y: y.repeat_interleave(3),
    "tril": lambda x, y: x.tril(),
    "triu": lambda x, y: y.triu(1),
    "outer": lambda x, y: torch.outer(x[0], y[1]),
    "addmm": lambda x, y: torch.addmm(x, y, y.t(), beta=0.5, alpha=2.0),
    "norm2": lambda x, y: x.norm(),
    "norm1_dim": lambda x, y: torch.linalg.vector_norm(x, 1, dim=1),
    "norm3": lambda x, y: torch.linalg.vector_norm(y, 3.0),
    "norm_inf": lambda x, y: torch.linalg.vector_norm(x, float("inf"), dim=0),
    "logsumexp": lambda x, y: torch.logsumexp(x, 1),
    "cumsum": lambda x, y: x.cumsum(1),
    "cumprod": lambda x, y: y.cumprod(0),
    "einsum_mm": lambda x, y: torch.einsum("ij,kj->ik", x, y),
    "einsum_trace": lambda x, y: torch.einsum("ij,ij->", x, y),
    "meshgrid": lambda x, y: torch.meshgrid(x[0], y[0], indexing="ij")[1] * 1,
    "broadcast_tensors": lambda x, y: torch.broadcast_tensors(x, y[:1])[1] * 1,
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops_gradcheck(name):
    f = SHAPE_OPS[name]
    assert gradcheck(f, (rand(4, 4), rand(4, 4)))
    assert gradcheck(f, (noncontig(4, 4), noncontig(4, 4)))


def test_norm_at_zero_has_zero_subgradient():
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_cumprod_with_zeros():
    x = torch.tensor([2.0, 0.0, 3.0, 0.0, 5.0], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: t.cumprod(0), (x,))


@pytest.mark.parametrize("f", [
    lambda x, y: torch.cat([x, y], 1).sin(),
    lambda x, y: torch.linalg.vector_norm(x * y, 2, dim=1),
    lambda x, y: torch.logsumexp(x * y, 0),
    lambda x, y: (x * y).cumsum(1),
    lambda x, y: torch.einsum("bij,bjk->bik", x.unsqueeze(0), y.unsqueeze(0)),
])
def test_shape_gradgradcheck(f):
    assert gradgradcheck(f, (rand(3, 3), rand(3, 3)))
