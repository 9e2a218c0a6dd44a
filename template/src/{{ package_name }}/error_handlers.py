"""Exception handlers that render every error into the envelope; registered in one place."""

from collections.abc import Iterator, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from .errors import AppError, ErrorCode, code_for_status, envelope
from .request_context import request_id_of

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before 0.141 copies every included route into app.routes

    def iter_route_contexts(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:  # type: ignore[misc]
        return iter(routes)


def register_error_handlers(app: FastAPI) -> None:
    """Install the handlers for expected errors; the edge's error guard takes the rest."""

    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> JSONResponse:
        body = envelope(
            exc.code, message=exc.message, details=exc.details, request_id=request_id_of(request)
        )
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own (404, 405 ...) carry the bare status phrase: use the catalogue's.
        phrase = HTTPStatus(exc.status_code).phrase
        message = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
        details = None if isinstance(exc.detail, str) else exc.detail
        body = envelope(
            code_for_status(exc.status_code),
            message=message,
            details=details,
            request_id=request_id_of(request),
        )
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _methods_served_at(request)}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = envelope(
            ErrorCode.VALIDATION_FAILED,
            details=[_describe_problem(problem) for problem in exc.errors()],
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=422)

    @app.exception_handler(TimeoutError)
    async def on_timeout(request: Request, exc: TimeoutError) -> JSONResponse:
        # A client's own timeout (a database command, a broker publish): the dependency
        # did not answer in time, which is the deadline's 504, not a 500.
        body = envelope(
            ErrorCode.DEADLINE_EXCEEDED,
            message="A dependency did not answer in time; retry later.",
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=504)


def _methods_served_at(request: Request) -> str:
    """Every method any route serves at the request's path (Starlette names the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        served: set[str] | None = getattr(route, "methods", None)
        if served and route.matches(request.scope)[0] is not Match.NONE:
            methods |= served
    return ", ".join(sorted(methods))


def _describe_problem(problem: Any) -> dict[str, Any]:
    """Where and why a field is invalid, without echoing the submitted value back."""
    return {
        "location": [str(part) for part in problem.get("loc", ())],
        "message": problem.get("msg", ""),
        "type": problem.get("type", ""),
    }
