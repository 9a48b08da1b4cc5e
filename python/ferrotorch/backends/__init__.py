"""``ferrotorch.backends``: switches that tune how backends compute (``torch.backends``)."""
from . import cuda, cudnn  # noqa: F401
