"""Learning-rate schedulers: lr (and momentum) sequences against the closed
forms in PyTorch's documentation and the cited papers, computed here; chaining,
state_dict round trips, the step-order warning and argument errors."""
import math
import warnings
from bisect import bisect_right

import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
from ferrotorch.optim import lr_scheduler as L

LRS = (0.1, 0.02)  # two param groups with different base lrs


def make_opt(lrs=LRS, cls=torch.optim.SGD, **kw):
    params = [nn.Parameter(torch.zeros(2)) for _ in lrs]
    return cls([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], **kw)


def run(opt, sched, n=30, step=None):
    """lrs in effect at each of n optimizer steps (the schedule's values at t = 0..n-1)."""
    seq = []
    for t in range(n):
        seq.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == seq[-1]
        opt.step()
        step(sched, t) if step else sched.step()
    return seq


def check(seq, closed_form, lrs=LRS, rel=1e-12):
    for t, got in enumerate(seq):
        want = [closed_form(lr0, t) for lr0 in lrs]
        assert got == pytest.approx(want, rel=rel, abs=1e-15), f"t={t}"


# ---- decay schedules: closed forms from the docs ------------------------------------------
def test_step_lr():
    opt = make_opt()
    check(run(opt, L.StepLR(opt, step_size=4, gamma=0.5)), lambda lr0, t: lr0 * 0.5 ** (t // 4))


def test_multistep_lr_repeated_milestone():
    opt = make_opt()
    ms = [3, 7, 7, 20]  # a repeated milestone decays twice
    check(run(opt, L.MultiStepLR(opt, ms, gamma=0.3)), lambda lr0, t: lr0 * 0.3 ** bisect_right(ms, t))


def test_constant_lr():
    opt = make_opt()
    check(run(opt, L.ConstantLR(opt, factor=0.25, total_iters=6)), lambda lr0, t: lr0 * (0.25 if t < 6 else 1.0))


def test_linear_lr():
    opt = make_opt()
    check(run(opt, L.LinearLR(opt, start_factor=0.1, end_factor=0.9, total_iters=11)),
          lambda lr0, t: lr0 * (0.1 + 0.8 * min(t, 11) / 11))


def test_linear_lr_hand_values():
    # the docs' example (lr=0.05, start_factor=0.05, total_iters=40); its listed values are one epoch late
    opt = make_opt(lrs=(0.05,))
    seq = run(opt, L.LinearLR(opt, start_factor=0.05, total_iters=40), n=4)
    assert [s[0] for s in seq] == pytest.approx([0.0025, 0.0036875, 0.004875, 0.0060625])


def test_exponential_lr():
    opt = make_opt()
    check(run(opt, L.ExponentialLR(opt, gamma=0.93)), lambda lr0, t: lr0 * 0.93 ** t)


def test_polynomial_lr():
    opt = make_opt()
    check(run(opt, L.PolynomialLR(opt, total_iters=13, power=2.0)),
          lambda lr0, t: lr0 * (1 - min(t, 13) / 13) ** 2)


def test_cosine_annealing_lr():
    # the recursive form traces eta_min + (lr0 - eta_min)(1 + cos(pi t / T_max)) / 2, also past T_max
    opt = make_opt()
    eta = 1e-3
    check(run(opt, L.CosineAnnealingLR(opt, T_max=9, eta_min=eta)),
          lambda lr0, t: eta + (lr0 - eta) * (1 + math.cos(math.pi * t / 9)) / 2, rel=1e-9)


def test_lambda_lr_per_group():
    opt = make_opt()
    fns = [lambda e: 1 / (e + 1), lambda e: 0.95 ** e]
    seq = run(opt, L.LambdaLR(opt, fns))
    for t, got in enumerate(seq):
        assert got == pytest.approx([LRS[0] / (t + 1), LRS[1] * 0.95 ** t], rel=1e-12)


def test_multiplicative_lr():
    opt = make_opt()
    f = lambda e: 0.9 if e % 2 else 1.05  # noqa: E731
    check(run(opt, L.MultiplicativeLR(opt, f)), lambda lr0, t: lr0 * math.prod(f(e) for e in range(1, t + 1)))


# ---- warm restarts -------------------------------------------------------------------------
def sgdr(lr0, eta, T_0, T_mult, epoch):
    """SGDR (Loshchilov & Hutter): find the current period T_i and the position T_cur in it."""
    T_i, start = T_0, 0
    while epoch >= start + T_i:
        start, T_i = start + T_i, T_i * T_mult
    return eta + (lr0 - eta) * (1 + math.cos(math.pi * (epoch - start) / T_i)) / 2


@pytest.mark.parametrize("T_0,T_mult,eta", [(5, 1, 0.0), (3, 2, 2e-3)])
def test_cosine_warm_restarts(T_0, T_mult, eta):
    opt = make_opt()
    check(run(opt, L.CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta)),
          lambda lr0, t: sgdr(lr0, eta, T_0, T_mult, t), rel=1e-9)


def test_cosine_warm_restarts_fractional_epochs():
    # the documented pattern: scheduler.step(epoch + i / iters) inside the batch loop
    opt = make_opt()
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=1e-3)
    for k in range(30):
        epoch = k * 0.37
        sched.step(epoch)
        want = [sgdr(lr0, 1e-3, 3, 2, epoch) for lr0 in LRS]
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(want, rel=1e-9)
        assert sched.last_epoch == math.floor(epoch)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


