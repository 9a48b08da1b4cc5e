"""Samplers: iterables of dataset indices (or, for BatchSampler, of index
lists). Randomness comes from ferrotorch's generators, so ``manual_seed`` or
an explicit ``Generator`` makes the order reproducible."""
import itertools
from typing import Generic, TypeVar

import numpy as np

import ferrotorch

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler", "WeightedRandomSampler"]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses implement ``__iter__`` and usually ``__len__``."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _seeded_generator():
    # PyTorch seeds a fresh generator from the global RNG, so manual_seed
    # fixes the order while consecutive epochs still differ.
    g = ferrotorch.Generator()
    g.manual_seed(int(ferrotorch.randint(0, 2**62, ()).item()))
    return g


class RandomSampler(Sampler):
    """A random permutation (repeated and truncated to ``num_samples``), or
    ``num_samples`` uniform draws with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        g = self.generator if self.generator is not None else _seeded_generator()
        if self.replacement:
            # drawn 32 at a time, as PyTorch, so a generator yields the same stream
            for _ in range(self.num_samples // 32):
                yield from ferrotorch.randint(0, n, (32,), generator=g).tolist()
            yield from ferrotorch.randint(0, n, (self.num_samples % 32,), generator=g).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from ferrotorch.randperm(n, generator=g).tolist()
            yield from ferrotorch.randperm(n, generator=g).tolist()[: self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in ferrotorch.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


def _weighted_draw(weights, num_samples, replacement, generator):
    """``torch.multinomial`` on a 1-d float64 weight vector (numpy), driven by
    ferrotorch uniforms: inverse-CDF lookup with replacement; without
    replacement the ``num_samples`` largest keys ``w / Exp(1)`` (PyTorch's
    exponential trick, equivalent to sequential draws without replacement)."""
    if weights.size == 0:
        # PyTorch's multinomial fails in its min/max check
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.")
    if not np.all(np.isfinite(weights)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(weights < 0):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    if not weights.sum() > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > weights.size:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    u = ferrotorch.rand(num_samples if replacement else weights.size, dtype=ferrotorch.float64, generator=generator).numpy()
    if replacement:
        cdf = np.cumsum(weights)
        # side="right" never lands on a zero-weight index; the clamp guards u * total rounding up to total
        idx = np.searchsorted(cdf, u * cdf[-1], side="right")
        return np.minimum(idx, np.flatnonzero(weights)[-1]).tolist()
    with np.errstate(divide="ignore"):
        keys = weights / -np.log1p(-u)
    return np.argsort(-keys, kind="stable")[:num_samples].tolist()


class WeightedRandomSampler(Sampler):
    """Indices ``0..len(weights)-1`` drawn with probabilities proportional to
    ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = ferrotorch.as_tensor(weights, dtype=ferrotorch.float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = np.asarray(self.weights.detach())
        yield from _weighted_draw(w, self.num_samples, self.replacement, self.generator)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last
    short list is dropped when ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        it = iter(self.sampler)
        if self.drop_last:
            yield from (list(b) for b in zip(*[it] * self.batch_size))
            return
        batch = list(itertools.islice(it, self.batch_size))
        while batch:
            yield batch
            batch = list(itertools.islice(it, self.batch_size))

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
