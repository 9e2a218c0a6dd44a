"""The database as a service resource: the engine, its sessions and its readiness check."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..health.registry import HealthRegistry
from ..settings import Settings
from .engine import create_engine


@asynccontextmanager
async def database(settings: Settings, health: HealthRegistry) -> AsyncIterator[Mapping[str, Any]]:
    """Open the pool (connections are made on first use), check it, dispose of it at shutdown."""
    engine = create_engine(settings)

    async def ping() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    health.register("database", ping)
    try:
        yield {"db_sessions": async_sessionmaker(engine, expire_on_commit=False)}
    finally:
        await engine.dispose()