# ---- OneCycleLR -------------------------------------------------------------------------
def anneal(kind, start, end, pct):
    if kind == "cos":
        return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))
    return start + (end - start) * pct


def one_cycle(t, total, max_lr, pct=0.3, div=25.0, final_div=1e4, kind="cos", three=False, mom=(0.85, 0.95)):
    """(lr, momentum) at step t per PyTorch's OneCycleLR documentation: phase i ends at step e_i."""
    lo, hi = mom
    init = max_lr / div
    low = init / final_div
    if three:
        phases = [(pct * total - 1, init, max_lr, hi, lo), (2 * pct * total - 2, max_lr, init, lo, hi),
                  (total - 1, init, low, hi, hi)]
    else:
        phases = [(pct * total - 1, init, max_lr, hi, lo), (total - 1, max_lr, low, lo, hi)]
    start = 0.0
    for i, (end, l0, l1, m0, m1) in enumerate(phases):
        if t <= end or i == len(phases) - 1:
            p = (t - start) / (end - start)
            return anneal(kind, l0, l1, p), anneal(kind, m0, m1, p)
        start = end


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


@pytest.mark.parametrize("cls,kw", [(torch.optim.SGD, {"momentum": 0.9}), (torch.optim.Adam, {})])
def test_one_cycle_cos_with_momentum(cls, kw):
    opt = make_opt(cls=cls, **kw)
    sched = L.OneCycleLR(opt, max_lr=[1.0, 0.2], total_steps=30)
    for t in range(30):
        for g, m in zip(opt.param_groups, [1.0, 0.2]):
            lr, mom = one_cycle(t, 30, m)
            assert g["lr"] == pytest.approx(lr, rel=1e-12)
            assert momenta(opt) == pytest.approx([mom, mom], rel=1e-12)
        if cls is torch.optim.Adam:
            assert all(g["betas"][1] == 0.999 for g in opt.param_groups)  # beta2 is never touched
        opt.step()
        sched.step()
    # hand-checked landmarks: start max/div, peak max at pct*total - 1 = 8, end initial/final_div
    opt2 = make_opt(cls=cls, **kw)
    sched2 = L.OneCycleLR(opt2, max_lr=1.0, total_steps=30)
    opt2.step()
    assert sched2.get_last_lr()[0] == pytest.approx(0.04)
    for _ in range(8):
        sched2.step()
    assert sched2.get_last_lr()[0] == pytest.approx(1.0)
    for _ in range(21):
        sched2.step()
    assert sched2.get_last_lr()[0] == pytest.approx(0.04 / 1e4)


def test_one_cycle_three_phase_linear_epochs():
    opt = make_opt(momentum=0.9)
    sched = L.OneCycleLR(opt, max_lr=1.0, epochs=4, steps_per_epoch=8, pct_start=0.25, anneal_strategy="linear",
                         three_phase=True, base_momentum=0.8, max_momentum=0.9, div_factor=10.0,
                         final_div_factor=100.0)
    assert sched.total_steps == 32
    for t in range(32):
        lr, mom = one_cycle(t, 32, 1.0, pct=0.25, div=10.0, final_div=100.0, kind="linear", three=True,
                            mom=(0.8, 0.9))
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([lr, lr], rel=1e-12)
        assert momenta(opt) == pytest.approx([mom, mom], rel=1e-12)
        opt.step()
        sched.step()


