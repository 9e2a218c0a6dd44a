# mypy: ignore-errors
# (run by a generated project's interpreter, with its redis and SQLAlchemy; the template's
# own environment has neither)
"""Print what a generated suite left on its Redis and database servers, one line each:
the keys and binding-table members, and the databases, whose names hold the run id.

    python leftover_probe.py RUN_ID

The servers come from TEST_REDIS_URL and TEST_DATABASE_URL, as the suite had them.
"""

import asyncio
import os
import sys


def redis_leftovers(url: str, run_id: str) -> list[str]:
    from redis import Redis

    found = []
    with Redis.from_url(url, decode_responses=True) as redis:
        found += [f"redis key {key}" for key in redis.scan_iter(match=f"*{run_id}*", count=1000)]
        # kombu's binding tables of a shared exchange (Celery's pidbox, say) are named
        # after it: a binding of the run's own is a member there, under a name of no run.
        for table in redis.scan_iter(match="_kombu.binding*", count=1000, _type="set"):
            if run_id in table:
                continue  # found above, whole
            found += [
                f"redis member of {table}: {member!r}"
                for member in redis.smembers(table)
                if run_id in member
            ]
    return found


async def database_leftovers(url: str, run_id: str) -> list[str]:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    if engine.dialect.name == "postgresql":
        listing = "SELECT datname FROM pg_database"
    else:
        listing = "SHOW DATABASES"
    try:
        async with engine.connect() as connection:
            names = [row[0] for row in await connection.exec_driver_sql(listing)]
    finally:
        await engine.dispose()
    return [f"database {name}" for name in names if run_id in name]


def main(run_id: str) -> None:
    found = []
    if url := os.environ.get("TEST_REDIS_URL"):
        found += redis_leftovers(url, run_id)
    if url := os.environ.get("TEST_DATABASE_URL"):
        found += asyncio.run(database_leftovers(url, run_id))
    for line in found:
        print(line)


if __name__ == "__main__":
    main(sys.argv[1])
