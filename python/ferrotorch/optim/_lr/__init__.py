"""Implementation of ``ferrotorch.optim.lr_scheduler``, split by family."""
