"""ferrotorch.utils.data: datasets, samplers, default_collate, DataLoader in
the main process and with worker processes, and Tensor pickling. References:
hand-computed orders and lengths (PyTorch's documented rules), numpy arrays,
PyTorch's messages, and seed values produced by PyTorch's worker seeding."""
import collections
import copy
import gc
import math
import multiprocessing
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.utils.data import (
    BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, Sampler,
    SequentialSampler, StackDataset, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
    default_collate, default_convert, get_worker_info, random_split,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rows(loader):
    """Each batch's first field as a plain list, for order checks."""
    return [b[0].tolist() if isinstance(b, (list, tuple)) else b.tolist() for b in loader]


@pytest.fixture(autouse=True)
def no_leftover_workers():
    """Every test's loaders shut their workers down (at the latest when the
    iterator is collected): no live or zombie worker processes remain."""
    yield
    gc.collect()
    deadline = time.monotonic() + 3
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert multiprocessing.active_children() == []


def gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


# ------------------------------------------------------------------ datasets used by worker tests
class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class Tagged(Range):
    """Sample i -> (i, worker id, pid, the tag worker_init_fn set on this copy)."""

    tag = -1

    def __getitem__(self, i):
        info = get_worker_info()
        return i, info.id, os.getpid(), self.tag


class Seeds(Range):
    """Draws from every RNG a worker seeds, plus the worker's info."""

    def __getitem__(self, i):
        info = get_worker_info()
        return (i, info.id, info.num_workers, info.seed, random.random(), float(np.random.rand()),
                float(torch.rand(1).item()), isinstance(info.dataset, Seeds))


class Failing(Range):
    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"bad sample {i}")
        return i


class MissingKey(Range):
    def __getitem__(self, i):
        return {"a": 1}["b"] if i == 2 else i


class Killer(Range):
    def __getitem__(self, i):
        if i == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Slow(Range):
    def __init__(self, n, delay):
        self.n, self.delay = n, delay

    def __getitem__(self, i):
        if i == 2:
            time.sleep(self.delay)
        return i


class Counting(Range):
    """Counts the samples this copy served: persistent workers keep the count."""

    served = 0

    def __getitem__(self, i):
        self.served += 1
        return i, os.getpid(), self.served


class Unpicklable(Range):
    def __getitem__(self, i):
        return lambda: i


class Stream(IterableDataset):
    def __init__(self, start, end, shard=False):
        self.start, self.end, self.shard = start, end, shard

    def __iter__(self):
        lo, hi = self.start, self.end
        info = get_worker_info()
        if self.shard and info is not None:
            per = math.ceil((hi - lo) / info.num_workers)
            lo = lo + info.id * per
            hi = min(lo + per, hi)
        return iter(range(lo, hi))


class BigOp(Range):
    """Runs a kernel large enough to use ferrotorch's thread pool."""

    def __getitem__(self, i):
        return float(torch.ones(300, 300).add(i).sum().item())


class Sub(torch.Tensor):
    """A Tensor subclass with instance attributes (pickled by class name)."""


def tag_worker(worker_id):
    get_worker_info().dataset.tag = 100 + worker_id


# ------------------------------------------------------------------ Tensor pickling
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_tensor_pickle_round_trip(dtype):
    a = (np.arange(24) % 7 - 2).reshape(2, 3, 4).astype(dtype)
    t = torch.from_numpy(a.copy()).permute(2, 0, 1)[1:]  # non-contiguous, offset view
    r = pickle.loads(pickle.dumps(t))
    assert r.dtype == t.dtype and r.shape == t.shape
    np.testing.assert_array_equal(r.numpy(), a.transpose(2, 0, 1)[1:])
    t.fill_(1)  # the pickle holds a copy
    np.testing.assert_array_equal(r.numpy(), a.transpose(2, 0, 1)[1:])