def test_one_cycle_too_many_steps():
    opt = make_opt()
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False)
    opt.step()
    for _ in range(10):
        sched.step()
    with pytest.raises(ValueError, match="^Tried to step 11 times. The specified number of total steps is 10$"):
        sched.step()


def test_scheduled_lr_and_momentum_drive_the_update():
    # SGD with momentum under OneCycleLR; constant grad g: buf1 = g, buf2 = m1 * buf1 + g
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.5, momentum=0.5)
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lr0, m0 = one_cycle(0, 10, 1.0)
    lr1, m1 = one_cycle(1, 10, 1.0)
    assert (opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]) == pytest.approx((lr0, m0))
    for _ in range(2):
        p.grad = torch.ones(1)
        opt.step()
        sched.step()
    assert p.item() == pytest.approx(-lr0 - lr1 * (m1 + 1), rel=1e-6)


# ---- CyclicLR ------------------------------------------------------------------------------
def clr(t, base, top, step, scale):
    """Smith (2017), 'Cyclical Learning Rates', the triangular policy."""
    cycle = math.floor(1 + t / (2 * step))
    x = abs(t / step - 2 * cycle + 1)
    return base + (top - base) * max(0.0, 1 - x) * scale(cycle, t)


@pytest.mark.parametrize("mode,scale", [
    ("triangular", lambda c, t: 1.0),
    ("triangular2", lambda c, t: 1 / 2 ** (c - 1)),
    ("exp_range", lambda c, t: 0.97 ** t),
])
def test_cyclic_lr_modes(mode, scale):
    opt = make_opt(momentum=0.9)
    sched = L.CyclicLR(opt, base_lr=[0.01, 0.002], max_lr=[0.1, 0.05], step_size_up=4, mode=mode, gamma=0.97,
                       base_momentum=0.8, max_momentum=0.9)
    for t in range(30):
        for g, b, top in zip(opt.param_groups, [0.01, 0.002], [0.1, 0.05]):
            assert g["lr"] == pytest.approx(clr(t, b, top, 4, scale), rel=1e-12)
            # momentum moves inversely: max at base_lr, base at max_lr
            frac = (g["lr"] - b) / (top - b)
            assert g["momentum"] == pytest.approx(0.9 - 0.1 * frac, rel=1e-12)
        opt.step()
        sched.step()


def test_cyclic_lr_asymmetric_custom_scale_adam_betas():
    opt = make_opt(cls=torch.optim.Adam)
    sched = L.CyclicLR(opt, 0.01, 0.1, step_size_up=2, step_size_down=6, scale_fn=lambda x: 0.5 ** x,
                       scale_mode="iterations")
    for t in range(30):
        pos = t % 8
        up = pos / 2 if pos <= 2 else 1 - (pos - 2) / 6  # hand-drawn triangle: 2 steps up, 6 down
        assert opt.param_groups[0]["lr"] == pytest.approx(0.01 + 0.09 * up * 0.5 ** t, rel=1e-12, abs=1e-15)
        assert opt.param_groups[0]["betas"] == pytest.approx((0.9 - 0.1 * up * 0.5 ** t, 0.999), rel=1e-12)
        opt.step()
        sched.step()


def test_cyclic_momentum_needs_momentum():
    params = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with `cycle_momentum` option"):
        L.CyclicLR(torch.optim.Adagrad(params), 0.01, 0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        L.OneCycleLR(torch.optim.Adagrad(params), 0.1, total_steps=5)
    opt = torch.optim.Adagrad(params)
    sched = L.CyclicLR(opt, 0.01, 0.1, step_size_up=2, cycle_momentum=False)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.055])


