"""Redis as a service resource: one client (a connection pool), its readiness check,
closed when the service stops."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis

from ..health.registry import HealthRegistry
from ..settings import Settings
from .store import Cache


@asynccontextmanager
async def cache(settings: Settings, health: HealthRegistry) -> AsyncIterator[Mapping[str, Any]]:
    """Connections are made on first use; a Redis that is down does not stop start-up."""
    client = Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
    )

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