def test_bfloat16_pickle_keeps_bits():
    # all exactly representable in bfloat16 (8 significant bits)
    vals = np.array([1.5, -2.25, 3.0, np.inf, -0.0, 2.0**-100, 65280.0, -np.inf], np.float32).reshape(2, 4)
    t = torch.from_numpy(vals).to(torch.bfloat16).t()  # non-contiguous
    r = pickle.loads(pickle.dumps(t))
    assert r.dtype == torch.bfloat16 and r.shape == (4, 2)
    np.testing.assert_array_equal(r.float().numpy().view(np.uint32), vals.T.view(np.uint32))  # -0.0 keeps its sign
    nan = pickle.loads(pickle.dumps(torch.tensor([float("nan")], dtype=torch.bfloat16)))
    assert math.isnan(nan.float().item())
    assert pickle.loads(pickle.dumps(torch.empty(0, 3, dtype=torch.bfloat16))).shape == (0, 3)


def test_pickle_scalar_empty_grad_subclass_device():
    s = pickle.loads(pickle.dumps(torch.tensor(2.5, dtype=torch.float64)))
    assert s.shape == () and s.dtype == torch.float64 and s.item() == 2.5
    assert pickle.loads(pickle.dumps(torch.zeros(0, 2, dtype=torch.int64))).shape == (0, 2)
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x * 2))  # a non-leaf arrives as a leaf that requires grad, as PyTorch
    assert y.requires_grad and y.is_leaf and y.grad_fn is None and y.tolist() == [2.0, 4.0]
    p = pickle.loads(pickle.dumps(torch.nn.Parameter(torch.ones(2), requires_grad=False)))
    assert type(p) is torch.nn.Parameter and not p.requires_grad and p.tolist() == [1.0, 1.0]
    sub = Sub(torch.arange(3))
    sub.note = "kept"
    back = pickle.loads(pickle.dumps(sub))
    assert type(back) is Sub and back.note == "kept" and back.tolist() == [0, 1, 2]
    assert str(pickle.loads(pickle.dumps(torch.device("cpu")))) == "cpu"


def test_copy_shares_memory_deepcopy_does_not():
    t = torch.zeros(3, requires_grad=True)
    c = copy.copy(t)
    assert c.requires_grad and c.is_leaf
    with torch.no_grad():
        c[0] = 5.0
    assert t.tolist() == [5.0, 0.0, 0.0]  # as PyTorch
    d = copy.deepcopy(t)
    with torch.no_grad():
        d[1] = 7.0
    assert t.tolist() == [5.0, 0.0, 0.0] and d.tolist() == [5.0, 7.0, 0.0] and d.requires_grad


# ------------------------------------------------------------------ datasets
def test_tensor_dataset():
    x, y = torch.arange(12.0).reshape(4, 3), torch.tensor([5, 6, 7, 8])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    assert a.tolist() == [6.0, 7.0, 8.0] and b.item() == 7
    assert [t.tolist() for t in ds[1:3]] == [[[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], [6, 7]]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, torch.zeros(3))


def test_concat_subset_stack_chain():
    a, b = Range(3), Range(4)
    cat = a + b
    assert isinstance(cat, ConcatDataset) and cat.cumulative_sizes == [3, 7] and len(cat) == 7
    assert [cat[i] for i in range(7)] == [0, 1, 2, 0, 1, 2, 3]
    assert cat[-1] == 3 and cat[-5] == 2
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-8]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([a, Stream(0, 2)])

    sub = Subset(Range(10), [7, 2, 9])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [7, 2, 9] and sub.__getitems__([2, 0]) == [9, 7]
    assert list(DataLoader(sub, batch_size=2, collate_fn=list)) == [[7, 2], [9]]

    class BadSubset(Subset):
        def __getitem__(self, i):
            return 0

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        BadSubset(Range(2), [0])

    st = StackDataset(Range(3), TensorDataset(torch.tensor([4, 5, 6])))
    assert st[1][0] == 1 and st[1][1][0].item() == 5 and len(st) == 3
    assert StackDataset(a=Range(2), b=Range(2))[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Range(2), Range(3))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()

    chain = Stream(0, 2) + Stream(5, 7)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 5, 6]
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ChainDataset([Range(2)]))
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]