# ---- ReduceLROnPlateau ---------------------------------------------------------------------
def test_reduce_on_plateau_min_rel_cooldown_min_lr():
    opt = make_opt()
    sched = L.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=[0.02, 0.005])
    metrics = [1.0, 0.9, 0.89995, 0.95, 0.91, 0.95, 0.96, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    # 0.89995 is not below 0.9 * (1 - 1e-4): a bad epoch. The 3rd bad epoch (patience 2)
    # halves lr; the next step is cooldown; then 3 more bad epochs halve again (lr0 floors at 0.02).
    want0 = [.1, .1, .1, .1, .05, .05, .05, .05, .05, .05, .025, .025, .025, .025, .02, .02]
    want1 = [.02, .02, .02, .02, .01, .01, .01, .01, .01, .01, .005, .005, .005, .005, .005, .005]
    for m, w0, w1 in zip(metrics, want0, want1):
        sched.step(m)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([w0, w1])
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    assert sched.best == 0.7 and sched.last_epoch == len(metrics)


def test_reduce_on_plateau_max_abs_eps():
    opt = make_opt(lrs=(1.0,))
    sched = L.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs",
                                min_lr=0.2, eps=0.15)
    # improvements need > best + 0.05 (1.04 is none); a reduction follows every 2nd bad epoch
    for m, want in [(1.0, 1.0), (1.04, 1.0), (1.03, 0.5), (1.2, 0.5), (1.2, 0.5), (1.2, 0.25)]:
        sched.step(torch.tensor(m))  # a 0-d tensor metric works too
        assert opt.param_groups[0]["lr"] == pytest.approx(want)
    # 0.25 -> max(0.125, min_lr 0.2) would change lr by 0.05 <= eps: skipped
    for _ in range(4):
        sched.step(0.0)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)


def test_reduce_on_plateau_tiny_change_skipped_by_eps():
    opt = make_opt(lrs=(1e-8,))
    sched = L.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    sched.step(1.0)
    assert opt.param_groups[0]["lr"] == 1e-8  # 1e-8 - 1e-9 < eps=1e-8: unchanged


# ---- composition ---------------------------------------------------------------------------
def test_sequential_lr_doc_example():
    # docs: ConstantLR(factor=0.1, total_iters=20) then ExponentialLR(0.9) from milestone 20
    opt = make_opt(lrs=(0.05,))
    sched = L.SequentialLR(opt, [L.ConstantLR(opt, factor=0.1, total_iters=20), L.ExponentialLR(opt, gamma=0.9)],
                           milestones=[20])
    check(run(opt, sched), lambda lr0, t: lr0 * (0.1 if t < 20 else 0.9 ** (t - 20)), lrs=(0.05,))


def test_sequential_lr_three_phases():
    opt = make_opt()
    sched = L.SequentialLR(opt, [L.LinearLR(opt, 0.2, total_iters=5), L.ExponentialLR(opt, 0.9),
                                 L.CosineAnnealingLR(opt, T_max=7)], milestones=[5, 15])

    def closed(lr0, t):
        if t < 5:
            return lr0 * (0.2 + 0.8 * t / 5)
        if t < 15:
            return lr0 * 0.9 ** (t - 5)
        return lr0 * (1 + math.cos(math.pi * (t - 15) / 7)) / 2  # each phase restarts from the base lr

    check(run(opt, sched), closed, rel=1e-9)


def test_chained_scheduler_doc_example():
    # the docs' ConstantLR(factor=0.1, total_iters=2) + ExponentialLR(0.9) at lr=1 (its listed values
    # are one epoch late): 0.1 * 0.9**t while t < 2, then 0.9**t
    opt = make_opt(lrs=(1.0,))
    sched = L.ChainedScheduler([L.ConstantLR(opt, factor=0.1, total_iters=2), L.ExponentialLR(opt, gamma=0.9)])
    seq = run(opt, sched, n=5)
    assert [s[0] for s in seq] == pytest.approx([0.1, 0.09, 0.81, 0.729, 0.6561])


