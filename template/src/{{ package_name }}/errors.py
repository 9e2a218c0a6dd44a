"""The error catalogue and the one envelope every error response uses."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field


class ErrorCode(StrEnum):
    """Stable, documented error codes (docs/ERRORS.md); clients may branch on them."""

    BAD_REQUEST = "bad_request"
    INVALID_HOST = "invalid_host"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION_FAILED = "validation_failed"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    NOT_READY = "not_ready"
    HTTP_ERROR = "http_error"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    status: int
    message: str


CATALOGUE: Mapping[ErrorCode, ErrorSpec] = {
    ErrorCode.BAD_REQUEST: ErrorSpec(400, "The request is malformed."),
    ErrorCode.INVALID_HOST: ErrorSpec(400, "The Host header is not one this service answers."),
    ErrorCode.UNAUTHORIZED: ErrorSpec(401, "Authentication is required."),
    ErrorCode.FORBIDDEN: ErrorSpec(403, "You are not allowed to do this."),
    ErrorCode.NOT_FOUND: ErrorSpec(404, "The requested resource does not exist."),
    ErrorCode.METHOD_NOT_ALLOWED: ErrorSpec(405, "This method is not allowed on this resource."),
    ErrorCode.CONFLICT: ErrorSpec(409, "The request conflicts with the resource's state."),
    ErrorCode.PAYLOAD_TOO_LARGE: ErrorSpec(413, "The request body is too large."),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: ErrorSpec(415, "The request's content type is unsupported."),
    ErrorCode.VALIDATION_FAILED: ErrorSpec(422, "The request is not valid."),
    ErrorCode.RATE_LIMITED: ErrorSpec(429, "Too many requests; retry later."),
    ErrorCode.INTERNAL_ERROR: ErrorSpec(500, "An unexpected error occurred."),
    ErrorCode.SERVICE_UNAVAILABLE: ErrorSpec(503, "The service is temporarily unavailable."),
    ErrorCode.NOT_READY: ErrorSpec(503, "The service is not ready: a dependency is failing."),
    ErrorCode.HTTP_ERROR: ErrorSpec(400, "The request could not be processed."),
}

_CODE_BY_STATUS: Mapping[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.VALIDATION_FAILED,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def code_for_status(status: int) -> ErrorCode:
    """The catalogue code for an HTTP status raised without one (e.g. by Starlette)."""
    return _CODE_BY_STATUS.get(status, ErrorCode.HTTP_ERROR)


class ErrorBody(BaseModel):
    code: ErrorCode = Field(description="Stable machine-readable code; see docs/ERRORS.md.")
    message: str = Field(description="Human-readable summary; do not parse it.")
    details: Any = Field(default=None, description="Code-specific detail, e.g. invalid fields.")
    request_id: str | None = Field(description="The X-Request-ID of the failed request.")
    error_id: str = Field(description="Unique id of this error occurrence, as found in the logs.")


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    error: ErrorBody


class AppError(Exception):
    """An error the service raises on purpose; rendered into the envelope."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        details: Any = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        spec = CATALOGUE[code]
        self.code = code
        self.message = message or spec.message
        self.details = details
        self.status = status or spec.status
        self.headers = dict(headers or {})
        super().__init__(self.message)


def new_error_id() -> str:
    return uuid.uuid4().hex


def envelope(
    code: ErrorCode,
    *,
    message: str | None = None,
    details: Any = None,
    request_id: str | None,
    error_id: str | None = None,
) -> dict[str, Any]:
    """The JSON-ready envelope for one error."""
    body = ErrorBody(
        code=code,
        message=message or CATALOGUE[code].message,
        details=details,
        request_id=request_id,
        error_id=error_id or new_error_id(),
    )
    return ErrorEnvelope(error=body).model_dump(mode="json")


def error_responses(*codes: ErrorCode) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` declaring the envelope, and its codes, for each listed error."""
    codes_by_status: dict[int, list[str]] = {}
    for code in codes:
        codes_by_status.setdefault(CATALOGUE[code].status, []).append(code.value)
    return {
        status: {
            "model": ErrorEnvelope,
            "description": f"{HTTPStatus(status).phrase}: error code {', '.join(names)}",
        }
        for status, names in codes_by_status.items()
    }