def test_random_split_fractions_and_lengths():
    # floor(10 * 0.33) = 3 each, 1 left over goes to the first split
    parts = random_split(Range(10), [0.33, 0.33, 0.34], generator=gen(0))
    assert [len(p) for p in parts] == [4, 3, 3]
    # floor(11 * 0.25) = 2 each, the 3 left over go round-robin from the first
    assert [len(p) for p in random_split(Range(11), [0.25] * 4, generator=gen(0))] == [3, 3, 3, 2]
    items = sorted(i for p in parts for i in (p[k] for k in range(len(p))))
    assert items == list(range(10))  # a partition
    again = random_split(Range(10), [0.33, 0.33, 0.34], generator=gen(0))
    assert [p.indices for p in again] == [p.indices for p in parts]
    perm = torch.randperm(10, generator=gen(0)).tolist()  # the split is randperm cut in order
    assert parts[0].indices == perm[:4] and parts[2].indices == perm[7:]
    assert [len(p) for p in random_split(Range(5), [2, 3])] == [2, 3]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(Range(5), [2, 2])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(Range(5), [0.5, 1.5, -1.0])
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        assert [len(p) for p in random_split(Range(3), [0.5, 0.5, 0.0])] == [2, 1, 0]


# ------------------------------------------------------------------ samplers
def test_sequential_random_subset_samplers():
    assert list(SequentialSampler(Range(4))) == [0, 1, 2, 3]
    perm = list(RandomSampler(Range(10), generator=gen(1)))
    assert sorted(perm) == list(range(10)) and perm == list(RandomSampler(Range(10), generator=gen(1)))
    # without replacement, num_samples > n repeats whole permutations then a prefix of one more
    long = list(RandomSampler(Range(3), num_samples=7, generator=gen(2)))
    g = gen(2)
    assert long == torch.randperm(3, generator=g).tolist() + torch.randperm(3, generator=g).tolist() + \
        torch.randperm(3, generator=g).tolist()[:1]
    # with replacement, draws come 32 at a time from randint
    rep = list(RandomSampler(Range(5), replacement=True, num_samples=40, generator=gen(3)))
    g = gen(3)
    assert rep == torch.randint(0, 5, (32,), generator=g).tolist() + torch.randint(0, 5, (8,), generator=g).tolist()
    assert len(RandomSampler(Range(5), replacement=True, num_samples=40)) == 40
    # no generator: a seed drawn from the global RNG, so manual_seed fixes the order
    torch.manual_seed(5)
    first = list(RandomSampler(Range(20)))
    second = list(RandomSampler(Range(20)))
    torch.manual_seed(5)
    assert list(RandomSampler(Range(20))) == first and first != second
    sub = list(SubsetRandomSampler([10, 20, 30, 40], generator=gen(4)))
    assert sub == [[10, 20, 30, 40][i] for i in torch.randperm(4, generator=gen(4)).tolist()]
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(Range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(Range(0))
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_weighted_random_sampler_statistics():
    w = [1.0, 2.0, 3.0, 0.0]
    draws = np.array(list(WeightedRandomSampler(w, 30000, generator=gen(0))))
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, [1 / 6, 2 / 6, 3 / 6, 0], atol=0.015)  # ~5 sigma
    assert list(WeightedRandomSampler(w, 50, generator=gen(9))) == list(WeightedRandomSampler(w, 50, generator=gen(9)))
    # without replacement: distinct, and the first pick follows the weights
    g = gen(1)
    picks = [list(WeightedRandomSampler([1.0, 3.0, 0.5, 0.5], 4, replacement=False, generator=g)) for _ in range(3000)]
    assert all(sorted(p) == [0, 1, 2, 3] for p in picks)
    first = np.bincount([p[0] for p in picks], minlength=4) / 3000
    np.testing.assert_allclose(first, [0.2, 0.6, 0.1, 0.1], atol=0.04)
    # a zero weight is only drawn after the positive ones
    assert all(p[-1] == 2 for p in (list(WeightedRandomSampler([1.0, 1.0, 0.0], 3, False, gen(s))) for s in range(20)))


