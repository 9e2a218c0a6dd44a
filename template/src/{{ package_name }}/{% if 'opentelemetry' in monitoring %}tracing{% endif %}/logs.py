"""The trace and span ids in every log line written while a span is current."""

from opentelemetry import trace
from structlog.typing import EventDict


def add_trace_context(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """A structlog processor: `trace_id` and `span_id`, as tracing backends show them."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
