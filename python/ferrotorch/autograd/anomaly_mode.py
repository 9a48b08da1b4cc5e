"""Anomaly detection: nodes remember the Python stack that created them and
a backward formula returning NaN raises naming that forward call."""
from .. import _C


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = False
        self.prev_check_nan = True

    def __enter__(self):
        self.prev, self.prev_check_nan = _C.is_anomaly_enabled(), _C.is_anomaly_check_nan_enabled()
        _C._set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self.prev, self.prev_check_nan = _C.is_anomaly_enabled(), _C.is_anomaly_check_nan_enabled()
        _C._set_anomaly_enabled(bool(mode), check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev, self.prev_check_nan)
