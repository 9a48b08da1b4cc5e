"""``ferrotorch.nn``: the Module system and layers (in progress: see issue 4)."""
from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Parameter  # noqa: F401
