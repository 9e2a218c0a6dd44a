"""One database session per request, handed to endpoints as a dependency."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for this request; whatever it did not commit is rolled back at the end.

    A request cut short (its deadline cancelled it, or a command timed out) drops its
    connection instead: a rollback would wait on a server that may not answer, and the
    pool must not hand out a connection left in the middle of a command.
    """
    sessions: async_sessionmaker[AsyncSession] = request.state.db_sessions
    session = sessions()
    try:
        yield session
    except (asyncio.CancelledError, TimeoutError):
        await session.invalidate()
        raise
    finally:
        await session.close()


DbSession = Annotated[AsyncSession, Depends(get_session)]
