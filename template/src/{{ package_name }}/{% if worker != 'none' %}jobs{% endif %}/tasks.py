"""What the jobs do, free of any queue: plain functions the worker calls and tests can too."""

import random
from collections.abc import Iterator
from contextlib import contextmanager

from ..logs import bind_request_context, reset_request_context
from .schemas import WordCount

RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0


class TransientJobError(Exception):
    """Raise it from a job for a failure worth retrying (a dependency briefly away):
    the worker runs the job again after `retry_delay`, up to JOB_MAX_ATTEMPTS times."""


def retry_delay(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: exponential, capped, with full jitter."""
    ceiling = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


@contextmanager
def job_log_context(job_id: str, request_id: str | None) -> Iterator[None]:
    """Every log line of the job carries its id and the request that enqueued it."""
    token = bind_request_context(job_id=job_id, request_id=request_id or "")
    try:
        yield
    finally:
        reset_request_context(token)


def count_words(text: str) -> WordCount:
    words = text.lower().split()
    return WordCount(words=len(words), distinct_words=len(set(words)))
