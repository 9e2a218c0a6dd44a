"""Count and time every request by method, route template and status."""

from prometheus_client import Histogram
from starlette.routing import BaseRoute
from starlette.types import Scope

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


class RequestMetrics:
    """Observes every request at the edge, so it also counts those the edge turns away."""

    def __init__(self) -> None:
        # Each label set's series, looked up once: the set of label values is bounded.
        self._series: dict[tuple[str, str, str], Histogram] = {}

    def started(self) -> None:
        REQUESTS_IN_PROGRESS.inc()

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        REQUESTS_IN_PROGRESS.dec()
        method = scope["method"] if scope["method"] in KNOWN_METHODS else OTHER_METHOD
        labels = (method, route_label(scope), str(status))
        series = self._series.get(labels)
        if series is None:
            series = self._series[labels] = REQUEST_DURATION.labels(*labels)
        series.observe(seconds)
