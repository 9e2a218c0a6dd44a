"""One structured log line per request, with its status and duration."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import bound_logger


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
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
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log = self.logger.warning if status >= 500 else self.logger.info
            log("request", status=status, duration_ms=duration_ms)
