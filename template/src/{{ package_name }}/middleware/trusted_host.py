"""Refuse requests whose Host header is not one of ours, with the error envelope."""

from collections.abc import Sequence

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import CATALOGUE, ErrorCode, envelope
from ..request_context import request_id_from_scope
from .headers import header_value

# Orchestrators probe health by IP address; the probes carry no user data.
EXEMPT_PATH = "/health"


class TrustedHostMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allow_any = "*" in allowed_hosts
        self.exact = {host.lower() for host in allowed_hosts if not host.startswith("*.")}
        self.suffixes = tuple(host[1:].lower() for host in allowed_hosts if host.startswith("*."))

    def is_allowed(self, host_header: str) -> bool:
        host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
        host = host.lower()
        return host in self.exact or (bool(host) and host.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] not in ("http", "websocket")
            or self.allow_any
            or scope["path"] == EXEMPT_PATH
            or scope["path"].startswith(EXEMPT_PATH + "/")
            or self.is_allowed(header_value(scope, b"host") or "")
        ):
            await self.app(scope, receive, send)
            return
        body = envelope(ErrorCode.INVALID_HOST, request_id=request_id_from_scope(scope))
        status = CATALOGUE[ErrorCode.INVALID_HOST].status
        await JSONResponse(body, status_code=status)(scope, receive, send)
