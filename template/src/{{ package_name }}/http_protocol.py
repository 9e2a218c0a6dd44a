"""uvicorn's httptools protocol, with the bounds on a connection that uvicorn leaves out.

uvicorn bounds neither the size nor the number of a request's header fields, nor how
long a client may take to send them or its body (its keep-alive timer starts only after
a first response). This protocol adds those bounds, reading them from the settings the
app's lifespan holds, and answers what it refuses with the error envelope.
"""

import asyncio
import json
from collections.abc import Callable
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from .errors import ErrorCode, envelope
from .logs import get_logger
from .middleware.headers import raw_headers
from .middleware.request_id import accepted_request_id
from .middleware.security_headers import API_HEADERS
from .settings import Settings

logger = get_logger(__name__)
TOO_MANY_HEADERS = "The request has too many header fields."
HEADERS_TOO_LARGE = "The request's header fields are too large."


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """One connection: its request heads bounded in size and count, its clients in time."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = app_state.get("settings")
        if not isinstance(settings, Settings):
            raise RuntimeError("the app's lifespan has not run: serve it with lifespan='on'")
        self.settings = settings
        self.timeout_keep_alive = settings.keep_alive_timeout_seconds
        self.reading_head = True  # from a message's end (or the start) to its head's end
        self.head_bytes = 0
        self.header_count = 0
        self.deadline: asyncio.TimerHandle | None = None
        self.refusal: tuple[int, ErrorCode, str | None] | None = None
        self.drain_budget: int | None = None  # set once refused: what is still discarded

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.settings.header_timeout_seconds, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.drain_budget is not None:
            self.drain_budget -= len(data)
            if self.drain_budget < 0:
                self.transport.close()
            return
        if self.reading_head and self.deadline is None:  # the first byte of the next request
            self._arm(self.settings.header_timeout_seconds, self._head_timed_out)
        limit = self.settings.max_header_bytes
        # Feed the parser no more of a head than the limit: httptools would buffer all of it.
        while self.reading_head and len(data) > limit - self.head_bytes:
            room = limit - self.head_bytes
            self.head_bytes = limit
            if room:
                super().data_received(data[:room])
            if self.drain_budget is not None or self.transport.is_closing():
                return
            if self.reading_head and self.head_bytes == limit:  # still the same head
                self._refuse(431, ErrorCode.HEADERS_TOO_LARGE, HEADERS_TOO_LARGE)
                return
            data = data[room:]
        if self.reading_head:
            self.head_bytes += len(data)
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        if self.header_count > self.settings.max_headers:
            self.refusal = (431, ErrorCode.HEADERS_TOO_LARGE, TOO_MANY_HEADERS)
            raise ValueError(TOO_MANY_HEADERS)  # stops the parser; send_400_response follows
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self._disarm()
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._arm(self.settings.body_timeout_seconds, self._body_timed_out)

    def on_message_complete(self) -> None:
        self._disarm()
        self.reading_head = True
        self.head_bytes = 0
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request the parser refused, in the envelope instead."""
        status, code, message = self.refusal or (400, ErrorCode.BAD_REQUEST, None)
        self._refuse(status, code, message)

    def _head_timed_out(self) -> None:
        self.deadline = None
        if self.head_bytes:
            self._refuse(408, ErrorCode.REQUEST_TIMEOUT, None)
        else:  # nothing of a request: close silently, as an idle keep-alive connection
            self.transport.close()

    def _body_timed_out(self) -> None:
        self.deadline = None
        self._refuse(408, ErrorCode.REQUEST_TIMEOUT, None)

    def _refuse(self, status: int, code: ErrorCode, message: str | None) -> None:
        """Answer in the envelope and close, reading a bounded rest so the client reads it."""
        self._disarm()
        cycle = self.cycle  # the request whose body is read, or the one before this head
        if cycle is not None and self.reading_head and not cycle.response_complete:
            self.transport.close()  # an answer now would be taken for the previous request's
            return
        if cycle is not None and not self.reading_head:
            if cycle.response_started:
                self.transport.close()  # this request has (the start of) an answer already
                return
            cycle.disconnected = True  # the app waiting for this body sees a disconnect
            cycle.message_event.set()
        request_id = accepted_request_id(None)
        error = envelope(code, message=message, request_id=request_id)
        body = json.dumps(error, separators=(",", ":")).encode()
        headers = [
            *self.server_state.default_headers,
            *raw_headers(API_HEADERS),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
            (b"x-request-id", request_id.encode("ascii")),
        ]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(STATUS_LINE[status] + head + b"\r\n" + body)
        logger.warning(
            "request_refused",
            status=status,
            code=code.value,
            client=self.client,
            request_id=request_id,
        )
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        # Closing now, with the client's bytes unread, would reset the connection and
        # lose the answer: half-close, then discard what follows, within bounds.
        self.transport.write_eof()
        self.drain_budget = self.settings.max_drain_bytes
        self._arm(self.settings.header_timeout_seconds, self.transport.close)

    def _arm(self, seconds: float, callback: Callable[[], object]) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
