"""Thread-local grad modes as context managers and decorators, like
``torch.no_grad``/``enable_grad``/``set_grad_enabled``/``inference_mode``."""
import functools
import inspect

from .. import _C


class _DecoratorContextManager:
    """A context manager that also decorates functions (and bare classes:
    ``@no_grad`` works like ``@no_grad()``)."""

    def __new__(cls, orig_func=None):
        if orig_func is None or not callable(orig_func) or cls is set_grad_enabled:
            return super().__new__(cls)
        return cls()(orig_func)

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    with self.clone():
                        try:
                            response = gen.send(request)
                        except StopIteration as e:
                            return e.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class _FixedGradMode(_DecoratorContextManager):
    """Sets grad mode to ``ENABLED`` inside the block."""

    ENABLED = True

    def __init__(self, orig_func=None):
        self.prev = False

    def __enter__(self):
        self.prev = _C._set_grad_enabled(self.ENABLED)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)


class no_grad(_FixedGradMode):
    """Disables gradient recording in this thread inside the block."""

    ENABLED = False


class enable_grad(_FixedGradMode):
    """Enables gradient recording in this thread inside the block."""

    ENABLED = True


class set_grad_enabled(_DecoratorContextManager):
    """Sets grad mode on construction (so it also works as a plain call) and
    restores the previous mode when used as a context manager exits."""

    def __init__(self, mode):
        self.prev = _C._set_grad_enabled(bool(mode))
        self.mode = bool(mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)

    def clone(self):
        return self.__class__(self.mode)

    def __call__(self, func):
        _C._set_grad_enabled(self.prev)  # decorating must not leave the mode changed
        return super().__call__(func)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad``, and marks the thread as in inference mode."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.prev_grad = True
        self.prev_inf = False

    def __enter__(self):
        self.prev_inf = _C._set_inference_mode(self.mode)
        self.prev_grad = _C._set_grad_enabled(_C.is_grad_enabled() and not self.mode)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev_grad)
        _C._set_inference_mode(self.prev_inf)

    def clone(self):
        return self.__class__(self.mode)


is_grad_enabled = _C.is_grad_enabled
is_inference_mode_enabled = _C.is_inference_mode_enabled
