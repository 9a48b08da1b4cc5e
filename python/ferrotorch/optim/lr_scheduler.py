"""``ferrotorch.optim.lr_scheduler``: PyTorch's learning-rate schedulers, with
PyTorch's chainable update forms so that lr sequences (also of several
schedulers on one optimizer) match PyTorch's."""
from ._lr.base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler  # noqa: F401
from ._lr.compose import ChainedScheduler, SequentialLR
from ._lr.cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ._lr.decay import (ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR,
                        MultiStepLR, PolynomialLR, StepLR)
from ._lr.plateau import ReduceLROnPlateau

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
           "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler"]

# the public home of the classes (repr, pickling) is this module, as in PyTorch
for _cls in [LRScheduler, _LRScheduler, ChainedScheduler, SequentialLR, CosineAnnealingWarmRestarts, CyclicLR,
             OneCycleLR, ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR,
             MultiStepLR, PolynomialLR, StepLR, ReduceLROnPlateau]:
    _cls.__module__ = __name__
del _cls
