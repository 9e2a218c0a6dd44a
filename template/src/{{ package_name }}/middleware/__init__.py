"""Pure ASGI middleware; `install_middleware` fixes their order in one place."""

from fastapi import FastAPI

from ..settings import Environment, Settings
from .access_log import AccessLogMiddleware
from .body_limit import BodySizeLimitMiddleware
from .cors import EnvelopeCORSMiddleware
from .deadline import DeadlineMiddleware
from .request_id import RequestIdMiddleware
from .security_headers import SecurityHeadersMiddleware
from .trusted_host import TrustedHostMiddleware
from .unhandled_errors import UnhandledErrorMiddleware


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the stack; the last one added runs first, so read this bottom-up."""
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if "*" not in settings.trusted_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(
        UnhandledErrorMiddleware,
        expose_details=settings.environment is Environment.DEVELOPMENT,
    )
    # Outside the error guard: a request it gives up on may still fail in the background.
    app.add_middleware(DeadlineMiddleware, seconds=settings.request_timeout_seconds)
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
