"""Give every request an id: a well-formed incoming X-Request-ID, or a fresh one."""

import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import bind_request_context, reset_request_context
from ..request_context import set_request_id
from .headers import add_response_headers, header_value

HEADER = "X-Request-ID"
_RAW_HEADER = HEADER.lower().encode("latin-1")
# Letters, digits and a few separators, so that ids are safe to log and echo.
WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def accepted_request_id(incoming: str | None) -> str:
    """The incoming id when it is well formed; otherwise a new one."""
    if incoming is not None and WELL_FORMED.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(header_value(scope, _RAW_HEADER))
        set_request_id(scope, request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_response_headers(
                    message, [(_RAW_HEADER, request_id.encode("latin-1"))], replace=True
                )
            await send(message)

        token = bind_request_context(
            request_id=request_id, method=scope["method"], path=scope["path"]
        )
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_request_context(token)
