"""Refuse request bodies above a size limit with 413, declared or streamed.

Clients such as urllib and requests send the whole body before they read the answer: a
connection closed with their body unread is reset, and they see a broken pipe instead
of the 413. So the rest of a refused body is read and discarded first, up to
`max_drain_bytes`, and the 413 closes the connection.
"""

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ErrorCode, envelope
from ..request_context import request_id_from_scope
from .headers import header_value

CLOSE = {"Connection": "close"}


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_drain_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_drain_bytes = max_drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header_value(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            # A client that waits for `100 Continue` has sent no body: answer at once.
            waits_to_send = (header_value(scope, b"expect") or "").lower() == "100-continue"
            if int(declared) <= self.max_drain_bytes and not waits_to_send:
                await drain(receive, self.max_drain_bytes)
            await self._refuse(scope, receive, send)
            return
        if (
            declared is None
            and scope.get("http_version") in ("1.0", "1.1")
            and header_value(scope, b"transfer-encoding") is None
        ):
            await self.app(scope, receive, send)  # HTTP/1.x without either header: no body
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await drain(receive, self.max_drain_bytes)
                    # An HTTPException, because FastAPI turns any other error raised while
                    # it reads the body into a 400; the handler renders it as code 413.
                    raise HTTPException(status_code=413, headers=CLOSE)
            return message

        await self.app(scope, receive_within_limit, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        body = envelope(
            ErrorCode.PAYLOAD_TOO_LARGE,
            request_id=request_id_from_scope(scope),
        )
        await JSONResponse(body, status_code=413, headers=CLOSE)(scope, receive, send)


async def drain(receive: Receive, budget: int) -> None:
    """Read and discard the rest of the body, up to `budget` bytes."""
    while budget >= 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return