def test_chained_schedulers_multiply():
    # chainable forms compose: each scheduler scales the lr the others left
    def closed(lr0, t):
        return lr0 * 0.95 ** t * 0.5 ** (t // 3) * (1 + math.cos(math.pi * t / 40)) / 2

    opt = make_opt()
    sched = L.ChainedScheduler([L.ExponentialLR(opt, 0.95), L.StepLR(opt, 3, 0.5), L.CosineAnnealingLR(opt, 40)])
    check(run(opt, sched), closed, rel=1e-9)
    # the same schedulers stepped by hand, without ChainedScheduler
    opt = make_opt()
    scheds = [L.ExponentialLR(opt, 0.95), L.StepLR(opt, 3, 0.5), L.CosineAnnealingLR(opt, 40)]
    check(run(opt, scheds[-1], step=lambda s, t: [x.step() for x in scheds]), closed, rel=1e-9)


def test_composition_errors():
    opt, other = make_opt(), make_opt()
    with pytest.raises(ValueError, match="^SequentialLR expects at least one scheduler, but got no scheduler.$"):
        L.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="^Sequential Schedulers expects number of schedulers provided to be one "
                                         "more than the number of milestone points, but got number of schedulers 1 "
                                         "and the number of milestones to be equal to 1$"):
        L.SequentialLR(opt, [L.StepLR(opt, 2)], [3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau` scheduler .* at index 1"):
        L.ChainedScheduler([L.StepLR(opt, 2), L.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(other, 2)], [3])
    with pytest.raises(TypeError, match="^ChainedScheduler at index 0 should have `optimizer` as its attribute.$"):
        L.ChainedScheduler([object()], optimizer=opt)
    with pytest.raises(ValueError, match="^ChainedScheduler expects at least one scheduler to be chained"):
        L.ChainedScheduler([])


# ---- state_dict ----------------------------------------------------------------------------
class Decay:
    """A callable object: its attributes are saved in LambdaLR's state_dict."""

    def __init__(self, f):
        self.f = f

    def __call__(self, epoch):
        return self.f ** epoch


BUILDERS = {
    "step": lambda o: L.StepLR(o, 4, 0.5),
    "cosine": lambda o: L.CosineAnnealingLR(o, 9, 1e-3),
    "warm_restarts": lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2),
    "lambda": lambda o: L.LambdaLR(o, [Decay(0.9), lambda e: 1 / (e + 1)]),
    "one_cycle": lambda o: L.OneCycleLR(o, [1.0, 0.5], total_steps=30),
    "cyclic": lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
    "sequential": lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.5, total_iters=4), L.ExponentialLR(o, 0.9)], [6]),
    "chained": lambda o: L.ChainedScheduler([L.ExponentialLR(o, 0.9), L.MultiStepLR(o, [5, 15])]),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_state_dict_round_trip_continues_sequence(name):
    build = BUILDERS[name]
    opt = make_opt(momentum=0.9)
    full = run(opt, build(opt), n=25)

    opt = make_opt(momentum=0.9)
    sched = build(opt)
    run(opt, sched, n=10)
    sd, opt_sd = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in sd
    opt2 = make_opt(momentum=0.9)
    sched2 = build(opt2)
    run(opt2, sched2, n=3)  # a different position, overwritten by the load
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sd)
    assert run(opt2, sched2, n=15) == full[10:]


def test_state_dict_round_trip_plateau():
    opt = make_opt()
    sched = L.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for m in [1.0, 1.0]:
        sched.step(m)
    sd = sched.state_dict()
    opt2 = make_opt()
    sched2 = L.ReduceLROnPlateau(opt2, mode="max")  # mode comes back from the state
    sched2.load_state_dict(sd)
    # restored: one bad epoch already counted, so the next step reduces; then cooldown, 2 more bad epochs
    for factor in [0.1, 0.1, 0.1, 0.01]:
        sched.step(1.0)
        sched2.step(1.0)
        assert sched2.get_last_lr() == sched.get_last_lr() == pytest.approx([factor * lr for lr in LRS])


def test_lambda_state_saves_only_callable_objects():
    opt = make_opt()
    sched = L.LambdaLR(opt, [Decay(0.9), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"f": 0.9}, None]
    assert set(sd) == {"base_lrs", "last_epoch", "_step_count", "_is_initial", "_get_lr_called_within_step",
                       "_last_lr", "lr_lambdas"}
    sd["lr_lambdas"][0]["f"] = 0.5
    sched2 = L.LambdaLR(make_opt(), [Decay(0.9), lambda e: 1.0])
    sched2.load_state_dict(sd)
    assert sched2.lr_lambdas[0].f == 0.5 and sd["lr_lambdas"] == [{"f": 0.5}, None]
    mult = L.MultiplicativeLR(make_opt(), Decay(0.8))
    assert mult.state_dict()["lr_lambdas"] == [{"f": 0.8}, {"f": 0.8}]


def test_cyclic_state_dict_drops_functions():
    sched = L.CyclicLR(make_opt(), 0.01, 0.1, scale_fn=lambda x: 1.0)
    sd = sched.state_dict()
    assert sd["_scale_fn_custom"] is None and "_scale_fn_ref" not in sd and "optimizer" not in sd


# ---- base class behaviour ------------------------------------------------------------------
def test_initial_lr_and_resume():
    opt = make_opt()
    sched = L.StepLR(opt, 3)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS) == sched.base_lrs
    assert sched.last_epoch == 0 and sched.get_last_lr() == list(LRS)
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\] when resuming"):
        L.StepLR(make_opt(), 3, last_epoch=4)
    # resuming (initial_lr known, e.g. from a loaded optimizer): the construction step keeps the
    # optimizer's lr, and the schedule continues from it
    opt = make_opt()
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"] * 2
    sched = L.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
    assert sched.last_epoch == 5 and sched.base_lrs == [2 * lr for lr in LRS] and sched.get_last_lr() == list(LRS)
    opt.step()
    sched.step()
    ratio = (1 + math.cos(6 * math.pi / 10)) / (1 + math.cos(5 * math.pi / 10))
    assert sched.get_last_lr() == pytest.approx([lr * ratio for lr in LRS])


def test_custom_subclass_and_alias():
    class Warmup(L._LRScheduler):
        def get_lr(self):
            return [b * min(1.0, (self.last_epoch + 1) / 4) for b in self.base_lrs]

    opt = make_opt()
    check(run(opt, Warmup(opt), n=8), lambda lr0, t: lr0 * min(1.0, (t + 1) / 4))
    assert issubclass(L._LRScheduler, L.LRScheduler) and L._LRScheduler.__name__ == "_LRScheduler"
    assert L.StepLR.__module__ == "ferrotorch.optim.lr_scheduler"
    with pytest.raises(NotImplementedError):
        L.LRScheduler(make_opt())


def test_step_order_warning():
    opt = make_opt()
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    opt = make_opt()
    sched = L.StepLR(opt, 2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
        sched.step()
    opt = make_opt()
    sched = L.ExponentialLR(opt, 0.9)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden after learning rate"):
        sched.step()


def test_get_lr_outside_step_warns_and_epoch_arg_deprecated():
    opt = make_opt()
    sched = L.StepLR(opt, 3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        sched.get_lr()
    # the deprecated epoch argument jumps there via the closed form
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(7)
    assert sched.last_epoch == 7 and sched.get_last_lr() == pytest.approx([lr * 0.25 for lr in LRS])


@pytest.mark.parametrize("make,exc,msg", [
    (lambda o: L.StepLR(object(), 2), TypeError, "object is not an Optimizer"),
    (lambda o: L.ConstantLR(o, factor=1.5), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1."),
    (lambda o: L.LinearLR(o, start_factor=0), ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    (lambda o: L.LinearLR(o, end_factor=1.5), ValueError,
     "Ending multiplicative factor expected to be between 0 and 1."),
    (lambda o: L.LambdaLR(o, [lambda e: 1]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda o: L.MultiplicativeLR(o, 3), TypeError, "lr_lambda should be a function, but got int"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, 0), ValueError, "Expected positive integer T_0, but got 0"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, 2, 1.5), ValueError, "Expected integer T_mult >= 1, but got 1.5"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, 2, 1, "a"), ValueError,
     "Expected float or int eta_min, but got a of type <class 'str'>"),
    (lambda o: L.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda o: L.OneCycleLR(o, 1.0, total_steps=0), ValueError, "Expected positive integer total_steps, but got 0"),
    (lambda o: L.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3), ValueError,
     "Expected positive integer epochs, but got 0"),
    (lambda o: L.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=1.5), ValueError,
     "Expected positive integer steps_per_epoch, but got 1.5"),
    (lambda o: L.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1.5"),
    (lambda o: L.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda o: L.OneCycleLR(o, [1.0], total_steps=10), ValueError,
     "max_lr must have the same length as optimizer.param_groups. max_lr has 1 values, param_groups has 2."),
    (lambda o: L.CyclicLR(o, 0.01, 0.1, mode="sine"), ValueError, "mode is invalid and scale_fn is None"),
    (lambda o: L.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda o: L.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode avg is unknown!"),
    (lambda o: L.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x is unknown!"),
    (lambda o: L.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
])
def test_argument_errors(make, exc, msg):
    with pytest.raises(exc) as info:
        make(make_opt())
    assert str(info.value) == msg
