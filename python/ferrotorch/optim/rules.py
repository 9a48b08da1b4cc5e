"""The optimizers. Each validates PyTorch's arguments, keeps PyTorch's defaults
and state names, and names its fused update rule (crates/ferrotorch-core/src/optim.rs)."""
from .optimizer import Optimizer


def _check(lr=None, eps=None, betas=None, weight_decay=None, **named):
    if lr is not None and not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if betas is not None:
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    for name, v in named.items():
        if not 0.0 <= v:
            raise ValueError(f"Invalid {name} value: {v}")


def _unsupported(fused=None, capturable=False, differentiable=False):
    if fused:
        raise RuntimeError("`fused` is not needed: every ferrotorch optimizer step is a fused Rust kernel")
    if differentiable:
        raise RuntimeError("differentiable optimizer steps are not supported")


class SGD(Optimizer):
    _rule = "sgd"

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check(lr=lr, weight_decay=weight_decay, momentum=momentum)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _unsupported(fused, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _state_spec(self, group):
        return [("momentum_buffer", "zeros")] if group["momentum"] != 0 else []


class Adam(Optimizer):
    _rule = "adam"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _unsupported(fused, capturable, differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))
        if decoupled_weight_decay:
            self._rule = "adamw"

    def _state_spec(self, group):
        spec = [("step", "step"), ("exp_avg", "zeros"), ("exp_avg_sq", "zeros")]
        return spec + [("max_exp_avg_sq", "zeros")] if group["amsgrad"] else spec


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    _rule = "rmsprop"

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(lr=lr, eps=eps, weight_decay=weight_decay, momentum=momentum, alpha=alpha)
        _unsupported(None, capturable, differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _state_spec(self, group):
        spec = [("step", "step"), ("square_avg", "zeros")]
        if group["momentum"] > 0:
            spec.append(("momentum_buffer", "zeros"))
        if group["centered"]:
            spec.append(("grad_avg", "zeros"))
        return spec


class Adagrad(Optimizer):
    _rule = "adagrad"

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check(lr=lr, eps=eps, weight_decay=weight_decay, lr_decay=lr_decay,
               initial_accumulator_value=initial_accumulator_value)
        _unsupported(fused, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))
        # PyTorch creates Adagrad's state eagerly, with the initial accumulator value
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], self._state_spec(group), group)

    def _init_state(self, p, st, spec, group):
        super()._init_state(p, st, spec, group)
        st["sum"].fill_(group["initial_accumulator_value"])

    def _state_spec(self, group):
        return [("step", "step"), ("sum", "zeros")]


class Adadelta(Optimizer):
    _rule = "adadelta"

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check(lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _unsupported(None, capturable, differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _state_spec(self, group):
        return [("step", "step"), ("square_avg", "zeros"), ("acc_delta", "zeros")]


class Adamax(Optimizer):
    _rule = "adamax"

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _unsupported(None, capturable, differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _state_spec(self, group):
        return [("step", "step"), ("exp_avg", "zeros"), ("exp_inf", "zeros")]


class NAdam(Optimizer):
    _rule = "nadam"

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay)
        _unsupported(None, capturable, differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _state_spec(self, group):
        return [("step", "step"), ("mu_product", "one"), ("exp_avg", "zeros"), ("exp_avg_sq", "zeros")]


class RAdam(Optimizer):
    _rule = "radam"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _unsupported(None, capturable, differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _state_spec(self, group):
        return [("step", "step"), ("exp_avg", "zeros"), ("exp_avg_sq", "zeros")]
