"""Database failures answer in the envelope (503, 409 or 422, as `classify` says), never 500."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from ..errors import CATALOGUE, envelope
from ..logs import get_logger
from ..request_context import request_id_of
from .failures import classify

logger = get_logger(__name__)

# SQLAlchemy's own errors, and what a driver raises before SQLAlchemy can wrap it: an
# OSError on connect, a value it cannot encode. `classify` keeps only the database's.
HANDLED = (SQLAlchemyError, OSError, UnicodeError, OverflowError)
RETRY_AFTER_SECONDS = "5"


def register_database_error_handlers(app: FastAPI) -> None:
    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        failure = classify(exc)
        if failure is None:
            raise exc  # not the database's: a bug, answered as a logged 500
        body = envelope(failure.code, message=failure.message, request_id=request_id_of(request))
        logger.warning(
            failure.event,
            error_type=type(exc).__name__,
            error_id=body["error"]["error_id"],
        )
        headers = {"Retry-After": RETRY_AFTER_SECONDS} if failure.retry else None
        return JSONResponse(body, status_code=CATALOGUE[failure.code].status, headers=headers)

    for error in HANDLED:
        app.add_exception_handler(error, on_database_error)
