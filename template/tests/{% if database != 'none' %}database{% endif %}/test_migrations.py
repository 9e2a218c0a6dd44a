"""The migrations build the schema the models describe, and can be undone."""

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from ..database_support import check, downgrade, throwaway_database, upgrade


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_and_the_models_agree() -> None:
    with throwaway_database() as url:
        upgrade(url)
        assert asyncio.run(table_names(url)) == {"items"}
        check(url)
        downgrade(url, "base")
        assert asyncio.run(table_names(url)) == set()
        upgrade(url)
        check(url)
