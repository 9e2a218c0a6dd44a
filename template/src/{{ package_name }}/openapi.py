"""The OpenAPI document: what any request body can be answered with, declared once."""

from typing import Any

from fastapi import FastAPI

from .errors import ErrorCode, ErrorEnvelope, error_responses

# Answered before the operation runs: an unparsable body (FastAPI's 400), one over
# MAX_BODY_BYTES (BodySizeLimitMiddleware) and one that fails validation.
BODY_ERRORS = (ErrorCode.BAD_REQUEST, ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.VALIDATION_FAILED)
SCHEMAS = "#/components/schemas/"


def declare_body_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add BODY_ERRORS to every operation that takes a body, unless it declares them itself."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    envelope_schema = ErrorEnvelope.model_json_schema(ref_template=SCHEMAS + "{model}")
    for name, definition in envelope_schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(ErrorEnvelope.__name__, envelope_schema)
    reference = {"$ref": SCHEMAS + ErrorEnvelope.__name__}
    media_type = {"schema": reference}
    content = {"application/json": media_type}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            for status, declared in error_responses(*BODY_ERRORS).items():
                responses.setdefault(
                    str(status), {"description": declared["description"], "content": content}
                )
            operation["responses"] = dict(sorted(responses.items()))
    return schema


class ServiceApp(FastAPI):
    """FastAPI, whose OpenAPI document also declares the errors of every request body."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = declare_body_errors(super().openapi())
        return self.openapi_schema
