"""The metrics' part in the lifespan: dependency check results, and a clean exit."""

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import multiprocess

from ..health.registry import HealthRegistry
from ..settings import Settings
from .instruments import record_checks
from .serving import MULTIPROCESS_DIRECTORY


@asynccontextmanager
async def metrics(settings: Settings, health: HealthRegistry) -> AsyncIterator[Mapping[str, Any]]:
    """Record every health check run as `health_check_up`; hands out nothing."""
    health.observe(record_checks)
    try:
        yield {}
    finally:
        if MULTIPROCESS_DIRECTORY in os.environ:
            # This worker's in-progress gauge must stop counting towards the live sum.
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
