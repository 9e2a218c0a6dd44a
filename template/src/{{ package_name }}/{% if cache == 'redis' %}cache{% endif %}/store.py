"""A small typed cache on Redis: JSON values checked by pydantic on the way out, a TTL on
every key, and one key prefix per service so that services can share a Redis.

The cache only ever saves work: when Redis fails, `get` misses and `set` and `delete`
do nothing, each with a warning in the log, and the caller goes to the source of truth.
Readiness reports the outage (the `cache` check).
"""

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..logs import get_logger

T = TypeVar("T")

logger = get_logger(__name__)


class Cache:
    def __init__(self, client: Redis, *, prefix: str, default_ttl: int) -> None:
        self.client = client
        self.prefix = prefix
        self.default_ttl = default_ttl

    def key(self, name: str) -> str:
        """The Redis key for `name`: the service's prefix, a colon, the name."""
        return f"{self.prefix}:{name}"

    async def get(self, name: str, kind: type[T]) -> T | None:
        """The value stored under `name` as a `kind`, or None when it is missing, stale or
        of another shape (such an entry is dropped), or when Redis cannot be reached."""
        try:
            raw = await self.client.get(self.key(name))
        except RedisError as error:
            logger.warning(
                "cache_unavailable", operation="get", key=name, error=type(error).__name__
            )
            return None
        if raw is None:
            return None
        try:
            return TypeAdapter(kind).validate_json(raw)
        except ValidationError:
            logger.warning(
                "cache_entry_dropped", key=name, reason="does not match the expected type"
            )
            await self.delete(name)
            return None

    async def set(self, name: str, value: Any, *, ttl: int | None = None) -> None:
        """Store `value` as JSON under `name` for `ttl` seconds (the default TTL if None)."""
        try:
            await self.client.set(self.key(name), to_json(value), ex=ttl or self.default_ttl)
        except RedisError as error:
            logger.warning(
                "cache_unavailable", operation="set", key=name, error=type(error).__name__
            )

    async def delete(self, *names: str) -> None:
        """Forget the values stored under `names`; call it after every change to them."""
        if not names:
            return
        try:
            await self.client.delete(*(self.key(name) for name in names))
        except RedisError as error:
            logger.warning("cache_unavailable", operation="delete", error=type(error).__name__)


def get_cache(request: Request) -> Cache:
    cache: Cache = request.state.cache
    return cache


CacheDep = Annotated[Cache, Depends(get_cache)]
