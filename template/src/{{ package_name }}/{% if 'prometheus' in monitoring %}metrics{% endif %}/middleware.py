"""Count and time every request by method, route template and status."""

import time

from prometheus_client import Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .instruments import REQUEST_DURATION, REQUESTS_IN_PROGRESS

# Requests that matched no route share this label, so random paths add no time series.
UNMATCHED = "<unmatched>"
OTHER_METHOD = "OTHER"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_label(scope: Scope) -> str:
    """The template of the route that handled the request (`/api/v1/items/{item_id}`)."""
    route: BaseRoute | None = scope.get("route")
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) else UNMATCHED


class MetricsMiddleware:
    """Outermost, so that it also sees requests the other middleware turn away."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Each label set's series, looked up once: the set of label values is bounded.
        self._series: dict[tuple[str, str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in KNOWN_METHODS else OTHER_METHOD
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        REQUESTS_IN_PROGRESS.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_record)
        finally:
            elapsed = time.perf_counter() - started
            REQUESTS_IN_PROGRESS.dec()
            labels = (method, route_label(scope), str(status))
            series = self._series.get(labels)
            if series is None:
                series = self._series[labels] = REQUEST_DURATION.labels(*labels)
            series.observe(elapsed)
