"""CORS, with refused preflight requests answered in the error envelope."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from ..errors import CATALOGUE, ErrorCode, envelope
from ..request_context import request_id_from_scope


class EnvelopeCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, whose refused preflights are plain text otherwise."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await super().__call__(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "origin" not in headers or "access-control-request-method" not in headers:
            await super().__call__(scope, receive, send)
            return
        preflight = self.preflight_response(request_headers=headers)
        if preflight.status_code == 200:
            await preflight(scope, receive, send)
            return
        refused = bytes(preflight.body).decode()  # e.g. "Disallowed CORS origin"
        body = envelope(
            ErrorCode.BAD_REQUEST,
            message="The CORS preflight request is not allowed.",
            details={"reason": refused},
            request_id=request_id_from_scope(scope),
        )
        status = CATALOGUE[ErrorCode.BAD_REQUEST].status
        # The answer depends on Origin and the requested method and headers: say so to caches.
        vary = {"Vary": preflight.headers["vary"]}
        await JSONResponse(body, status_code=status, headers=vary)(scope, receive, send)
