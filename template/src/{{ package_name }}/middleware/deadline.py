"""Answer 504 when the app has not started its response within the request deadline.

Whatever a dependency does (a paused database, a broker that accepts and never answers),
the client has its answer by then. The request's task is cancelled and left to finish
its cleanup in the background (`left_behind.py`): waiting for it would hang on the very
dependency that made it late. Once a response has started, the deadline no longer
applies: a status cannot be taken back, and streaming responses may take their time.
"""

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import CATALOGUE, ErrorCode, envelope
from ..left_behind import leave_behind
from ..logs import bound_logger
from ..request_context import request_id_from_scope


class DeadlineMiddleware:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        self.logger = bound_logger("deadline")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False
        expired = False

        async def send_in_time(message: Message) -> None:
            nonlocal response_started
            if expired:
                return  # the client has its 504: what the cancelled request sends is dropped
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        handling = asyncio.ensure_future(self.app(scope, receive, send_in_time))
        try:
            await asyncio.wait({handling}, timeout=self.seconds)
        except asyncio.CancelledError:  # the server gave up on the request (shutdown)
            leave_behind(handling)
            raise
        if handling.done() or response_started:
            await handling  # its result, or its exception for the error middleware
            return
        expired = True
        leave_behind(handling)
        self.logger.warning(
            "request_deadline_exceeded", path=scope["path"], deadline_s=self.seconds
        )
        error = CATALOGUE[ErrorCode.DEADLINE_EXCEEDED]
        body = envelope(ErrorCode.DEADLINE_EXCEEDED, request_id=request_id_from_scope(scope))
        await JSONResponse(body, status_code=error.status)(scope, receive, send)
