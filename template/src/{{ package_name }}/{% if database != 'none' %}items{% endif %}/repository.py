"""Queries on the items table; no HTTP, no transactions."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Item


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, item_id: int) -> Item | None:
        return await self.session.get(Item, item_id)

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

    async def delete(self, item: Item) -> None:
        await self.session.delete(item)
        await self.session.flush()