@pytest.mark.parametrize("args,exc,msg", [
    (([1.0, 2.0], 0), ValueError, "num_samples should be a positive integer value, but got num_samples=0"),
    (([1.0, 2.0], True), ValueError, "num_samples should be a positive integer value, but got num_samples=True"),
    (([1.0, 2.0], 2, 1), ValueError, "replacement should be a boolean value, but got replacement=1"),
    (([[1.0, 2.0]], 1), ValueError, r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
])
def test_weighted_random_sampler_validation(args, exc, msg):
    with pytest.raises(exc, match=msg):
        WeightedRandomSampler(*args)


@pytest.mark.parametrize("args,msg", [
    (([1.0, -1.0], 2), r"invalid multinomial distribution \(encountering probability entry < 0\)"),
    (([0.0, 0.0], 2), r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    (([float("nan"), 1.0], 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    (([1.0, 2.0], 3, False), r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"),
])
def test_weighted_random_sampler_bad_weights(args, msg):
    with pytest.raises(RuntimeError, match=msg):
        list(WeightedRandomSampler(*args))


def test_batch_sampler():
    # PyTorch's documented examples
    assert list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)) == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)) == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4 and len(BatchSampler(range(10), 3, True)) == 3
    assert list(BatchSampler(iter([4, 2, 9]), 2, False)) == [[4, 2], [9]]  # any iterable
    for bs, dl, msg in [(0, False, "batch_size should be a positive integer value, but got batch_size=0"),
                        (2.0, False, "batch_size should be a positive integer value, but got batch_size=2.0"),
                        (True, False, "batch_size should be a positive integer value, but got batch_size=True"),
                        (2, None, "drop_last should be a boolean value, but got drop_last=None")]:
        with pytest.raises(ValueError, match=msg):
            BatchSampler(range(3), bs, dl)


# ------------------------------------------------------------------ collation
Point = collections.namedtuple("Point", ["x", "y"])


def test_default_collate_leaves():
    t = default_collate([torch.tensor([1, 2]), torch.tensor([3, 4])])
    assert t.dtype == torch.int64 and t.tolist() == [[1, 2], [3, 4]]
    f = default_collate([1.5, 2.0])
    assert f.dtype == torch.float64 and f.tolist() == [1.5, 2.0]
    i = default_collate([1, 2])
    assert i.dtype == torch.int64 and i.tolist() == [1, 2]
    b = default_collate([True, False])
    assert b.dtype == torch.bool and b.tolist() == [True, False]
    a = default_collate([np.array([1, 2], np.int32), np.array([3, 4], np.int32)])
    assert a.dtype == torch.int32 and a.tolist() == [[1, 2], [3, 4]]
    s = default_collate([np.float32(1.5), np.float32(2.5)])
    assert s.dtype == torch.float32 and s.tolist() == [1.5, 2.5]
    assert default_collate([np.int32(3), np.int32(4)]).dtype == torch.int32
    assert default_collate([np.bool_(True), np.bool_(False)]).tolist() == [True, False]
    z = default_collate([np.array(0.5), np.array(1.5)])  # 0-d arrays stack to 1-d
    assert z.dtype == torch.float64 and z.tolist() == [0.5, 1.5]
    assert default_collate(["a", "b"]) == ["a", "b"] and default_collate([b"x", b"y"]) == [b"x", b"y"]


def test_default_collate_nested():
    batch = [
        {"img": (torch.full((2,), float(k)), k, 0.5 * k, f"s{k}"), "pt": Point(np.float64(k), [k, k + 1])}
        for k in range(3)
    ]
    out = default_collate(batch)
    assert set(out) == {"img", "pt"}
    img, num, real, names = out["img"]  # a tuple of columns becomes a list
    assert isinstance(out["img"], list)
    assert img.tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    assert num.tolist() == [0, 1, 2] and real.dtype == torch.float64 and real.tolist() == [0.0, 0.5, 1.0]
    assert list(names) == ["s0", "s1", "s2"]
    pt = out["pt"]
    assert type(pt) is Point and pt.x.dtype == torch.float64 and pt.x.tolist() == [0.0, 1.0, 2.0]
    assert [c.tolist() for c in pt.y] == [[0, 1, 2], [1, 2, 3]]
    od = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert type(od) is collections.OrderedDict and list(od) == ["b", "a"]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, "
                                        "dicts or lists; found <class 'object'>"):
        default_collate([object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"])])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([torch.zeros(2), torch.zeros(3)])


def test_default_convert():
    out = default_convert((np.array([1.0]), [np.int32(2), "a"], {"k": np.float64(1)}, Point(np.int64(1), 2)))
    assert isinstance(out, list)
    assert out[0].dtype == torch.float64 and out[0].tolist() == [1.0]
    assert out[1][0].dtype == torch.int32 and out[1][1] == "a"
    assert out[2]["k"].item() == 1.0 and type(out[3]) is Point and out[3].x.item() == 1 and out[3].y == 2
    strs = np.array(["a", "b"])
    assert default_convert(strs) is strs


# ------------------------------------------------------------------ DataLoader, main process
def test_loader_order_batching_drop_last():
    x = torch.arange(10)
    ds = TensorDataset(x, x * 10)
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3 and rows(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    first = next(iter(loader))
    assert first[1].tolist() == [0, 10, 20, 30]
    dropped = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and rows(dropped) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [b.tolist() for b in DataLoader(Range(3))] == [[0], [1], [2]]  # batch_size=1 default
    # batch_size=None: no batching, samples only converted
    single = list(DataLoader(np.arange(3.0), batch_size=None))
    assert [s.dtype for s in single] == [torch.float64] * 3 and [s.item() for s in single] == [0.0, 1.0, 2.0]
    custom = DataLoader(Range(6), batch_sampler=[[5, 0], [3]], collate_fn=lambda b: b)
    assert len(custom) == 2 and list(custom) == [[5, 0], [3]]
    assert list(DataLoader(Range(5), sampler=[4, 1, 1], batch_size=2, collate_fn=list)) == [[4, 1], [1]]


def test_loader_shuffle_reproducible():
    ds = Range(12)
    a = [b.tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=gen(3))]
    b = [b.tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=gen(3))]
    assert a == b and sorted(sum(a, [])) == list(range(12)) and [len(x) for x in a] == [5, 5, 2]
    assert sum(a, []) != list(range(12))
    torch.manual_seed(7)
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    e1, e2 = rows(loader), rows(loader)
    torch.manual_seed(7)
    assert rows(loader) == e1 and e1 != e2  # epochs differ, the seed replays them
    assert isinstance(loader.sampler, RandomSampler)


def test_loader_iterable_dataset_main_process():
    loader = DataLoader(Stream(0, 7), batch_size=3)
    assert rows(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    assert rows(DataLoader(Stream(0, 7), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Stream(0, 3), batch_size=None)) == [0, 1, 2]  # default_convert keeps ints

    class Short(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Short(0, 3), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match=r"Length of IterableDataset .* was reported to be 2\(when accessing "
                                         r"len\(dataloader\)\), but 3 samples have been fetched"):
        list(loader)
    assert len(DataLoader(Short(0, 3), batch_size=3)) == 1


class _NoLenIterable(IterableDataset):
    def __iter__(self):
        return iter([])


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(batch_size=None, drop_last=True), ValueError,
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    (dict(sampler=[0, 1], shuffle=True), ValueError, "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError,
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (dict(num_workers=-1), ValueError,
     "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."),
    (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
    (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified in multiprocessing.let "
                                          "num_workers > 0 to enable multiprocessing"),
    (dict(num_workers=1, prefetch_factor=-1), ValueError, "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
    (dict(multiprocessing_context="fork"), ValueError,
     "multiprocessing_context can only be used with multi-process loading \\(num_workers > 0\\), but got "
     "num_workers=0"),
    (dict(num_workers=1, multiprocessing_context="bogus"), ValueError,
     "multiprocessing_context option should specify a valid start method in"),
    (dict(num_workers=1, multiprocessing_context=3), TypeError,
     "multiprocessing_context option should be a valid context object or a string specifying the start method, "
     "but got multiprocessing_context=3"),
])
def test_loader_argument_validation(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        DataLoader(Range(4), **kwargs)


def test_loader_iterable_and_attribute_validation():
    for kw, msg in [(dict(shuffle=True), "expected unspecified shuffle option, but got shuffle=True"),
                    (dict(sampler=[0]), r"expected unspecified sampler option, but got sampler=\[0\]"),
                    (dict(batch_sampler=[[0]]), r"expected unspecified batch_sampler option")]:
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: " + msg):
            DataLoader(_NoLenIterable(), **kw)
    loader = DataLoader(Range(4))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3
    with pytest.raises(AssertionError, match="_SingleProcessDataLoaderIter requires timeout == 0"):
        iter(DataLoader(Range(3), timeout=1))
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        assert rows(DataLoader(Range(2), batch_size=2, pin_memory=True)) == [[0, 1]]
    with pytest.warns(UserWarning, match="This DataLoader will create 99 worker processes in total"):
        DataLoader(Range(2), num_workers=99)


# ------------------------------------------------------------------ DataLoader, worker processes
def test_workers_match_single_process():
    x = torch.arange(30.0).reshape(15, 2)
    ds = TensorDataset(x, torch.arange(15))
    for kw in (dict(batch_size=4), dict(batch_size=4, shuffle=True, drop_last=True), dict(batch_size=None)):
        gk = dict(generator=gen(11)) if kw.get("shuffle") else {}
        ref = list(DataLoader(ds, **kw, **gk))
        gk = dict(generator=gen(11)) if kw.get("shuffle") else {}
        got = list(DataLoader(ds, num_workers=2, **kw, **gk))
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            assert all(gt.dtype == rt.dtype and gt.tolist() == rt.tolist() for gt, rt in zip(g, r))
    assert multiprocessing.active_children() == []  # finished epochs leave no worker behind


def test_prefetch_factor_bounds_tasks_in_flight():
    it = iter(DataLoader(Range(20), batch_size=2, num_workers=2, prefetch_factor=3))
    assert it._send_idx == 6  # prefetch_factor tasks per worker sent up front
    assert next(it).tolist() == [0, 1] and it._send_idx == 7  # one more per batch returned
    assert [b.tolist() for b in it][-1] == [18, 19] and it._send_idx == 10


def test_worker_info_seeds_and_init_fn():
    assert get_worker_info() is None  # main process
    loader = DataLoader(Seeds(8), batch_size=2, num_workers=2, collate_fn=list, generator=gen(0))
    samples = [s for batch in loader for s in batch]
    assert [s[0] for s in samples] == list(range(8))
    assert [s[1] for s in samples] == [0, 0, 1, 1, 0, 0, 1, 1]  # batches go round-robin to the workers
    assert all(s[2] == 2 and s[7] for s in samples)
    base = samples[0][3]
    assert base == int(torch.randint(0, 2**62, (), generator=gen(0)).item())  # base seed from the generator
    for wid in (0, 1):
        first = next(s for s in samples if s[1] == wid)
        assert first[3] == base + wid  # seed = base + worker id
        random.seed(base + wid)
        assert first[4] == random.random()
        torch.manual_seed(base + wid)
        assert first[6] == torch.rand(1).item()
    # numpy is seeded with PyTorch's _generate_state(base_seed, worker_id); these
    # states were produced by PyTorch's implementation
    from ferrotorch.utils.data._worker import _numpy_seed
    assert _numpy_seed(0, 0).tolist() == [2968811710, 3677149159, 745650761, 2884920346]
    assert _numpy_seed(123456789012345, 3).tolist() == [3999280408, 2418223825, 1775828080, 3641838301]
    np.random.seed(_numpy_seed(base, 1))
    assert next(s for s in samples if s[1] == 1)[5] == np.random.rand()

    tagged = [s for b in DataLoader(Tagged(6), batch_size=3, num_workers=2, worker_init_fn=tag_worker,
                                    collate_fn=list) for s in b]
    assert [(s[1], s[3]) for s in tagged] == [(0, 100)] * 3 + [(1, 101)] * 3
    assert len({s[2] for s in tagged} | {os.getpid()}) == 3  # two worker processes


def test_worker_exception_propagates_with_traceback():
    with pytest.raises(ValueError) as exc:
        list(DataLoader(Failing(8), batch_size=2, num_workers=2))
    msg = str(exc.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback (most recent call last):")
    assert "in __getitem__" in msg and 'raise ValueError(f"bad sample {i}")' in msg and msg.rstrip().endswith(
        "ValueError: bad sample 5")
    with pytest.raises(KeyError) as exc:  # KeyError's message is not repr()-quoted
        list(DataLoader(MissingKey(4), batch_size=1, num_workers=2))
    assert str(exc.value).startswith("Caught KeyError in DataLoader worker process 0.\nOriginal Traceback")
    # a batch that cannot be pickled is an error in the main process, not a lost result
    with pytest.raises(Exception, match="in DataLoader worker process 0") as exc:
        list(DataLoader(Unpicklable(2), batch_size=None, num_workers=1))
    assert "pickle" in str(exc.value).lower()


def test_worker_killed_raises_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly") as exc:
        list(DataLoader(Killer(8), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 5
    assert "is killed by signal" in str(exc.value.__cause__)
    assert multiprocessing.active_children() == []  # the dead worker is reaped at once, the other shut down


def test_timeout():
    loader = DataLoader(Slow(4, 3.0), batch_size=1, num_workers=2, timeout=0.3)
    it = iter(loader)
    assert next(it).tolist() == [0] and next(it).tolist() == [1]
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        next(it)
    assert 0.25 < time.monotonic() - start < 2
    del it


def test_persistent_workers_across_epochs():
    loader = DataLoader(Counting(6), batch_size=2, num_workers=2, persistent_workers=True, collate_fn=list)
    e1 = [s for b in loader for s in b]
    e2 = [s for b in loader for s in b]
    assert [s[0] for s in e1] == [s[0] for s in e2] == list(range(6))
    assert {s[1] for s in e1} == {s[1] for s in e2} and len({s[1] for s in e1}) == 2  # same processes
    # each copy kept counting: batches 0 and 2 go to worker 0, batch 1 to worker 1
    assert [s[2] for s in e1] == [1, 2, 1, 2, 3, 4] and [s[2] for s in e2] == [5, 6, 3, 4, 7, 8]
    # an abandoned epoch: the next one drops its prefetched results and starts over
    it = iter(loader)
    assert [s[0] for s in next(it)] == [0, 1]
    assert [s[0] for s in (x for b in loader for x in b)] == list(range(6))
    assert len(multiprocessing.active_children()) == 2
    loader._iterator._shutdown_workers()
    assert multiprocessing.active_children() == []
    assert [s[0] for b in loader for s in b] == list(range(6))  # a stopped pool is replaced


def test_iterable_dataset_with_workers():
    # without sharding every worker yields the whole stream
    dup = [b.tolist() for b in DataLoader(Stream(0, 4), batch_size=2, num_workers=2)]
    assert dup == [[0, 1], [0, 1], [2, 3], [2, 3]]
    # sharded by get_worker_info: worker 0 has 0..4, worker 1 has 5..9; batches alternate
    got = [b.tolist() for b in DataLoader(Stream(0, 10, shard=True), batch_size=2, num_workers=2)]
    assert got == [[0, 1], [5, 6], [2, 3], [7, 8], [4], [9]]
    got = [b.tolist() for b in DataLoader(Stream(0, 10, shard=True), batch_size=2, num_workers=2, drop_last=True)]
    assert got == [[0, 1], [5, 6], [2, 3], [7, 8]]
    persistent = DataLoader(Stream(0, 6, shard=True), batch_size=2, num_workers=2, persistent_workers=True)
    assert [rows(persistent) for _ in range(2)] == [[[0, 1], [3, 4], [2], [5]]] * 2
    persistent._iterator._shutdown_workers()


def test_out_of_order_delivery():
    got = list(DataLoader(Slow(6, 0.5), batch_size=None, num_workers=2, in_order=False))
    assert sorted(got) == list(range(6)) and got.index(2) > 2  # the slow sample does not hold the rest back


def test_spawn_context_runs_threaded_kernels():
    # Parent has used the kernel thread pool; spawned workers start clean.
    torch.ones(300, 300).add(1).sum()
    got = [b for b in DataLoader(BigOp(2), batch_size=None, num_workers=2, multiprocessing_context="spawn")]
    assert got == [90000.0, 180000.0]


def test_interpreter_exit_with_live_workers():
    script = textwrap.dedent("""
        import ferrotorch as torch
        from ferrotorch.utils.data import DataLoader, TensorDataset
        ds = TensorDataset(torch.arange(40))
        keep = DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=True)
        it1 = iter(keep); next(it1)
        it2 = iter(DataLoader(ds, batch_size=2, num_workers=2)); next(it2)
        print("ok")
    """)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"))
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    assert out.stderr == ""
    assert time.monotonic() - start < 15


class _BigOpDataset(Dataset):
    """Each item runs ops big enough to use the kernel thread pool."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        x = torch.ones(600, 600) + i
        return (x @ x).sum() / 600


def test_forked_workers_run_parallel_sized_kernels():
    # the parent has used the thread pool, then forks: workers must not wait on threads they lack
    (torch.ones(1000, 1000) + 1).sum()
    loader = DataLoader(_BigOpDataset(), batch_size=2, num_workers=2, timeout=60)
    got = torch.cat(list(loader)).tolist()
    assert got == [360000.0 * (1 + i) ** 2 for i in range(4)]
