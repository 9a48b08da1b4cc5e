"""``Optimizer``: param_groups, per-parameter state, state_dict in PyTorch's
layout and step hooks. Subclasses name their fused Rust update rule
(`_C._optimizer_step`) and the state it keeps; one call updates a whole group."""
import copy
import warnings
from collections import OrderedDict, defaultdict

from .. import _C
from ..autograd import enable_grad, no_grad


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class _Handle:
    _next = 0

    def __init__(self, hooks):
        self.hooks, self.id = hooks, _Handle._next
        _Handle._next += 1

    def remove(self):
        self.hooks.pop(self.id, None)


def _typename(x):
    if isinstance(x, _C.Tensor):
        return "torch." + {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                           "int64": "Long", "int32": "Int"}.get(str(x.dtype).split(".")[-1], "") + "Tensor"
    return type(x).__name__


class Optimizer:
    # subclass interface: the Rust rule, and state (name, kind) created on first step;
    # kind is "step" (0-d float32 0.), "one" (0-d float32 1.) or "zeros" (like the parameter)
    _rule = None

    def _state_spec(self, group):
        raise NotImplementedError

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        if isinstance(params, _C.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"\n    {key}: {group[key]}"
        return s + "\n)"

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, _C.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, _C.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if seen & set(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    # ---- hooks ---------------------------------------------------------
    def register_step_pre_hook(self, hook):
        h = _Handle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook):
        h = _Handle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[h.id] = hook
        return h

    # ---- stepping --------------------------------------------------------
    def step(self, closure=None):
        for hook in list(self._optimizer_step_pre_hooks.values()):
            r = hook(self, (), {})
            if r is not None:
                raise RuntimeError(f"optimizer pre-hook must return None, but got {r}")
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, (), {})
        return loss

    def _update_group(self, group):
        params, grads, states, first = [], [], [], []
        spec = self._state_spec(group)
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.is_sparse if hasattr(p.grad, "is_sparse") else False:
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            st = self.state[p]
            fresh = not st
            if fresh:
                self._init_state(p, st, spec, group)
            params.append(p)
            grads.append(p.grad)
            states.append([st[name] for name, _ in spec])
            first.append(fresh)
        if params:
            hp = {k: v for k, v in group.items() if k != "params"}
            _C._optimizer_step(self._rule, hp, params, grads, states, first)

    def _init_state(self, p, st, spec, group):
        for name, kind in spec:
            if kind == "step":
                st[name] = _C.tensor(0.0, dtype=_C.float32)
            elif kind == "one":
                st[name] = _C.tensor(1.0, dtype=_C.float32)
            else:
                st[name] = _C.zeros(*p.shape, dtype=p.dtype, device=p.device)

    # ---- state_dict ------------------------------------------------------
    def state_dict(self):
        mapping = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, _C.Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        state_dict = copy.deepcopy(state_dict)
        groups, saved_groups = self.param_groups, state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = {old: p for g, s in zip(groups, saved_groups) for old, p in zip(s["params"], g["params"])}
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                # float state follows the parameter's dtype; step counters stay as saved
                state[p] = {name: (t.to(p.dtype) if isinstance(t, _C.Tensor) and name not in ("step", "mu_product")
                                   and t.is_floating_point() else t) for name, t in v.items()}
            else:
                state[k] = v
        self.state = state
        self.param_groups = [dict(s, params=g["params"]) for g, s in zip(groups, saved_groups)]
