"""One database session per request, handed to endpoints as a dependency."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for this request; whatever it did not commit is rolled back at the end."""
    sessions: async_sessionmaker[AsyncSession] = request.state.db_sessions
    async with sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]
