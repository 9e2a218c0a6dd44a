"""Requests that are never traced, nor anything they do."""

from collections.abc import Iterable

from opentelemetry.instrumentation.utils import suppress_instrumentation
from starlette.types import ASGIApp, Receive, Scope, Send


class UntracedPathsMiddleware:
    """Probes hit these paths every few seconds: tracing them would bury real traffic.

    The server span is left out by the instrumentation's own exclusion; this turns off
    the spans of what the request does too (readiness runs the dependency checks, whose
    queries would otherwise each start a trace of their own).
    """

    def __init__(self, app: ASGIApp, *, paths: Iterable[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            with suppress_instrumentation():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)
