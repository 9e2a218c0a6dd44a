"""One structured log line per request, with its status and duration."""

import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import bound_logger


class AccessLogMiddleware:
    """Logs every request, except successful ones to `quiet_paths`.

    Orchestrators probe health every few seconds; logging each healthy answer would
    bury real traffic (and costs more than the probe itself). Failing probes are logged.
    """

    def __init__(self, app: ASGIApp, *, quiet_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.quiet_paths = frozenset(quiet_paths)
        self.logger = bound_logger("access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            if status >= 400 or scope["path"] not in self.quiet_paths:
                duration_ms = round((time.perf_counter() - started) * 1000, 2)
                log = self.logger.warning if status >= 500 else self.logger.info
                log("request", status=status, duration_ms=duration_ms)
