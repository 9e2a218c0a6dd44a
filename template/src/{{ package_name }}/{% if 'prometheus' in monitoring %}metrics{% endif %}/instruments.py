"""The service's metrics, in one registry of its own; docs/OPERATIONS.md lists them.

Every label value comes from a bounded set (a route template, a known method, a status,
a catalogue error code, a health check's name), so no request can add a time series.
"""

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from ..health.registry import CheckResult

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# The histogram's `_count` is the number of requests: no separate counter to update.
REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from receiving a request to the end of its response.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
REQUESTS_IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being handled now.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
ERRORS = Counter(
    "http_errors",
    "Error responses, by their code in the error catalogue (docs/ERRORS.md).",
    ["code"],
    registry=REGISTRY,
)
RATE_LIMIT_FAILED_OPEN = Counter(
    "rate_limit_failed_open",
    "Requests let through unchecked because the rate limit storage did not answer.",
    registry=REGISTRY,
)
HEALTH_CHECK_UP = Gauge(
    "health_check_up",
    "1 when the dependency check passed the last time readiness ran, 0 when it failed.",
    ["check"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)


def record_checks(results: Iterable[CheckResult]) -> None:
    for result in results:
        HEALTH_CHECK_UP.labels(result.name).set(1 if result.passed else 0)
