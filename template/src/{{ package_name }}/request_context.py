"""Per-request values shared between middleware, handlers and log lines."""

from starlette.requests import HTTPConnection
from starlette.types import Scope

REQUEST_ID_KEY = "request_id"


def set_request_id(scope: Scope, request_id: str) -> None:
    scope.setdefault("state", {})[REQUEST_ID_KEY] = request_id


def request_id_from_scope(scope: Scope) -> str | None:
    value = scope.get("state", {}).get(REQUEST_ID_KEY)
    return value if isinstance(value, str) else None


def request_id_of(connection: HTTPConnection) -> str | None:
    return request_id_from_scope(connection.scope)
