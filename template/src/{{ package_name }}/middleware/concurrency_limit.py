"""Refuse requests beyond a number in flight in this process, with 503 and Retry-After."""

from collections.abc import Collection

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ErrorCode, envelope
from ..request_context import request_id_from_scope

RETRY_AFTER_SECONDS = 1
MESSAGE = "The service is handling too many requests; retry later."


class ConcurrencyLimitMiddleware:
    """Past `max_requests`, answer at once rather than queue work the process cannot keep up with."""

    def __init__(self, app: ASGIApp, *, max_requests: int, exempt_paths: Collection[str]) -> None:
        self.app = app
        self.max_requests = max_requests
        self.exempt_paths = frozenset(exempt_paths)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_requests:
            body = envelope(
                ErrorCode.SERVICE_UNAVAILABLE,
                message=MESSAGE,
                request_id=request_id_from_scope(scope),
            )
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            await JSONResponse(body, status_code=503, headers=headers)(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
