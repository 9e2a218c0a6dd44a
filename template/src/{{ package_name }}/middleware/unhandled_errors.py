"""Turn any exception that escapes the app into a logged 500 envelope."""

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ErrorCode, envelope, new_error_id
from ..logs import bound_logger
from ..request_context import request_id_from_scope


class UnhandledErrorMiddleware:
    """Sits inside the request-id and header middleware so a 500 carries both.

    Starlette's own ServerErrorMiddleware would answer outside them and re-raise the
    exception to the server, which logs the traceback a second time without context.
    """

    def __init__(self, app: ASGIApp, *, expose_details: bool) -> None:
        self.app = app
        self.expose_details = expose_details
        self.logger = bound_logger("errors")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_and_track(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_track)
        except Exception as exc:
            error_id = new_error_id()
            self.logger.exception("unhandled_exception", error_id=error_id)
            if response_started:
                return  # too late for an envelope; the client sees a truncated response
            details = {"exception": f"{type(exc).__name__}: {exc}"} if self.expose_details else None
            body = envelope(
                ErrorCode.INTERNAL_ERROR,
                details=details,
                request_id=request_id_from_scope(scope),
                error_id=error_id,
            )
            await JSONResponse(body, status_code=500)(scope, receive, send)
