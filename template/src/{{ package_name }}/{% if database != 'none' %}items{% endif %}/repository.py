"""Queries on the items table; no HTTP, no transactions."""

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Item


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, item_id: int) -> Item | None:
        return await self.session.get(Item, item_id, populate_existing=True)

    async def page(self, *, limit: int, offset: int) -> tuple[Sequence[Item], int]:
        """One page of items, oldest first, and the total count."""
        query = select(Item).order_by(Item.id).limit(limit).offset(offset)
        items = (await self.session.scalars(query)).all()
        total = await self.session.scalar(select(func.count()).select_from(Item))
        return items, total or 0

    async def add(self, item: Item) -> Item:
        self.session.add(item)
        await self.session.flush()
        return item

    # Updates and deletes are single statements whose row count says whether the item
    # existed: a concurrent delete makes them match no row, never a stale ORM object.
    async def update(self, item_id: int, changes: Mapping[str, Any]) -> bool:
        """Change one item's columns; False when it does not exist."""
        statement = update(Item).where(Item.id == item_id).values(**changes)
        return await self._changed_one(statement.execution_options(synchronize_session=False))

    async def delete(self, item_id: int) -> bool:
        """Delete one item; False when it does not exist."""
        statement = delete(Item).where(Item.id == item_id)
        return await self._changed_one(statement.execution_options(synchronize_session=False))

    async def _changed_one(self, statement: Any) -> bool:
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1
