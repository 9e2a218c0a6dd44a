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

SETTLE_SECONDS = 2.0
"""How long shutdown waits for cancelled work to finish its cleanup before the clients it
uses are closed; what still runs after that is abandoned to the process's exit."""


def leave_behind(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and let it finish on its own; the caller answers without it."""
    task.cancel()
    _LEFT_BEHIND.add(task)
    task.add_done_callback(_forget)


def still_running() -> int:
    """How many cancelled tasks have not finished yet (for tests and diagnostics)."""
    return sum(1 for task in _LEFT_BEHIND if not task.done())


async def settle(seconds: float = SETTLE_SECONDS) -> int:
    """Wait up to `seconds` for this event loop's cancelled work to finish; answer how
    many tasks still run. The lifespan calls it before it closes the service's clients:
    a cleanup that finds its connection pool disposed can wait on it for ever."""
    loop = asyncio.get_running_loop()
    mine = {task for task in _LEFT_BEHIND if not task.done() and task.get_loop() is loop}
    if mine:
        await asyncio.wait(mine, timeout=seconds)
    return sum(1 for task in mine if not task.done())


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
