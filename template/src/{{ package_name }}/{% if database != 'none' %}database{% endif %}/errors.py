"""A database that cannot be reached answers 503 in the envelope, not 500."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..errors import ErrorCode, envelope
from ..logs import get_logger
from ..request_context import request_id_of

logger = get_logger(__name__)

# Lost connections, refused or timed-out connects, an exhausted pool. OSError covers
# what drivers raise before SQLAlchemy wraps it (DNS failure, connection refused).
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError, OSError)
RETRY_AFTER_SECONDS = "5"


def register_database_error_handlers(app: FastAPI) -> None:
    async def on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        body = envelope(
            ErrorCode.SERVICE_UNAVAILABLE,
            message="The database is unavailable; retry later.",
            request_id=request_id_of(request),
        )
        logger.warning(
            "database_unavailable",
            error_type=type(exc).__name__,
            error_id=body["error"]["error_id"],
        )
        return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS})

    for error in UNAVAILABLE:
        app.add_exception_handler(error, on_database_unavailable)
