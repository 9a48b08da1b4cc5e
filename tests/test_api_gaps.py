"""Python-composed API gaps: comparisons, new_* factories, random fills and
sampling, pointwise/matrix/index composites, lgamma/digamma and torch.linalg
(numpy float64 references, gradcheck in float64, PyTorch's error types)."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck, gradgradcheck

NAN, INF = float("nan"), float("inf")


def T(a, dtype=torch.float64, requires_grad=False):
    t = torch.tensor(np.asarray(a).tolist(), dtype=dtype)
    return t.requires_grad_() if requires_grad else t


def A(t):
    return np.array(t.tolist(), dtype=np.float64).reshape(tuple(t.shape))


def close(t, ref, atol=1e-9, rtol=1e-7):
    np.testing.assert_allclose(A(t), np.asarray(ref, dtype=np.float64), atol=atol, rtol=rtol)


# ---- isclose / allclose / equal ---------------------------------------------------

def test_isclose_matches_numpy_and_rules():
    a = T([1.0, NAN, 1e10, INF, INF, 0.0, 1.0])
    b = T([1.00001, NAN, 1.0001e10, INF, -INF, 1e-9, 1.1])
    assert torch.isclose(a, b).tolist() == np.isclose(A(a), A(b)).tolist()
    assert torch.isclose(a, b, equal_nan=True).tolist() == np.isclose(A(a), A(b), equal_nan=True).tolist()
    assert torch.isclose(a, b, rtol=0.2).tolist() == np.isclose(A(a), A(b), rtol=0.2).tolist()
    # broadcasting, integer and bool inputs
    r = torch.isclose(T([[1.0], [2.0]]), T([1.0, 2.0, 2.5]), atol=0.5)
    assert r.shape == (2, 3) and r.tolist() == [[True, False, False], [False, True, True]]
    assert torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3]), atol=1).tolist() == [True, True]
    assert torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])).tolist() == [True, False]
    assert torch.isclose(torch.tensor([True, False]), torch.tensor([True, True])).tolist() == [True, False]
    assert T([1.0]).isclose(T([1.0 + 1e-9])).tolist() == [True]


def test_isclose_errors():
    with pytest.raises(RuntimeError, match="Long did not match Float"):
        torch.isclose(torch.tensor([1]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Double did not match Float"):
        torch.allclose(T([1.0]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got -1"):
        torch.isclose(T([1.0]), T([1.0]), rtol=-1)
    with pytest.raises(RuntimeError, match="atol must be greater than or equal to zero"):
        torch.isclose(T([1.0]), T([1.0]), atol=-1)
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        torch.isclose(T([1.0]), 1.0)


def test_allclose_and_equal_return_python_bools():
    assert torch.allclose(T([1.0, 2.0]), T([1.0, 2.0 + 1e-7])) is True
    assert torch.allclose(T([1.0, 2.0]), T([1.0, 3.0])) is False
    assert torch.allclose(T([1.0]), T([1.0, 1.0])) is True  # broadcasts
    assert torch.allclose(T([NAN]), T([NAN])) is False
    assert torch.allclose(T([NAN]), T([NAN]), equal_nan=True) is True
    assert T([1.0]).allclose(T([1.5]), atol=0.5) is True
    assert torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2])) is True
    assert torch.equal(torch.tensor([1]), torch.tensor([1.0])) is True  # values compared after promotion
    assert torch.equal(torch.tensor([1, 2]), torch.tensor([[1, 2]])) is False  # shapes differ
    x = T([NAN])
    assert torch.equal(x, x) is False
    assert torch.equal(torch.zeros(0), torch.zeros(0, 3)) is False
    assert torch.zeros(2, 3).equal(torch.zeros(2, 3)) is True
    with pytest.raises(TypeError):
        torch.equal(T([1.0]), 1.0)


# ---- new_* factories --------------------------------------------------------------

def test_new_factories_take_dtype_from_self():
    x = T([1.0, 2.0])
    for r in (x.new_zeros(2, 3), x.new_zeros((2, 3)), x.new_zeros([2, 3]), x.new_zeros(torch.Size([2, 3])),
              x.new_zeros(size=(2, 3))):
        assert r.dtype == torch.float64 and r.shape == (2, 3) and not r.requires_grad
        assert A(r).tolist() == np.zeros((2, 3)).tolist()
    assert x.new_ones(2).tolist() == [1.0, 1.0] and x.new_ones(2).dtype == torch.float64
    o = x.new_ones((2, 3), dtype=torch.int32)
    assert o.dtype == torch.int32 and o.tolist() == [[1] * 3] * 2
    assert x.new_empty([4]).shape == (4,) and x.new_empty(2, 2).dtype == torch.float64
    assert x.new_zeros([]).shape == ()
    f = x.new_full((2,), 3)
    assert f.dtype == torch.float64 and f.tolist() == [3.0, 3.0]
    assert torch.tensor([1, 2]).new_full((2,), 2.5).tolist() == [2, 2]
    r = torch.tensor([1.0]).new_ones(2, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2]).new_ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="size"):
        x.new_zeros()


def test_new_tensor_copies_and_casts_to_self_dtype():
    assert torch.tensor([1, 2]).new_tensor([1.5]).tolist() == [1]
    r = torch.tensor([1.0]).new_tensor([1, 2])
    assert r.dtype == torch.float32 and r.tolist() == [1.0, 2.0]
    assert T([1.0]).new_tensor(3.5, requires_grad=True).requires_grad
    assert T([1.0]).new_tensor([1], dtype=torch.int16).dtype == torch.int16
    src = torch.tensor([1, 2])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        c = T([1.0]).new_tensor(src)
    assert c.dtype == torch.float64 and c.tolist() == [1.0, 2.0]
    c[0] = 7
    assert src.tolist() == [1, 2]  # a copy, not a view


# ---- in-place random fills ----------------------------------------------------------

N = 20000


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def within(values, mean, sd, n=N, k=5.0):
    """The sample mean lies within k standard errors of the true mean."""
    assert abs(float(np.mean(values)) - mean) < k * sd / math.sqrt(n), (float(np.mean(values)), mean)


def test_fills_are_reproducible_with_a_seeded_generator():
    for fill in (lambda t, g: t.uniform_(-1, 2, generator=g), lambda t, g: t.normal_(1, 2, generator=g),
                 lambda t, g: t.bernoulli_(0.3, generator=g), lambda t, g: t.random_(10, generator=g),
                 lambda t, g: t.exponential_(2, generator=g), lambda t, g: t.geometric_(0.3, generator=g),
                 lambda t, g: t.log_normal_(generator=g), lambda t, g: t.cauchy_(generator=g)):
        a = fill(torch.empty(50, dtype=torch.float64), gen(7)).tolist()
        b = fill(torch.empty(50, dtype=torch.float64), gen(7)).tolist()
        c = fill(torch.empty(50, dtype=torch.float64), gen(8)).tolist()
        assert a == b and a != c
    torch.manual_seed(3)
    a = torch.empty(20).uniform_().tolist()
    torch.manual_seed(3)
    assert torch.empty(20).uniform_().tolist() == a


def test_uniform_and_normal_statistics():
    x = torch.empty(N, dtype=torch.float64)
    u = A(x.uniform_(-1, 3, generator=gen(1)))
    assert u.min() >= -1 and u.max() < 3
    within(u, 1.0, 4 / math.sqrt(12))
    within((u - 1) ** 2, 16 / 12, 1.0)  # variance of U(-1, 3)
    u0 = A(torch.empty(N).uniform_(generator=gen(2)))
    assert 0 <= u0.min() and u0.max() < 1
    z = A(x.normal_(2, 0.5, generator=gen(3)))
    within(z, 2.0, 0.5)
    assert abs(z.std() - 0.5) < 0.02
    r = torch.zeros(2, 3)
    assert r.uniform_() is r and r.normal_() is r  # in place, returns self
    assert A(torch.zeros(5).normal_(4, 0)).tolist() == [4.0] * 5


def test_discrete_fills_statistics():
    b = A(torch.empty(N).bernoulli_(0.3, generator=gen(1)))
    assert set(np.unique(b)) <= {0.0, 1.0}
    within(b, 0.3, math.sqrt(0.21))
    p = T([0.0, 1.0, 0.25]).expand(N, 3)
    bt = A(torch.empty(N, 3).bernoulli_(p, generator=gen(2)))
    assert bt[:, 0].max() == 0 and bt[:, 1].min() == 1
    within(bt[:, 2], 0.25, math.sqrt(0.25 * 0.75))
    bi = torch.zeros(5, dtype=torch.int64).bernoulli_(1.0)
    assert bi.dtype == torch.int64 and bi.tolist() == [1] * 5
    assert torch.zeros(2, 3).bernoulli_(torch.ones(3)).tolist() == [[1.0] * 3] * 2  # p broadcasts
    g = A(torch.empty(N).geometric_(0.25, generator=gen(3)))
    assert g.min() >= 1 and np.all(g == np.round(g))
    within(g, 4.0, math.sqrt(0.75) / 0.25)
    gi = torch.zeros(100, dtype=torch.int64).geometric_(0.5, generator=gen(4))
    assert gi.dtype == torch.int64 and min(gi.tolist()) >= 1


def test_continuous_fills_statistics():
    e = A(torch.empty(N, dtype=torch.float64).exponential_(2.0, generator=gen(1)))
    assert e.min() >= 0
    within(e, 0.5, 0.5)
    ln = A(torch.empty(N, dtype=torch.float64).log_normal_(1.0, 0.5, generator=gen(2)))
    assert ln.min() > 0
    within(np.log(ln), 1.0, 0.5)
    c = A(torch.empty(N, dtype=torch.float64).cauchy_(3.0, 2.0, generator=gen(3)))
    q1, med, q3 = np.percentile(c, [25, 50, 75])  # quartiles of Cauchy(m, s) are m -+ s
    assert abs(med - 3) < 0.1 and abs(q1 - 1) < 0.15 and abs(q3 - 5) < 0.15


def test_random_ranges_and_dtypes():
    r = A(torch.empty(N, dtype=torch.float64).random_(10, generator=gen(1)))
    assert set(np.unique(r)) == set(range(10))
    within(r, 4.5, math.sqrt(99 / 12))
    r = torch.zeros(2000, dtype=torch.int32).random_(-3, 4, generator=gen(2))
    assert r.dtype == torch.int32 and set(r.tolist()) == set(range(-3, 4))
    r = torch.zeros(2000, dtype=torch.int8).random_(generator=gen(3)).tolist()
    assert 0 <= min(r) and max(r) <= 127 and max(r) > 100
    r = torch.zeros(2000, dtype=torch.uint8).random_(generator=gen(3)).tolist()
    assert 0 <= min(r) and max(r) <= 255 and max(r) > 200
    assert set(torch.zeros(100, dtype=torch.bool).random_(generator=gen(4)).tolist()) == {False, True}
    r = A(torch.zeros(1000).random_(generator=gen(5)))  # float32: [0, 2^24]
    assert r.min() >= 0 and r.max() <= 2 ** 24 and r.max() > 2 ** 23
    r = torch.zeros(1000, dtype=torch.int8).random_(120, None, generator=gen(6)).tolist()
    assert set(r) == set(range(120, 128))
    r = torch.zeros(1000, dtype=torch.int64).random_(generator=gen(7)).tolist()
    assert min(r) >= 0 and max(r) > 2 ** 62
    r = torch.zeros(1000, dtype=torch.int64).random_(-2 ** 63, None, generator=gen(8)).tolist()
    assert min(r) < -2 ** 62 and max(r) > 2 ** 62


def test_random_fill_errors():
    z = torch.zeros(3)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=1 > to=0"):
        z.uniform_(1, 0)
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        torch.zeros(3, dtype=torch.int64).uniform_()
    with pytest.raises(RuntimeError, match="from is out of bounds for float"):
        z.uniform_(-INF, 1)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        z.normal_(0, -1)
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        torch.zeros(3, dtype=torch.int64).normal_()
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"):
        z.bernoulli_(1.5)
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1 to be true"):
        z.bernoulli_(T([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="The expanded size"):
        z.bernoulli_(torch.ones(2))
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found lambda=0"):
        z.exponential_(0)
    with pytest.raises(RuntimeError, match="dtype must be a floating point but you specified Long"):
        torch.zeros(3, dtype=torch.int64).exponential_()
    with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\), but got p=1"):
        z.geometric_(1)
    with pytest.raises(RuntimeError, match="log_normal_ expects std > 0.0, but found std=0"):
        z.log_normal_(1, 0)
    with pytest.raises(NotImplementedError, match="log_normal_cpu"):
        torch.zeros(3, dtype=torch.int64).log_normal_()
    with pytest.raises(RuntimeError, match="cauchy_ expects sigma > 0.0, but found sigma=-1"):
        z.cauchy_(0, -1)
    with pytest.raises(RuntimeError, match="you specified long int"):
        torch.zeros(3, dtype=torch.int64).cauchy_()
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=2"):
        z.random_(5, 2)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        torch.zeros(3, dtype=torch.uint8).random_(0, 300)
    with pytest.raises(RuntimeError, match="from is out of bounds for signed char"):
        torch.zeros(3, dtype=torch.int8).random_(-200, None)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for c10::Half"):
        torch.zeros(3, dtype=torch.float16).random_(0, 70000)
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        z.random_(0, 2 ** 25)
    with pytest.raises(TypeError):
        z.random_(0, 2.5)


def test_random_fills_and_autograd():
    leaf = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.uniform_()
    with torch.no_grad():
        leaf.normal_()  # the usual nn.init pattern
    a = torch.ones(3, requires_grad=True)
    y = a * 2
    y.uniform_(generator=gen())
    assert y.requires_grad
    (y * 3).sum().backward()
    assert a.grad is None or a.grad.tolist() == [0.0] * 3  # the overwritten values carry no gradient


# ---- bernoulli / multinomial / poisson ----------------------------------------------

def test_bernoulli_function():
    p = T([0.0, 1.0, 0.5]).expand(N, 3)
    s = torch.bernoulli(p, generator=gen(1))
    assert s.dtype == torch.float64 and s.shape == (N, 3)
    s = A(s)
    assert s[:, 0].max() == 0 and s[:, 1].min() == 1
    within(s[:, 2], 0.5, 0.5)
    assert torch.bernoulli(torch.tensor([0.0, 1.0])).dtype == torch.float32
    r = torch.bernoulli(torch.zeros(4), 1.0)
    assert r.tolist() == [1.0] * 4
    assert torch.tensor([0.0, 1.0]).bernoulli().tolist() == [0.0, 1.0]
    x = torch.tensor([0.3, 0.6], requires_grad=True)
    y = torch.bernoulli(x)
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="Expected p_in >= 0"):
        torch.bernoulli(torch.tensor([0.5, 1.5]))
    with pytest.raises(NotImplementedError, match="bernoulli_tensor_cpu_p_"):
        torch.bernoulli(torch.tensor([0, 1]))


def test_multinomial_without_replacement_never_repeats():
    g = gen(2)
    for _ in range(20):
        s = torch.multinomial(T([0.1, 0.2, 0.3, 0.4, 0.5]), 5, generator=g).tolist()
        assert sorted(s) == [0, 1, 2, 3, 4]
    s = torch.multinomial(T([[1.0, 0.0, 3.0, 2.0], [0.0, 0.0, 1.0, 1.0]]), 3, generator=g)
    assert s.shape == (2, 3) and s.dtype == torch.int64
    assert len(set(s[0].tolist())) == 3 and set(s[1].tolist()[:2]) == {2, 3}
    # zero-probability categories come last, as PyTorch's exponential-race kernel
    assert torch.multinomial(T([0.0, 1.0, 0.0]), 2).tolist()[0] == 1
    # first draws follow the probabilities
    first = A(torch.multinomial(T([1.0, 3.0]).expand(4000, 2), 1, generator=gen(3)))
    within(first, 0.75, math.sqrt(0.75 * 0.25), n=4000)


def test_multinomial_with_replacement_frequencies():
    p = np.array([0.1, 0.0, 0.2, 0.7])
    s = A(torch.multinomial(T(p), N, replacement=True, generator=gen(4)))
    counts = np.bincount(s.astype(int), minlength=4) / N
    assert counts[1] == 0
    np.testing.assert_allclose(counts, p, atol=0.015)
    s = torch.multinomial(T([[1.0, 1.0], [0.0, 5.0]]), 7, True, generator=gen(5))
    assert s.shape == (2, 7) and set(s[1].tolist()) == {1}
    assert torch.multinomial(T([1.0, 2.0]), 4, True).shape == (4,)
    a = torch.multinomial(T([1.0, 2.0, 3.0]), 30, True, generator=gen(6)).tolist()
    assert a == torch.multinomial(T([1.0, 2.0, 3.0]), 30, True, generator=gen(6)).tolist()


def test_multinomial_errors():
    M = torch.multinomial
    with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
        M(torch.ones(2, 2, 2), 1)
    with pytest.raises(RuntimeError, match="multinomial only supports floating-point dtypes for input, got: Long"):
        M(torch.ones(3, dtype=torch.int64), 1)
    with pytest.raises(RuntimeError, match="cannot sample n_sample <= 0 samples"):
        M(torch.ones(3), 0)
    with pytest.raises(RuntimeError, match=r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"):
        M(torch.ones(3), 4)
    for bad in ([1.0, -1.0], [1.0, NAN], [1.0, INF]):
        with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
            M(T(bad), 1)
    with pytest.raises(RuntimeError, match=r"invalid multinomial distribution \(sum of probabilities <= 0\)"):
        M(T([[1.0, 1.0], [0.0, 0.0]]), 2, True)


def test_poisson():
    lam = T([0.0, 3.0, 30.0, 500.0]).expand(N // 4, 4)
    s = A(torch.poisson(lam, generator=gen(1)))
    assert np.all(s == np.round(s)) and s[:, 0].max() == 0 and s.min() >= 0
    n = s.shape[0]
    for j, l in ((1, 3.0), (2, 30.0), (3, 500.0)):
        within(s[:, j], l, math.sqrt(l), n=n)
        assert abs(s[:, j].var() / l - 1) < 0.1
    assert torch.poisson(torch.tensor([2.0])).dtype == torch.float32
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.poisson(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
        torch.poisson(T([1.0, -1.0]))
    with pytest.raises(NotImplementedError, match="poisson_cpu"):
        torch.poisson(torch.tensor([1, 2]))
