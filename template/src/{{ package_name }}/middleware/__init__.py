"""Pure ASGI middleware; `install_middleware` fixes their order in one place."""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from ..settings import Environment, Settings
from .access_log import AccessLogMiddleware
from .body_limit import BodySizeLimitMiddleware
from .request_id import RequestIdMiddleware
from .security_headers import SecurityHeadersMiddleware
from .trusted_host import TrustedHostMiddleware
from .unhandled_errors import UnhandledErrorMiddleware


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Add the stack; the last one added runs first, so read this bottom-up."""
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    if "*" not in settings.trusted_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(
        UnhandledErrorMiddleware,
        expose_details=settings.environment is Environment.DEVELOPMENT,
    )
    app.add_middleware(
        SecurityHeadersMiddleware, hsts=settings.environment is Environment.PRODUCTION
    )
    app.add_middleware(AccessLogMiddleware, quiet_paths=settings.access_log_quiet_paths)
    app.add_middleware(RequestIdMiddleware)
