"""CUDA events (``torch.cuda.streams``). Each device has one stream, on which
all ferrotorch work is queued, so an event records a point of that stream."""
from ._utils import _cuda


class Event:
    """Marks a point in a device's stream, to wait for or to time work (``enable_timing=True``).

    Like PyTorch's, the underlying CUDA event is created by the first ``record()``,
    on the current device."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if interprocess:
            raise NotImplementedError("ferrotorch does not support interprocess CUDA events")
        self.enable_timing = enable_timing
        self.blocking = blocking  # only chooses spinning versus yielding while synchronizing
        self._event = None
        self._device = None

    def record(self, stream=None):
        """Record the event on the current device's stream."""
        from . import current_device

        if stream is not None:
            raise TypeError("ferrotorch has one stream per device: Event.record() takes stream=None")
        idx = current_device()
        if self._event is None or self._device != idx:
            self._event, self._device = _cuda._CudaEvent(self.enable_timing, idx), idx
        self._event.record()

    def query(self):
        """True when all work recorded before the event has finished (True if never recorded)."""
        return True if self._event is None else self._event.query()

    def synchronize(self):
        """Block until the work recorded before the event has finished."""
        if self._event is not None:
            self._event.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds between this event and ``end_event`` (both recorded, with enable_timing=True)."""
        if self._event is None or end_event._event is None:
            raise ValueError("Both events must be recorded before calculating elapsed time.")
        return self._event.elapsed_time(end_event._event)

    def __repr__(self):
        if self._event is None:
            return "<torch.cuda.Event uninitialized>"
        return f"<torch.cuda.Event device=cuda:{self._device}>"
