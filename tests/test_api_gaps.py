"""Python-composed API gaps: comparisons, new_* factories, random fills and
sampling, pointwise/matrix/index composites, lgamma/digamma and torch.linalg
(numpy float64 references, gradcheck in float64, PyTorch's error types)."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from devices import host, raises_out_of_range
from ferrotorch.autograd import gradcheck, gradgradcheck

# The whole suite runs once per device: factories create tensors there.
pytestmark = pytest.mark.usefixtures("default_device")

NAN, INF = float("nan"), float("inf")


def T(a, dtype=torch.float64, requires_grad=False):
    t = torch.tensor(host(a).tolist(), dtype=dtype)
    return t.requires_grad_() if requires_grad else t


def A(t):
    return np.array(t.tolist(), dtype=np.float64).reshape(tuple(t.shape))


def close(t, ref, atol=1e-9, rtol=1e-7):
    np.testing.assert_allclose(A(t), host(ref, dtype=np.float64), atol=atol, rtol=rtol)


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


# ---- pointwise composites ---------------------------------------------------------------

def test_addcmul_addcdiv(rng):
    x, a, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4)), rng.standard_normal((3, 1)) + 3
    close(torch.addcmul(T(x), T(a), T(b), value=0.5), x + 0.5 * a * b)
    close(torch.addcdiv(T(x), T(a), T(b), value=-2), x - 2 * a / b)
    close(T(x).addcmul(T(a), T(b)), x + a * b)
    assert torch.addcmul(torch.tensor([1, 2]), torch.tensor([1, 2]), torch.tensor([3, 4]), value=2).tolist() == [7, 18]
    # PyTorch casts value to the integral computation type
    assert torch.addcmul(torch.tensor([1, 2]), torch.tensor([1, 2]), torch.tensor([3, 4]), value=0.5).tolist() == [1, 2]
    r = torch.addcmul(torch.tensor([1.0, 2.0]), T([1.0, 2.0]), torch.tensor(3), value=2)
    assert r.dtype == torch.float64 and r.tolist() == [7.0, 14.0]
    close(torch.addcdiv(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]), torch.tensor([3, 4])), [4 / 3, 2.5],
          atol=1e-6)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        torch.addcdiv(torch.tensor([1.0, 2.0]), torch.tensor([1, 2]), torch.tensor([3, 4]))
    with pytest.raises(NotImplementedError, match="addcmul_cpu_out"):
        torch.addcmul(torch.tensor([True]), torch.tensor([True]), torch.tensor([True]))
    out = torch.empty(3, 4, dtype=torch.float64)
    assert torch.addcmul(T(x), T(a), T(b), out=out) is out
    close(out, x + a * b)


def test_addcmul_addcdiv_gradcheck(rng):
    x, a, b = (T(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (3,), (2, 1)))
    assert gradcheck(lambda x, a, b: torch.addcmul(x, a, b, value=0.7), (x, a, b))
    assert gradcheck(lambda x, a, b: torch.addcdiv(x, a, b + 3, value=-1.3), (x, a, b))


def test_inplace_composites(rng):
    x, a, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 4)) + 3
    t = T(x)
    assert t.addcmul_(T(a), T(b), value=2) is t
    close(t, x + 2 * a * b)
    t = T(x)
    close(t.addcdiv_(T(a), T(b)), x + a / b)
    t = T(x)
    close(t.lerp_(T(b), 0.25), x + 0.25 * (b - x))
    t = T(x)
    close(t.lerp_(T(b), T(a)), x + a * (b - x))
    m1, m2 = rng.standard_normal((3, 5)), rng.standard_normal((5, 4))
    t = T(x)
    close(t.addmm_(T(m1), T(m2), beta=0.5, alpha=2), 0.5 * x + 2 * m1 @ m2)
    t = T([1.0, NAN, INF, -INF])
    assert t.nan_to_num_(0.5, 9.0, -9.0).tolist() == [1.0, 0.5, 9.0, -9.0]
    assert torch.nan_to_num_(T([NAN]), 2.0).tolist() == [2.0]
    with pytest.raises(RuntimeError, match=r"output with shape \[1\] doesn't match the broadcast shape \[3\]"):
        torch.zeros(1).lerp_(torch.ones(3), 0.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.tensor([1, 2]).addcmul_(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        T(x, requires_grad=True).addcmul_(T(a), T(b))


def test_inplace_composites_autograd(rng):
    # the op reads a clone, so writing into self does not invalidate saved tensors
    x0, w0 = rng.standard_normal(4), rng.standard_normal(4)
    x, w, e = T(x0, requires_grad=True), T(w0, requires_grad=True), T(np.ones(4), requires_grad=True)
    y = x * 1
    y.lerp_(e, w)
    assert y.grad_fn is not None
    y.sum().backward()
    close(x.grad, 1 - w0)
    close(w.grad, 1 - x0)
    close(e.grad, w0)

    def f(x, a, b):
        y = x * 2
        return y.addcmul_(a, b, value=3).addcdiv_(a, b + 4)
    ins = tuple(T(rng.standard_normal(3), requires_grad=True) for _ in range(3))
    assert gradcheck(f, ins)
    m = T(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradcheck(lambda x, m: (x * 1).addmm_(m, m, beta=0.5), (T(rng.standard_normal((2, 2)), requires_grad=True), m))


def test_xlogy():
    x = T([0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 2.0])
    y = T([0.0, 5.0, 0.0, NAN, NAN, 4.0, -1.0])
    r = A(torch.xlogy(x, y))
    assert r[0] == 0 and r[1] == 0 and r[2] == -INF and np.isnan(r[3]) and np.isnan(r[4]) and np.isnan(r[6])
    assert r[5] == pytest.approx(3 * math.log(4))
    close(torch.xlogy(2, T([3.0, 4.0])), 2 * np.log([3.0, 4.0]))
    r = torch.xlogy(torch.tensor([3, 4]), 2)
    assert r.dtype == torch.float32
    close(r, [3 * math.log(2), 4 * math.log(2)], atol=1e-6)
    assert torch.xlogy(torch.tensor([3, 4]), T([2.0, 3.0])).dtype == torch.float64
    assert torch.tensor([2.0]).xlogy(torch.tensor([True])).tolist() == [0.0]
    t = T([0.0, 2.0])
    assert t.xlogy_(T([0.0, 3.0])) is t
    close(t, [0.0, 2 * math.log(3)])
    assert torch.xlogy_(T([1.0]), T([math.e])).tolist() == [1.0]
    with pytest.raises(TypeError):
        torch.xlogy(2, 3)
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.tensor([1, 2]).xlogy_(2)


def test_xlogy_gradients():
    x, y = T([0.5, 2.0, -1.5], requires_grad=True), T([0.3, 4.0, 2.5], requires_grad=True)
    assert gradcheck(torch.xlogy, (x, y))
    assert gradgradcheck(torch.xlogy, (x, y))
    # PyTorch's formula: zero gradients where x == 0, even at y == 0 (no NaN)
    x, y = T([0.0, 0.0], requires_grad=True), T([0.0, 2.0], requires_grad=True)
    torch.xlogy(x, y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [0.0, 0.0]


def test_logit():
    p = np.array([0.0, 0.1, 0.25, 0.5, 0.9, 1.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.log(p / (1 - p))
    close(torch.logit(T(p)), ref)
    q = np.clip(p, 0.2, 0.8)
    close(torch.logit(T(p), eps=0.2), np.log(q / (1 - q)))
    close(torch.logit(T([0.2]), eps=-1), [math.log(0.25)])  # eps < 0 means no clamping
    close(torch.logit(torch.tensor([0.2]), eps=0.7), [math.log(0.7 / 0.3)], atol=1e-6)  # lo checked first
    assert torch.logit(torch.tensor([0, 1])).tolist() == [-INF, INF]
    assert torch.logit(T([0.5])).dtype == torch.float64
    t = T([0.25])
    assert t.logit_() is t and t.tolist() == [pytest.approx(math.log(1 / 3))]
    x = T([0.2, 0.5, 0.95, 0.05], requires_grad=True)
    torch.logit(x, 0.1).sum().backward()
    close(x.grad, [1 / (0.2 * 0.8), 4.0, 0.0, 0.0])  # zero outside [eps, 1 - eps]
    assert gradcheck(lambda x: torch.logit(x), (T([0.2, 0.6, 0.9], requires_grad=True),))
    assert gradcheck(lambda x: torch.logit(x, 0.1), (T([0.2, 0.6, 0.85], requires_grad=True),))


# ---- lgamma / digamma -------------------------------------------------------------------

def test_lgamma_matches_math(rng):
    xs = np.concatenate([np.linspace(-20.3, 40.0, 301), [0.5, 1.0, 2.0, 3.0, 1e-8, 9.999, 10.0, 1e5, 1e250]])
    ref = np.array([math.lgamma(v) for v in xs])
    close(torch.lgamma(T(xs)), ref, atol=1e-12, rtol=1e-13)
    r = A(torch.lgamma(T([0.0, -0.0, -1.0, -7.0, INF, -INF, NAN])))
    assert np.all(r[:6] == INF) and np.isnan(r[6])
    f = torch.lgamma(torch.tensor([0.5, 3.0, -2.5]))
    assert f.dtype == torch.float32
    close(f, [math.lgamma(0.5), math.log(2), math.lgamma(-2.5)], atol=1e-6)
    assert torch.lgamma(torch.tensor([1, 4])).dtype == torch.float32
    t = T([5.0])
    assert t.lgamma_() is t and t.tolist() == [pytest.approx(math.log(24))]


def test_digamma_values():
    euler = 0.5772156649015329
    harmonic = [sum(1 / k for k in range(1, n)) for n in range(1, 30)]
    close(torch.digamma(T(np.arange(1.0, 30.0))), np.array(harmonic) - euler, atol=1e-13)
    # half integers: digamma(n + 1/2) = -euler - 2 ln 2 + sum_{k<=n} 2 / (2k - 1)
    half = [-euler - 2 * math.log(2) + sum(2 / (2 * k - 1) for k in range(1, n + 1)) for n in range(12)]
    close(torch.digamma(T(np.arange(12) + 0.5)), half, atol=1e-13)
    # reflection: digamma(1 - x) - digamma(x) = pi / tan(pi x)
    x = np.array([-3.7, -1.25, -0.5, 0.3])
    close(torch.digamma(T(1 - x)) - torch.digamma(T(x)), np.pi / np.tan(np.pi * x), atol=1e-11)
    r = A(torch.digamma(T([0.0, -0.0, -1.0, -4.0, INF, -INF])))
    assert r[0] == -INF and r[1] == INF and np.isnan(r[2]) and np.isnan(r[3]) and r[4] == INF and np.isnan(r[5])
    assert torch.digamma(torch.tensor([1.0])).dtype == torch.float32
    t = T([1.0])
    assert t.digamma_() is t and t.tolist() == [pytest.approx(-euler)]


def test_lgamma_digamma_gradients():
    x = T([-2.7, -0.4, 0.3, 1.0, 2.5, 14.2], requires_grad=True)
    assert gradcheck(torch.lgamma, (x,))
    assert gradcheck(torch.digamma, (x,))
    assert gradgradcheck(torch.lgamma, (x,))
    g, = torch.autograd.grad(torch.lgamma(x).sum(), x)
    close(g, A(torch.digamma(x.detach())), atol=1e-12)


# ---- matrix composites ------------------------------------------------------------------

def test_baddbmm(rng):
    inp, b1, b2 = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    close(torch.baddbmm(T(inp), T(b1), T(b2)), inp + b1 @ b2)
    close(torch.baddbmm(T(inp[0, 0]), T(b1), T(b2), beta=0.5, alpha=-2), 0.5 * inp[0, 0] - 2 * b1 @ b2)
    nan_in = torch.full((2, 3, 5), NAN, dtype=torch.float64)
    close(torch.baddbmm(nan_in, T(b1), T(b2), beta=0), b1 @ b2)  # beta=0 ignores input (even NaN)
    t = T(inp)
    assert t.baddbmm_(T(b1), T(b2), alpha=3) is t
    close(t, inp + 3 * b1 @ b2)
    int_args = (torch.ones(1, 2, 2, dtype=torch.int64), torch.ones(1, 2, 3, dtype=torch.int64),
                torch.ones(1, 3, 2, dtype=torch.int64))
    if torch.get_default_device().type == "cpu":
        ints = torch.baddbmm(*int_args, beta=2)
        assert ints.dtype == torch.int64 and ints.tolist() == [[[5, 5], [5, 5]]]
    else:  # cuBLAS has no integer GEMM; PyTorch's CUDA error
        with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
            torch.baddbmm(*int_args, beta=2)
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        torch.baddbmm(torch.zeros(3, 5), torch.ones(3, 4), T(b2))
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[2, 5\]."):
        torch.baddbmm(T(inp), T(b1), torch.ones(2, 5, 5, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="Input dtypes must be the same, got: input float, batch1: double"):
        torch.baddbmm(torch.zeros(2, 3, 5), T(b1), T(b2))
    with pytest.raises(RuntimeError, match="The expanded size"):
        torch.baddbmm(torch.zeros(2, 3, dtype=torch.float64), T(b1), T(b2))
    ins = tuple(T(v, requires_grad=True) for v in (inp[:, :1], b1, b2))
    assert gradcheck(lambda i, a, b: torch.baddbmm(i, a, b, beta=0.7, alpha=1.3), ins)


def test_mv_diag_trace(rng):
    m, v = rng.standard_normal((3, 4)), rng.standard_normal(4)
    close(torch.mv(T(m), T(v)), m @ v)
    close(T(m).mv(T(v)), m @ v)
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(3\), mat \(3x4\), vec \(3\)"):
        torch.mv(T(m), T(v[:3]))
    for k in (-2, -1, 0, 1, 3):
        close(torch.diag(T(v), k), np.diag(v, k))
        close(torch.diag(T(m), k), np.diag(m, k))
    assert torch.diag(torch.tensor([1, 2]), 1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    assert torch.diag(T(m), 5).shape == (0,)
    d = torch.diag(T(m))
    d[0] = 100.0
    assert A(T(m))[0, 0] != 100.0  # 2-D -> 1-D is a copy
    with pytest.raises(RuntimeError, match=r"diag\(\): Supports 1D or 2D tensors. Got 0D"):
        torch.diag(torch.tensor(1.0))
    with pytest.raises(RuntimeError, match="Got 3D"):
        torch.diag(torch.ones(2, 2, 2))
    assert gradcheck(lambda x: torch.diag(x, 1), (T(v, requires_grad=True),))
    assert gradcheck(lambda x: torch.diag(x, -1), (T(m, requires_grad=True),))
    close(torch.trace(T(m)), np.trace(m))
    r = torch.trace(torch.tensor([[1, 2], [3, 4]], dtype=torch.int32))
    assert r.dtype == torch.int64 and r.item() == 5
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        torch.trace(T(v))
    with pytest.raises(NotImplementedError, match="\"trace\" not implemented for 'Bool'"):
        torch.trace(torch.ones(2, 2, dtype=torch.bool))
    assert gradcheck(torch.trace, (T(m, requires_grad=True),))


def test_kron(rng):
    for sa, sb in (((2,), (3,)), ((2, 3), (4, 1)), ((2,), (2, 3)), ((2, 1, 3), (3, 2)), ((), (3,))):
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        close(torch.kron(T(a), T(b)), np.kron(a, b))
    assert torch.kron(torch.tensor([1, 2]), torch.tensor([[1, 2], [3, 4]])).tolist() == [[1, 2, 2, 4], [3, 4, 6, 8]]
    assert torch.kron(torch.tensor([1, 2]), torch.tensor([1.5])).dtype == torch.float32
    a, b = T(rng.standard_normal((2, 2)), requires_grad=True), T(rng.standard_normal((3,)), requires_grad=True)
    assert gradcheck(torch.kron, (a, b))


def test_dist_and_count_nonzero(rng):
    x, y = rng.standard_normal(5), rng.standard_normal((3, 1))
    d = x - y
    for p, ref in ((2, np.sqrt((d ** 2).sum())), (1, np.abs(d).sum()), (3.5, (np.abs(d) ** 3.5).sum() ** (1 / 3.5)),
                   (INF, np.abs(d).max()), (0, np.count_nonzero(d))):
        close(torch.dist(T(x), T(y), p), ref)
    close(T(x).dist(T(y)), np.sqrt((d ** 2).sum()))
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        torch.dist(T(x), 3)
    with pytest.raises(NotImplementedError, match="norm\\(\\): input dtype should be either floating point or complex. Got Long"):
        torch.dist(torch.tensor([1, 2]), torch.tensor([0, 1]))
    assert gradcheck(lambda a, b: torch.dist(a, b, 3), (T(x, requires_grad=True), T(y, requires_grad=True)))
    m = np.array([[0, 1.5, 0], [2, 0, 0], [NAN, 0, 3]])
    assert torch.count_nonzero(T(m)).item() == 4
    assert torch.count_nonzero(T(m), dim=0).tolist() == [2, 1, 1]
    assert torch.count_nonzero(T(m), (0, 1)).item() == 4
    assert T(m).count_nonzero(1).tolist() == [1, 1, 2]
    assert torch.count_nonzero(torch.tensor([True, False, True])).dtype == torch.int64
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        torch.count_nonzero(T(m), (0, 0))


def _cdist_ref(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(float)
    if p == INF:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


def test_cdist(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    for p in (2.0, 1.0, 0.5, 3.0, 0, INF):
        close(torch.cdist(T(a), T(b), p), _cdist_ref(a, b, p), atol=1e-9)
    a, b = rng.standard_normal((2, 1, 4, 3)), rng.standard_normal((3, 5, 3))
    r = torch.cdist(T(a), T(b))
    assert r.shape == (2, 3, 4, 5)
    close(r, _cdist_ref(a, b, 2))
    assert torch.cdist(torch.zeros(2, 0), torch.zeros(3, 0)).tolist() == [[0.0] * 3] * 2
    with pytest.raises(RuntimeError, match="cdist only supports at least 2D tensors, X1 got: 1D"):
        torch.cdist(T([1.0, 2.0]), T([[1.0, 2.0]]))
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns. X1: 2 X2: 3"):
        torch.cdist(T([[1.0, 2.0]]), T([[1.0, 2.0, 3.0]]))
    with pytest.raises(RuntimeError, match="cdist only supports non-negative p values"):
        torch.cdist(T(a), T(b), -1)
    with pytest.raises(RuntimeError, match="cdist only supports floating-point dtypes, X1 got: Long"):
        torch.cdist(torch.tensor([[1, 2]]), torch.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        torch.cdist(torch.tensor([[1.0, 2.0]]), T([[1.0, 2.0]]))
    x1, x2 = T(rng.standard_normal((2, 3, 2)), requires_grad=True), T(rng.standard_normal((2, 4, 2)), requires_grad=True)
    for p in (2.0, 1.0, 3.0):
        assert gradcheck(lambda u, v: torch.cdist(u, v, p), (x1, x2))
    # PyTorch's subgradient: zero distance has zero gradient
    x = T([[1.0, 2.0]], requires_grad=True)
    torch.cdist(x, T([[1.0, 2.0]])).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]]
    with pytest.raises(ValueError, match="x is not a valid value for compute_mode"):
        torch.cdist(T(a), T(b), compute_mode="x")


def test_cdist_matmul_route(rng):
    # p=2 with more than 25 rows uses |a|^2 + |b|^2 - 2ab in one matmul, as PyTorch
    a, b = rng.standard_normal((2, 30, 4)), rng.standard_normal((1, 6, 4))
    ref = _cdist_ref(a, b, 2)
    close(torch.cdist(T(a), T(b)), ref, atol=1e-10)
    close(torch.cdist(T(a[0, :3]), T(b[0]), compute_mode="use_mm_for_euclid_dist"), ref[0, :3], atol=1e-10)
    close(torch.cdist(T(a), T(b), compute_mode="donot_use_mm_for_euclid_dist"), ref, atol=1e-12)
    x1, x2 = T(a, requires_grad=True), T(b, requires_grad=True)
    assert gradcheck(torch.cdist, (x1, x2))


# ---- index composites -------------------------------------------------------------------

def test_bincount(rng):
    x = rng.integers(0, 7, 50)
    assert torch.bincount(torch.tensor(x.tolist())).tolist() == np.bincount(x).tolist()
    assert torch.bincount(torch.tensor(x.tolist()), minlength=10).tolist() == np.bincount(x, minlength=10).tolist()
    w = rng.standard_normal(50)
    r = torch.bincount(torch.tensor(x.tolist()), T(w))
    assert r.dtype == torch.float64
    close(r, np.bincount(x, w))
    r = torch.bincount(torch.tensor([1, 1, 3]), torch.tensor([0.5, 1.0, 2.0]))
    assert r.dtype == torch.float32 and r.tolist() == [0.0, 1.5, 0.0, 2.0]
    assert torch.bincount(torch.tensor([1, 1]), torch.tensor([1, 2])).dtype == torch.float64  # non-float weights
    assert torch.bincount(torch.tensor([1, 1, 3], dtype=torch.uint8)).tolist() == [0, 2, 0, 1]
    assert torch.bincount(torch.tensor([], dtype=torch.int64), minlength=3).tolist() == [0, 0, 0]
    assert torch.tensor([2, 0]).bincount().tolist() == [1, 0, 1]
    with pytest.raises(RuntimeError, match="minlength should be >= 0"):
        torch.bincount(torch.tensor([1]), minlength=-1)
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs."):
        torch.bincount(torch.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs."):
        torch.bincount(torch.tensor([[1]]))
    with pytest.raises(NotImplementedError, match="\"bincount_cpu\" not implemented for 'Float'"):
        torch.bincount(torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="weights should be 1-d and have the same length as input"):
        torch.bincount(torch.tensor([1, 2]), T([1.0]))


def test_searchsorted_matches_numpy(rng):
    seq = np.sort(rng.integers(0, 20, 30)).astype(float)
    vals = rng.integers(-2, 23, (4, 6)).astype(float)
    for side in ("left", "right"):
        ref = np.searchsorted(seq, vals, side=side)
        assert torch.searchsorted(T(seq), T(vals), side=side).tolist() == ref.tolist()
        assert torch.searchsorted(T(seq), T(vals), right=side == "right").tolist() == ref.tolist()
    # batched: one sorted row per row of values
    seqs = np.sort(rng.standard_normal((3, 2, 9)), -1)
    vals = rng.standard_normal((3, 2, 5))
    r = torch.searchsorted(T(seqs), T(vals))
    ref = np.array([[np.searchsorted(seqs[i, j], vals[i, j]) for j in range(2)] for i in range(3)])
    assert r.shape == (3, 2, 5) and r.tolist() == ref.tolist()
    # sizes 0..9 exercise every binary-search depth
    for m in range(10):
        s = np.arange(m, dtype=float)
        v = np.arange(-1, m + 1, 0.5)
        assert torch.searchsorted(T(s), T(v), right=True).tolist() == np.searchsorted(s, v, "right").tolist()


def test_searchsorted_details():
    t = torch.tensor
    r = torch.searchsorted(t([1, 3, 5, 7]), 4)
    assert r.shape == () and r.item() == 2 and r.dtype == torch.int64
    assert torch.searchsorted(t([1, 3, 5, 7]), t([3, 6, 9]), out_int32=True).dtype == torch.int32
    assert torch.searchsorted(t([1, 2]), 1.5).item() == 1
    # scalars and 0-d values compare in the boundaries' dtype, dimensioned values promote
    assert torch.searchsorted(t([0.7]), 0.7).item() == 0
    assert torch.searchsorted(t([0.7]), t(0.7, dtype=torch.float64)).item() == 0
    assert torch.searchsorted(t([0.7]), t([0.7], dtype=torch.float64)).tolist() == [1]
    # NaNs land where PyTorch's binary search puts them
    assert torch.searchsorted(t([1.0, 2.0, NAN]), t([1.5, NAN, 0.0])).tolist() == [1, 3, 0]
    assert torch.searchsorted(t([1.0, NAN]), t([0.0]), right=True).tolist() == [2]
    assert torch.searchsorted(t([3, 1, 2]), t([2]), sorter=t([1, 2, 0])).tolist() == [1]
    assert torch.searchsorted(t([]), t([3, 6])).tolist() == [0, 0]
    out = torch.empty(3, dtype=torch.int64)
    assert torch.searchsorted(t([1, 3, 5, 7]), t([3, 6, 9]), out=out) is out and out.tolist() == [1, 3, 4]
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites, got side of left while right was True"):
        torch.searchsorted(t([1]), t([1]), side="left", right=True)
    with pytest.raises(RuntimeError, match="side can only be 'left' or 'right' but got middle"):
        torch.searchsorted(t([1]), t([1]), side="middle")
    with pytest.raises(RuntimeError, match=r"boundaries tensor \[2, 4\] and input value tensor \[1, 3\]"):
        torch.searchsorted(torch.zeros(2, 4), torch.zeros(1, 3))
    with pytest.raises(RuntimeError, match=r"input value can be a scalar only when boundaries tensor dimension is 1"):
        torch.searchsorted(torch.zeros(2, 4), 3)
    with pytest.raises(RuntimeError, match="boundaries tensor should have positive dimension"):
        torch.searchsorted(t(3), t([3]))
    with pytest.raises(RuntimeError, match="boundary and sorter must have the same size"):
        torch.searchsorted(t([1, 3, 5]), t([3]), sorter=t([0, 1]))


def test_bucketize():
    t = torch.tensor
    b = t([1, 3, 5, 7])
    assert torch.bucketize(t([3, 6, 9]), b).tolist() == [1, 3, 4]
    assert torch.bucketize(t([3, 6, 9]), b, right=True).tolist() == [2, 3, 4]
    assert torch.bucketize(t([[0, 8], [5, 1]]), b).tolist() == [[0, 4], [2, 0]]
    assert torch.bucketize(3, b).item() == 1
    assert torch.bucketize(t([3]), b, out_int32=True).dtype == torch.int32
    with pytest.raises(RuntimeError, match=r"boundaries tensor must be 1 dimension, but got dim\(2\)"):
        torch.bucketize(t([3]), t([[1, 3]]))


def test_fill_diagonal_():
    def ref(shape, v, wrap=False):
        a = np.zeros(shape)
        np.fill_diagonal(a, v, wrap=wrap)
        return a
    for shape, wrap in (((3, 4), False), ((4, 3), False), ((7, 3), True), ((7, 3), False), ((3, 7), True),
                        ((3, 3, 3), False)):
        z = torch.zeros(*shape, dtype=torch.float64)
        assert z.fill_diagonal_(5, wrap=wrap) is z
        close(z, ref(shape, 5, wrap))
    assert torch.zeros(3, 3, dtype=torch.int64).fill_diagonal_(2.7).tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]
    base = torch.zeros(3, 3, dtype=torch.float64)
    base.t()[:, :2].fill_diagonal_(2)  # through a strided view
    close(base, [[2, 0, 0], [0, 2, 0], [0, 0, 0]])
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        torch.zeros(2).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        torch.zeros(2, 2, 3).fill_diagonal_(1)
    a = T(np.ones((2, 2)), requires_grad=True)
    y = a * 3
    y.fill_diagonal_(0)
    y.backward(T([[1.0, 2.0], [3.0, 4.0]]))
    close(a.grad, [[0, 6], [9, 0]])


def test_index_fill(rng):
    x = rng.standard_normal((3, 4))
    r = torch.index_fill(T(x), 1, torch.tensor([0, 2]), -1.0)
    ref = x.copy()
    ref[:, [0, 2]] = -1
    close(r, ref)
    close(A(T(x)), x)  # out of place
    t = T(x)
    assert t.index_fill_(0, torch.tensor([-1]), 7.0) is t
    ref = x.copy()
    ref[-1] = 7
    close(t, ref)
    assert torch.zeros(3, 3, dtype=torch.int64).index_fill(0, torch.tensor([1]), 2.5)[1].tolist() == [2, 2, 2]
    assert torch.zeros(3).index_fill(0, torch.tensor(1), torch.tensor(2.0)).tolist() == [0.0, 2.0, 0.0]
    assert torch.zeros(()).index_fill(0, torch.tensor([0]), 5.0).tolist() == 5.0
    with raises_out_of_range("index 3 is out of bounds for dimension 0 with size 3"):
        torch.zeros(3, 3).index_fill(0, torch.tensor([3]), -1)
    with pytest.raises(IndexError, match=r"index_fill_\(\): Expected dtype int64 for index."):
        torch.zeros(3, 3).index_fill(0, torch.tensor([0], dtype=torch.int32), -1)
    with pytest.raises(RuntimeError, match="Index has to be a vector/scalar"):
        torch.zeros(3, 3).index_fill(0, torch.tensor([[0]]), -1)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor, but got tensor with 1 dimension"):
        torch.zeros(3, 3).index_fill(0, torch.tensor([1]), torch.tensor([2.0]))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        torch.zeros(3, 3).index_fill(2, torch.tensor([1]), 2)
    # gradients: zero at filled positions; a tensor value gets the sum over unique positions
    a, v = T([1.0, 2.0, 3.0], requires_grad=True), T(5.0, requires_grad=True)
    a.index_fill(0, torch.tensor([1, 1]), v).backward(T([1.0, 2.0, 3.0]))
    assert a.grad.tolist() == [1.0, 0.0, 3.0] and v.grad.item() == 2.0


def test_index_copy(rng):
    x, src = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    r = torch.index_copy(T(x), 0, torch.tensor([3, 0]), T(src))
    ref = x.copy()
    ref[[3, 0]] = src
    close(r, ref)
    t = T(x)
    assert t.index_copy_(1, torch.tensor([1]), T(src.T[:, :1].repeat(2, 0)[:4])) is t
    assert torch.zeros(3).index_copy(0, torch.tensor([1]), torch.tensor(5.0)).tolist() == [0.0, 5.0, 0.0]
    assert torch.zeros(()).index_copy(0, torch.tensor([0]), torch.tensor(5.0)).item() == 5.0
    z = torch.zeros(3, 2)
    with pytest.raises(IndexError, match=r"Number of indices \(2\) should be equal to source.size\(dim\) \(1\)"):
        z.index_copy(0, torch.tensor([2, 0]), torch.tensor([[1.0, 2.0]]))
    with pytest.raises(IndexError, match=r"index_copy_\(\): index 5 is out of bounds for dimension 0 with size 3"):
        z.index_copy(0, torch.tensor([5]), torch.tensor([[1.0, 2.0]]))
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        z.index_copy(0, torch.tensor([-1]), torch.tensor([[1.0, 2.0]]))
    with pytest.raises(RuntimeError, match=r"self and source expected to have the same dtype, but got \(self\) Float and \(source\) Long"):
        z.index_copy(0, torch.tensor([1]), torch.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Float"):
        z.index_copy(0, torch.tensor([1.0]), torch.tensor([[1.0, 2.0]]))
    with pytest.raises(RuntimeError, match="Destination slice shape: 2 4 at dimension 0 and source slice shape: 3 4"):
        torch.zeros(3, 2, 4).index_copy(0, torch.tensor([1]), torch.ones(1, 3, 4))
    with pytest.raises(IndexError, match=r"Index should have dimension 1 or 0 \(got 2\)"):
        z.index_copy(0, torch.tensor([[1]]), torch.tensor([[1.0, 2.0]]))
    with pytest.raises(IndexError, match=r"When source is scalar, index should have one element \(got 2\)"):
        z.index_copy(0, torch.tensor([1, 2]), torch.tensor(1.0))
    xs, ss = T(x, requires_grad=True), T(src, requires_grad=True)
    assert gradcheck(lambda a, b: torch.index_copy(a, 0, torch.tensor([3, 0]), b), (xs, ss))


def test_masked_scatter(rng):
    x = rng.standard_normal((2, 3))
    mask = np.array([[True, False, True], [False, True, True]])
    src = np.arange(1.0, 7.0)
    ref = x.copy()
    ref[mask] = src[:mask.sum()]
    close(torch.masked_scatter(T(x), torch.tensor(mask.tolist()), T(src)), ref)
    t = T(x)
    assert t.masked_scatter_(torch.tensor(mask.tolist()), T(src.reshape(2, 3))) is t
    close(t, ref)
    # the mask broadcasts (out of place both broadcast)
    r = torch.zeros(2, 3).masked_scatter(torch.tensor([True, False, True]), torch.tensor([1.0, 2, 3, 4]))
    assert r.tolist() == [[1.0, 0.0, 2.0], [3.0, 0.0, 4.0]]
    r = torch.zeros(3).masked_scatter(torch.tensor([[True, False, True], [True, True, True]]), torch.arange(1.0, 7.0))
    assert r.tolist() == [[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]]
    assert torch.zeros(2).masked_scatter(torch.tensor([False, False]), torch.zeros(0)).tolist() == [0.0, 0.0]
    # CPU: checked at once; CUDA: a device assert, raised at the next sync (.item())
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones in mask|device-side assert"):
        torch.zeros(2, 3).masked_scatter(torch.tensor([True, False, True]), torch.tensor([1.0, 2, 3])).sum().item()
    with pytest.raises(RuntimeError, match="masked_scatter_ only supports boolean masks, but got mask with dtype Long"):
        torch.zeros(3).masked_scatter(torch.tensor([1, 0, 1]), torch.ones(3))
    with pytest.raises(RuntimeError, match="expected self and source to have same dtypes but gotFloat and Long"):
        torch.zeros(3).masked_scatter(torch.tensor([True, False, True]), torch.tensor([1, 2]))
    with pytest.raises(RuntimeError):
        torch.zeros(3).masked_scatter_(torch.tensor([[True, False, True]] * 2), torch.ones(6))
    m = torch.tensor(mask.tolist())
    assert gradcheck(lambda a, b: torch.masked_scatter(a, m, b),
                     (T(x, requires_grad=True), T(src, requires_grad=True)))


# ---- apply_ / map_ / memory placement ---------------------------------------------------

def test_apply_and_map():
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.apply_(lambda v: v * v + 1) is t
    assert t.tolist() == [[2.0, 5.0], [10.0, 17.0]]
    assert torch.tensor([1, 2]).apply_(lambda v: v * 1.5).tolist() == [1, 3]  # cast back to the dtype
    assert torch.tensor([True, False]).apply_(lambda v: not v).tolist() == [False, True]
    seen = []
    torch.tensor([1, 2]).apply_(lambda v: seen.append(type(v)) or v)
    assert seen == [int, int]
    v = torch.zeros(2, 3)[:, 1]
    v.apply_(lambda x: 7.0)
    assert v.tolist() == [7.0, 7.0]
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
        torch.ones(2, requires_grad=True).apply_(lambda x: x)
    with pytest.raises(TypeError):
        torch.tensor([1.0]).apply_(lambda x: "a")
    m = torch.tensor([[1.0, 2.0]])
    assert m.map_(torch.tensor([3.0]), lambda a, b: a * b) is m and m.tolist() == [[3.0, 6.0]]
    assert torch.tensor([1.0, 2.0]).map_(torch.tensor([3.0, 4.0]), lambda a, b: a - b).tolist() == [-2.0, -2.0]
    with pytest.raises(TypeError, match=r"map_: expected torch.FloatTensor for 'other' \(got torch.LongTensor\)"):
        torch.tensor([1.0, 2.0]).map_(torch.tensor([3, 4]), lambda a, b: a)
    with pytest.raises(RuntimeError, match=r"Can't call map_\(\) on Variable that requires grad"):
        torch.ones(2, requires_grad=True).map_(torch.ones(2), lambda a, b: a)


def test_pinned_and_shared_memory_queries():
    t = torch.zeros(2)
    assert t.is_pinned() is False and t.is_shared() is False
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available."):
        t.pin_memory()
    with pytest.raises(NotImplementedError, match="shared memory"):
        t.share_memory_()


# ---- torch.linalg ---------------------------------------------------------------------

L = torch.linalg


def wellcond(rng, *shape):
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def spd(rng, *shape):
    x = rng.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def test_inv_det_slogdet_values(rng):
    a = wellcond(rng, 2, 3, 4, 4)
    close(L.inv(T(a)), np.linalg.inv(a))
    close(torch.inverse(T(a[0, 0])), np.linalg.inv(a[0, 0]))
    close(T(a[0, 0]).inverse(), np.linalg.inv(a[0, 0]))
    f = L.inv(torch.tensor(a[0, 0].tolist()))
    assert f.dtype == torch.float32
    close(f, np.linalg.inv(a[0, 0]), atol=1e-5, rtol=1e-4)
    d = L.det(T(a))
    assert d.shape == (2, 3)
    close(d, np.linalg.det(a))
    assert torch.det(T(a[0, 0])).shape == ()
    close(T(a[0, 0]).det(), np.linalg.det(a[0, 0]))
    assert L.det(torch.zeros(0, 0)).item() == 1.0
    sign, logabs = L.slogdet(T(a))
    rs, rl = np.linalg.slogdet(a)
    close(sign, rs)
    close(logabs, rl)
    r = torch.slogdet(T([[1.0, 2.0], [3.0, 4.0]]))
    assert r.sign.item() == -1.0 and r.logabsdet.item() == pytest.approx(math.log(2))
    assert math.isnan(torch.logdet(T([[1.0, 2.0], [3.0, 4.0]])).item())
    assert torch.logdet(T([[1.0, 2.0], [2.0, 4.0]])).item() == -INF
    close(T([[2.0, 1.0], [1.0, 3.0]]).logdet(), math.log(5))


def test_inv_det_errors():
    sing = T([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(L.LinAlgError, match="linalg.inv: The diagonal element 2 is zero, the inversion could not be "
                                            "completed because the input matrix is singular."):
        L.inv(sing)
    with pytest.raises(RuntimeError, match=r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero"):
        L.inv(torch.stack([torch.eye(2, dtype=torch.float64), sing]))
    with pytest.raises(RuntimeError, match="linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"):
        L.inv(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="linalg.inv: The input tensor A must have at least 2 dimensions."):
        L.inv(torch.ones(3))
    with pytest.raises(NotImplementedError, match="linalg.inv: Expected a floating point or complex tensor as input. Got Long"):
        L.inv(torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(NotImplementedError, match="linalg.inv: Low precision dtypes not supported. Got Half"):
        L.inv(torch.eye(2, dtype=torch.float16))
    with pytest.raises(RuntimeError, match="linalg.det: A must be batches of square matrices"):
        L.det(torch.ones(2, 3))
    assert issubclass(L.LinAlgError, RuntimeError)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN propagates without numpy warnings
        assert math.isnan(L.det(T([[2.0, 0.0], [0.0, NAN]])).item())
        assert np.isnan(A(L.inv(T([[2.0, 0.0], [0.0, NAN]])))).all()


def test_inv_det_slogdet_gradients(rng):
    a = T(wellcond(rng, 2, 3, 3), requires_grad=True)
    assert gradcheck(L.inv, (a,))
    assert gradgradcheck(L.inv, (a,))
    assert gradcheck(L.det, (a,))
    assert gradgradcheck(L.det, (a,))
    assert gradcheck(lambda x: L.slogdet(x).logabsdet, (a,))
    assert gradcheck(torch.logdet, (T(spd(rng, 3, 3), requires_grad=True),))
    # singular matrices: the gradient of det is the cofactor matrix
    s = T([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    L.det(s).backward()
    close(s.grad, [[4.0, -2.0], [-2.0, 1.0]])
    r1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])  # rank 1: every cofactor is 0
    s = T(r1, requires_grad=True)
    L.det(s).backward()
    close(s.grad, np.zeros((3, 3)), atol=1e-12)
    r2 = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])  # rank 2
    cof = np.array([[np.linalg.det(np.delete(np.delete(r2, i, 0), j, 1)) * (-1) ** (i + j) for j in range(3)]
                    for i in range(3)])
    s = T(r2, requires_grad=True)
    L.det(s).backward()
    close(s.grad, cof, atol=1e-10)


def test_solve(rng):
    a, b = wellcond(rng, 3, 3), rng.standard_normal((3, 2))
    close(L.solve(T(a), T(b)), np.linalg.solve(a, b))
    v = rng.standard_normal(3)
    x = L.solve(T(a), T(v))
    assert x.shape == (3,)
    close(x, np.linalg.solve(a, v))
    ab = wellcond(rng, 4, 3, 3)
    x = L.solve(T(ab), T(v))  # vector broadcast over the batch
    assert x.shape == (4, 3)
    close(x, np.linalg.solve(ab, np.broadcast_to(v, (4, 3))[..., None])[..., 0])
    x = L.solve(T(ab), T(rng.standard_normal((4, 3))))  # batch of vectors
    assert x.shape == (4, 3)
    B = rng.standard_normal((2, 1, 3, 5))
    close(L.solve(T(ab), T(B)), np.linalg.solve(ab, B))
    bl = rng.standard_normal((2, 3))
    close(L.solve(T(a), T(bl), left=False), bl @ np.linalg.inv(a))
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation AX = B \(2x2 and 3x1\)"):
        L.solve(torch.eye(2), torch.ones(3))
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation XA = B \(2x2 and 2x3\)"):
        L.solve(torch.eye(2), torch.ones(2, 3), left=False)
    with pytest.raises(RuntimeError, match="Expected A and B to have the same dtype, but found A of type Float and B of type Double"):
        L.solve(torch.eye(2), T([1.0, 2.0]))
    with pytest.raises(L.LinAlgError, match="torch.linalg.solve: The solver failed because the input matrix is singular."):
        L.solve(T([[1.0, 2.0], [2.0, 4.0]]), T([1.0, 2.0]))
    ins = (T(ab, requires_grad=True), T(rng.standard_normal((3, 2)), requires_grad=True))
    assert gradcheck(L.solve, ins)
    assert gradgradcheck(L.solve, ins)
    assert gradcheck(lambda A_, B_: L.solve(A_, B_, left=False), (T(a, requires_grad=True), T(bl, requires_grad=True)))


def test_cholesky(rng):
    s = spd(rng, 2, 4, 4)
    Lc = L.cholesky(T(s))
    close(Lc, np.linalg.cholesky(s))
    U = L.cholesky(T(s), upper=True)
    close(U, np.swapaxes(np.linalg.cholesky(s), -1, -2))
    # only one triangle is read: the lower one by default, the upper one for upper=True
    junk = s.copy()
    junk[..., 0, 3] = 100.0
    close(L.cholesky(T(junk)), np.linalg.cholesky(s))
    junk = s.copy()
    junk[..., 3, 0] = 100.0
    close(L.cholesky(T(junk), upper=True), np.swapaxes(np.linalg.cholesky(s), -1, -2))
    with pytest.raises(L.LinAlgError, match=r"linalg.cholesky: The factorization could not be completed because the "
                                            r"input is not positive-definite \(the leading minor of order 2 is not "
                                            r"positive-definite\)."):
        L.cholesky(T([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\): The factorization could not be completed .* order 3"):
        L.cholesky(T([np.eye(3), np.diag([1.0, 2.0, -1.0])]))
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 1 by 2 matrices"):
        L.cholesky(T([[1.0, 2.0]]))

    def f(x, upper):  # symmetric positive-definite inputs
        return L.cholesky(x.matmul(x.mT) + 3 * torch.eye(3, dtype=torch.float64), upper=upper)
    x = T(rng.standard_normal((2, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x: f(x, False), (x,))
    assert gradcheck(lambda x: f(x, True), (x,))
    assert gradgradcheck(lambda x: f(x, False), (x,))


def test_qr(rng):
    for shape in ((5, 3), (3, 3), (2, 3, 5)):
        a = rng.standard_normal(shape)
        Q, R = L.qr(T(a))
        k = min(shape[-2:])
        assert Q.shape == shape[:-1] + (k,) and R.shape == shape[:-2] + (k, shape[-1])
        close(Q.matmul(R), a)
        close(Q.mT.matmul(Q), np.broadcast_to(np.eye(k), Q.shape[:-2] + (k, k)), atol=1e-12)
        close(R, np.triu(A(R)))
        close(np.abs(A(R)), np.abs(np.linalg.qr(a)[1]))
    a = rng.standard_normal((5, 3))
    Q, R = L.qr(T(a), mode="complete")
    assert Q.shape == (5, 5) and R.shape == (5, 3)
    close(Q.matmul(R), a)
    Q, R = L.qr(T(a), mode="r")
    assert Q.shape == (0,) and R.shape == (3, 3)
    with pytest.raises(RuntimeError, match="qr received unrecognized mode 'x' but expected one of 'reduced'"):
        L.qr(T(a), mode="x")
    for shape in ((4, 3), (3, 3), (2, 4)):
        x = T(rng.standard_normal(shape), requires_grad=True)
        assert gradcheck(lambda x: L.qr(x), (x,))
    x = T(rng.standard_normal((3, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        L.qr(x, mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match="which is not computed when mode='r'"):
        L.qr(x, mode="r").R.sum().backward()


def test_svd(rng):
    for shape in ((5, 3), (3, 5), (2, 4, 4)):
        a = rng.standard_normal(shape)
        U, S, Vh = L.svd(T(a), full_matrices=False)
        close(U.matmul(S.unsqueeze(-1) * Vh), a)
        close(S, np.linalg.svd(a, compute_uv=False))
        close(L.svdvals(T(a)), np.linalg.svd(a, compute_uv=False))
    a = rng.standard_normal((5, 3))
    U, S, Vh = L.svd(T(a))
    assert U.shape == (5, 5) and S.shape == (3,) and Vh.shape == (3, 3)
    close(U.mT.matmul(U), np.eye(5), atol=1e-12)
    u, s, v = torch.svd(T(a))  # torch.svd returns V, reduced by default
    assert u.shape == (5, 3) and v.shape == (3, 3)
    close(u.matmul(s.unsqueeze(-1) * v.mT), a)
    u, s, v = T(a).svd(some=False)
    assert u.shape == (5, 5)
    u, s, v = torch.svd(T(a), compute_uv=False)
    assert A(u).tolist() == np.zeros((5, 5)).tolist() and v.shape == (3, 3)

    # gauge-invariant functions of the factors: S, U U^T-like products, squared entries
    def f(x):
        U, S, Vh = L.svd(x, full_matrices=False)
        return torch.cat([S, (U * U).reshape(-1), (Vh * Vh).reshape(-1), U.matmul(Vh).reshape(-1)])
    for shape in ((4, 3), (3, 3), (3, 4)):
        x = T(rng.standard_normal(shape), requires_grad=True)
        assert gradcheck(f, (x,))
        assert gradcheck(L.svdvals, (x,))
    x = T(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x: L.svd(x).S, (x,))  # full_matrices=True, only S used


def test_eigh(rng):
    s = spd(rng, 2, 4, 4) - 4 * np.eye(4)
    w, V = L.eigh(T(s))
    close(w, np.linalg.eigvalsh(s))
    close(V.matmul(w.unsqueeze(-1) * V.mT), s)
    close(L.eigvalsh(T(s)), np.linalg.eigvalsh(s))
    low = np.tril(s)
    close(L.eigh(T(low)).eigenvalues, np.linalg.eigvalsh(s))  # reads the lower triangle
    close(L.eigvalsh(T(np.swapaxes(low, -1, -2)), UPLO="U"), np.linalg.eigvalsh(s))
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got X"):
        L.eigh(T(s), UPLO="X")

    def f(x):  # symmetric input, sign-invariant functions of the eigenvectors
        w, V = L.eigh(x + x.mT)
        return torch.cat([w.reshape(-1), (V * V).reshape(-1)])
    x = T(rng.standard_normal((2, 3, 3)), requires_grad=True)
    assert gradcheck(f, (x,))
    assert gradcheck(lambda x: L.eigvalsh(x + x.mT), (x,))


def test_matrix_norm_and_norm(rng):
    a = rng.standard_normal((2, 3, 4))
    for ord in ("fro", "nuc", 1, -1, 2, -2, INF, -INF):
        close(L.matrix_norm(T(a), ord), np.linalg.norm(a, ord, axis=(-2, -1)))
        close(L.matrix_norm(T(a), ord, dim=(0, 2)), np.linalg.norm(a, ord, axis=(0, 2)))
        r = L.matrix_norm(T(a), ord, dim=(2, 0), keepdim=True)
        assert r.shape == (1, 3, 1)
        close(r, np.linalg.norm(a, ord, axis=(2, 0), keepdims=True))
        close(L.norm(T(a[0]), ord), np.linalg.norm(a[0], ord))
    close(L.norm(T(a)), np.linalg.norm(a.reshape(-1)))
    close(L.norm(T(a[0, 0]), 3), np.linalg.norm(a[0, 0], 3))
    close(L.norm(T(a), "fro", dim=(1, 2)), np.linalg.norm(a, "fro", axis=(1, 2)))
    close(L.norm(T(a), 1, dim=1), np.linalg.norm(a, 1, axis=1))
    assert L.matrix_norm(torch.ones(2, 2), dtype=torch.float64).dtype == torch.float64
    assert L.matrix_norm(torch.zeros(2, 0), 2).item() == 0.0 and L.matrix_norm(torch.zeros(2, 0)).item() == 0.0
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported."):
        L.matrix_norm(T(a), 3)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: The input tensor A must have at least 2 dimensions."):
        L.matrix_norm(T([1.0, 2.0]))
    with pytest.raises(NotImplementedError, match="Expected a floating point or complex tensor as input. Got Long"):
        L.matrix_norm(torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."):
        L.norm(T(a), 2)
    x = T(a[0], requires_grad=True)
    for ord in ("fro", "nuc", 1, INF, 2, -2):
        assert gradcheck(lambda x: L.matrix_norm(x, ord), (x,))
