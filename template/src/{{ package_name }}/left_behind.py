"""Cancelled work the service does not wait for: a task that a deadline gave up on is
cancelled and left to finish its cleanup in the background. Each is kept referenced
here (the event loop holds tasks weakly) and its outcome is retrieved, so neither the
garbage collector nor "Task exception was never retrieved" cuts its cleanup short."""

import asyncio
from collections.abc import Awaitable
from typing import Any

from .logs import get_logger

logger = get_logger(__name__)

_LEFT_BEHIND: set[asyncio.Future[Any]] = set()


def leave_behind(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and let it finish on its own; the caller answers without it."""
    task.cancel()
    _LEFT_BEHIND.add(task)
    task.add_done_callback(_forget)


def still_running() -> int:
    """How many cancelled tasks have not finished yet (for tests and diagnostics)."""
    return sum(1 for task in _LEFT_BEHIND if not task.done())


def _forget(task: asyncio.Future[Any]) -> None:
    _LEFT_BEHIND.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        logger.info("cancelled_work_failed", error_type=type(error).__name__)


async def within(seconds: float, work: Awaitable[object]) -> bool:
    """Await `work` for at most `seconds`; past that, leave it behind and answer False."""
    task = asyncio.ensure_future(work)
    await asyncio.wait({task}, timeout=seconds)
    if task.done():
        task.result()
        return True
    leave_behind(task)
    return False
