"""Pure ASGI middleware; `install_middleware` fixes their order in one place."""

from fastapi import FastAPI

from ..settings import Environment, Settings
from .access_log import AccessLogMiddleware
from .body_limit import BodySizeLimitMiddleware
from .concurrency_limit import ConcurrencyLimitMiddleware
from .cors import EnvelopeCORSMiddleware
from .deadline import DeadlineMiddleware
from .rate_limit import RateLimitMiddleware
from .request_id import RequestIdMiddleware
from .security_headers import SecurityHeadersMiddleware
from .trusted_host import TrustedHostMiddleware
from .unhandled_errors import UnhandledErrorMiddleware


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the stack; the last one added runs first, so read this bottom-up."""
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_drain_bytes=settings.max_drain_bytes,
    )
    if "*" not in settings.trusted_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    if settings.rate_limit_enabled:  # inside CORS and the error guard: a 429 gets both
        app.add_middleware(RateLimitMiddleware)
    app.add_middleware(
        UnhandledErrorMiddleware,
        expose_details=settings.environment is Environment.DEVELOPMENT,
    )
    # Outside the error guard: a request it gives up on may still fail in the background.
    app.add_middleware(DeadlineMiddleware, seconds=settings.request_timeout_seconds)
    # Inside CORS, so that browsers can read the 503; liveness is never refused for load.
    # Outside the deadline: a request it gives up on keeps its slot until it has ended.
    app.add_middleware(
        ConcurrencyLimitMiddleware,
        max_requests=settings.max_concurrent_requests,
        exempt_paths=["/health/live"],
    )
    if settings.cors_origins:  # outside the error guard, so a 500 carries CORS headers too
        app.add_middleware(
            EnvelopeCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(
        SecurityHeadersMiddleware, hsts=settings.environment is Environment.PRODUCTION
    )
    app.add_middleware(AccessLogMiddleware, quiet_paths=settings.access_log_quiet_paths)
    app.add_middleware(RequestIdMiddleware)
