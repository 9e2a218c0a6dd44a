"""Redis as a service resource: one client (a connection pool), its readiness check,
closed when the service stops."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from ..health.registry import HealthRegistry
from ..redis_clients import async_redis
from ..settings import Settings
from .store import Cache


@asynccontextmanager
async def cache(settings: Settings, health: HealthRegistry) -> AsyncIterator[Mapping[str, Any]]:
    """Connections are made on first use; a Redis that is down does not stop start-up."""
    client = async_redis(settings)

    async def ping() -> None:
        await client.ping()

    health.register("cache", ping)
    try:
        yield {
            "cache": Cache(
                client, prefix=settings.cache_key_prefix, default_ttl=settings.cache_ttl_seconds
            )
        }
    finally:
        await client.aclose()
