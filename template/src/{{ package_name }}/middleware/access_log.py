"""One structured log line per request, with its status and duration."""

import time
from collections.abc import Iterable

from ..logs import bound_logger


class AccessLog:
    """Logs every request, except successful ones to `quiet_paths`.

    Orchestrators probe health every few seconds; logging each healthy answer would
    bury real traffic (and costs more than the probe itself). Failing probes are logged.
    """

    def __init__(self, *, quiet_paths: Iterable[str] = ()) -> None:
        self.quiet_paths = frozenset(quiet_paths)
        self.logger = bound_logger("access")

    def record(self, path: str, status: int, started: float) -> None:
        """Log one finished request; `started` is its `time.perf_counter()` at arrival."""
        if status >= 400 or path not in self.quiet_paths:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log = self.logger.warning if status >= 500 else self.logger.info
            log("request", status=status, duration_ms=duration_ms)
