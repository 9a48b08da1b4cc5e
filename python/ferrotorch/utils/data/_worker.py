"""What runs inside a DataLoader worker process: seeding, ``get_worker_info``,
and the loop that turns (task id, index) messages into pickled results."""
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler

import numpy as np

import ferrotorch

from ._fetch import create_fetcher

# How often a blocked worker checks that its parent is alive, and a blocked
# main process that its workers are (PyTorch polls every 5 s and also catches
# SIGCHLD; polling faster keeps death detection prompt without a signal handler).
MP_STATUS_CHECK_INTERVAL = 0.5

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """In a DataLoader worker: its ``WorkerInfo`` (``id``, ``num_workers``,
    ``seed``, this process's copy of ``dataset``). In the main process: None."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Start a new epoch (persistent workers); echoed back as an acknowledgement."""


class KeyErrorMessage(str):
    """KeyError prints repr() of its argument; this keeps the traceback readable."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception's type and formatted traceback, re-raised in another process."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # the type cannot be built from one message string
            raise RuntimeError(msg) from None
        raise exception


def _numpy_seed(base_seed, worker_id):
    # PyTorch's worker seeding of numpy's legacy global RNG: a SeedSequence over
    # (worker id, base seed halves), so workers never share numpy streams.
    mask32 = 0xFFFFFFFF
    return np.random.SeedSequence([worker_id, base_seed & mask32, base_seed >> 32, 0]).generate_state(4)


def _send(data_queue, idx, data, worker_id):
    # Pickle here rather than in the queue's feeder thread: a batch that cannot
    # be pickled becomes an error in the main process instead of a lost result.
    try:
        payload = ForkingPickler.dumps((idx, data))
    except Exception:
        payload = ForkingPickler.dumps((idx, ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")))
    data_queue.put(bytes(payload))


def _worker_loop(is_iterable, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                 drop_last, base_seed, init_fn, worker_id, num_workers):
    global _worker_info
    try:
        seed = base_seed + worker_id
        random.seed(seed)
        ferrotorch.manual_seed(seed)
        np.random.seed(_numpy_seed(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        # a failing worker_init_fn (or dataset iter()) answers every task
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        iteration_end = False
        parent = os.getppid()
        while os.getppid() == parent:  # the main process died: stop
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                _send(data_queue, r, None, worker_id)
                iteration_end = False
                if init_exception is None:
                    try:
                        fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                continue
            if r is None:  # shutdown
                break
            if done_event.is_set() or iteration_end:
                continue  # tasks sent before the main process learned we are done
            idx, index = r
            if init_exception is not None:
                data = init_exception
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not is_iterable:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            _send(data_queue, idx, data, worker_id)
            del data, idx, index, r
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts us down
    if done_event.is_set():
        # don't block exit on flushing results nobody will read
        data_queue.cancel_join_thread()
        data_queue.close()
