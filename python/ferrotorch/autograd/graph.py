"""Graph node type of ``grad_fn`` objects."""
from .._C import Node  # noqa: F401
