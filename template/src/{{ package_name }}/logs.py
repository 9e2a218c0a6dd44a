"""Structured logging: one processor chain for the service's and uvicorn's log lines."""

import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar, Token

import structlog
from structlog.typing import EventDict, Processor

from .settings import Settings

# uvicorn's access log is replaced by AccessLogMiddleware, which knows the request id.
_QUIET_LOGGERS = ("uvicorn.access",)


# One variable for the whole request context: cheaper per request than structlog's one
# context variable per key (structlog.contextvars still works for other values).
_request_context: ContextVar[Mapping[str, str] | None] = ContextVar("request_context", default=None)


def bind_request_context(**values: str) -> Token[Mapping[str, str] | None]:
    """Attach values to every log line written while handling this request."""
    return _request_context.set(values)


def reset_request_context(token: Token[Mapping[str, str] | None]) -> None:
    _request_context.reset(token)


def _merge_request_context(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    if (values := _request_context.get()) is not None:
        for key, value in values.items():
            event_dict.setdefault(key, value)
    return event_dict


def _drop_color_message(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """uvicorn passes an ANSI-coloured copy of each message as an extra; keep the plain one."""
    event_dict.pop("color_message", None)
    return event_dict


def _name_logger(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """Report get_logger's name under `logger`, the key standard-library records use."""
    if (name := event_dict.pop("logger_name", None)) is not None:
        event_dict["logger"] = name
    return event_dict


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A service logger; structlog reserves `logger` as an argument, hence `logger_name`."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(logger_name=name)
    return logger


def bound_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A logger fixed to the current configuration: for per-request paths, built after
    `configure_logging` (in the app factory), so no lookup happens on each call."""
    logger: structlog.typing.FilteringBoundLogger = get_logger(name).bind()
    return logger


def configure_logging(settings: Settings) -> None:
    """Configure both pipelines (idempotent).

    The service logs through structlog's own fast path, which matters for the access
    line written on every request; records from the standard library (uvicorn and
    other libraries) are formatted by the same processors and renderer.
    """
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _merge_request_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # JSON needs tracebacks as strings; the console renderer formats them itself.
    renderer: list[Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if settings.json_logs
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    level = logging.getLevelNamesMapping()[settings.log_level]
    structlog.configure(
        processors=[*shared, _name_logger, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # One write per line: lines from several worker processes never interleave.
        logger_factory=structlog.WriteLoggerFactory(),
        # Not cached, so that a reconfiguration (tests, reloads) reaches module-level
        # loggers; hot paths bind a concrete logger once, see `bound_logger`.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            _drop_color_message,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).disabled = True
