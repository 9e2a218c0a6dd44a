"""Past a number of requests in flight in this process, answer 503 with Retry-After at
once rather than queue work the process cannot keep up with."""

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from ..errors import ErrorCode, envelope
from ..request_context import request_id_from_scope

RETRY_AFTER_SECONDS = 1
MESSAGE = "The service is handling too many requests; retry later."


async def refuse_for_load(scope: Scope, receive: Receive, send: Send) -> None:
    body = envelope(
        ErrorCode.SERVICE_UNAVAILABLE, message=MESSAGE, request_id=request_id_from_scope(scope)
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    await JSONResponse(body, status_code=503, headers=headers)(scope, receive, send)
