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


def add_response_headers(message: Message, headers: list[RawHeader]) -> None:
    """Add headers to an `http.response.start` message; those it has already win."""
    current = list(message.get("headers", ()))
    present = {name.lower() for name, _ in current}
    current.extend(header for header in headers if header[0] not in present)
    message["headers"] = current


def set_edge_headers(message: Message, defaults: list[RawHeader], own: RawHeader) -> None:
    """In one pass over an `http.response.start` message: add `defaults` the app has not
    set, and set `own`, replacing any header of that name the app set."""
    headers: list[RawHeader] = []
    present = set()
    for header in message.get("headers", ()):
        name = header[0].lower()
        if name != own[0]:
            headers.append(header)
            present.add(name)
    headers.extend(header for header in defaults if header[0] not in present)
    headers.append(own)
    message["headers"] = headers
