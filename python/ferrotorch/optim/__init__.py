"""``ferrotorch.optim``: PyTorch's optimizers; every step is one fused Rust
kernel call per parameter group."""
from .optimizer import Optimizer  # noqa: F401
from .rules import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam, RMSprop  # noqa: F401
from . import lr_scheduler  # noqa: F401,E402
