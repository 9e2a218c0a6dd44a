"""Raw ASGI header access for middleware, cheaper than building Headers objects on
every request."""

from starlette.types import Message, Scope

RawHeader = tuple[bytes, bytes]


def header_value(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header; `name` in lowercase."""
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def raw_headers(headers: dict[str, str]) -> list[RawHeader]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def add_response_headers(
    message: Message, headers: list[RawHeader], *, replace: bool = False
) -> None:
    """Add headers to an `http.response.start` message; existing ones win unless `replace`."""
    names = {name for name, _ in headers}
    current = [
        (name, value)
        for name, value in message.get("headers", ())
        if not (replace and name.lower() in names)
    ]
    present = {name.lower() for name, _ in current}
    current.extend(header for header in headers if header[0] not in present)
    message["headers"] = current
