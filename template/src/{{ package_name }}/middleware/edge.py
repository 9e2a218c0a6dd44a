"""The outermost layer: what every request needs, in one layer instead of seven.

Outside in: the request id (`request_id.py`), the security headers
(`security_headers.py`), the access line (`access_log.py`) and the observers (the
metrics, when the project has them); then, inside CORS when it is configured, so that
browsers can read what they answer: the concurrency limit (`concurrency_limit.py`), the
deadline (`deadline.py`) and the error guard (`unhandled_errors.py`). Each ASGI layer
costs a coroutine and a `send` wrapper per request; one layer pays for them once.
"""

import asyncio
import time
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..left_behind import leave_behind
from ..logs import bind_request_context, reset_request_context
from ..request_context import set_request_id
from .access_log import AccessLog
from .concurrency_limit import refuse_for_load
from .deadline import answer_deadline_exceeded, start, wait_at_most
from .headers import header_value, set_edge_headers
from .request_id import RAW_HEADER, accepted_request_id
from .security_headers import SecurityHeaders
from .unhandled_errors import UnhandledErrors


class RequestObserver(Protocol):
    """Sees every HTTP request, those the edge turns away included."""

    def started(self) -> None: ...

    def finished(self, scope: Scope, status: int, seconds: float) -> None: ...


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        security_headers: SecurityHeaders,
        access_log: AccessLog,
        errors: UnhandledErrors,
        deadline_seconds: float,
        max_requests: int,
        never_refused: Collection[str],
        observers: Sequence[RequestObserver] = (),
        around_guard: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.app = app
        self.security_headers = security_headers
        self.access_log = access_log
        self.errors = errors
        self.deadline_seconds = deadline_seconds
        self.max_requests = max_requests
        self.never_refused = frozenset(never_refused)
        self.observers = tuple(observers)
        self.guarded = around_guard(self.guard) if around_guard else self.guard
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        for observer in self.observers:
            observer.started()
        request_id = accepted_request_id(header_value(scope, RAW_HEADER))
        set_request_id(scope, request_id)
        defaults = self.security_headers.for_path(scope["path"])
        own = (RAW_HEADER, request_id.encode("latin-1"))
        status = 500

        async def send_from_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                set_edge_headers(message, defaults, own)
            await send(message)

        token = bind_request_context(
            request_id=request_id, method=scope["method"], path=scope["path"]
        )
        try:
            await self.guarded(scope, receive, send_from_edge)
        finally:
            self.access_log.record(scope["path"], status, started)
            seconds = time.perf_counter() - started
            for observer in self.observers:
                observer.finished(scope, status, seconds)
            reset_request_context(token)

    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The concurrency limit; liveness is never refused for load, nor counted."""
        if scope["path"] in self.never_refused:
            await self.within_deadline(scope, receive, send)
            return
        if self.in_flight >= self.max_requests:
            await refuse_for_load(scope, receive, send)
            return
        # A request the deadline gives up on keeps its slot until it has ended.
        self.in_flight += 1
        try:
            await self.within_deadline(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def within_deadline(self, scope: Scope, receive: Receive, send: Send) -> None:
        response_started = False
        expired = False

        async def send_in_time(message: Message) -> None:
            nonlocal response_started
            if expired:
                return  # the client has its 504: what the cancelled request sends is dropped
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        async def handle() -> None:
            try:
                await self.app(scope, receive, send_in_time)
            except Exception as exc:  # noqa: BLE001 - the error guard: `answer` logs it
                await self.errors.answer(
                    exc, scope, receive, send_in_time, response_started=response_started
                )

        handling = start(handle())
        try:
            await wait_at_most(handling, self.deadline_seconds)
        except asyncio.CancelledError:  # the server gave up on the request (shutdown)
            leave_behind(handling)
            raise
        if handling.done() or response_started:
            await handling  # its end, or what escaped the guard (a cancellation)
            return
        expired = True
        leave_behind(handling)
        await answer_deadline_exceeded(scope, receive, send, seconds=self.deadline_seconds)
