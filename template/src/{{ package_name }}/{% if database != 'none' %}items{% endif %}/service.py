"""The rules for items: what exists, what conflicts, and when changes are committed."""

from collections.abc import Awaitable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import AppError, ErrorCode
from .models import Item
from .repository import ItemRepository
from .schemas import ItemCreate, ItemUpdate


class ItemService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.items = ItemRepository(session)

    async def get(self, item_id: int) -> Item:
        item = await self.items.get(item_id)
        if item is None:
            raise AppError(ErrorCode.NOT_FOUND, f"Item {item_id} does not exist.")
        return item

    async def page(self, *, limit: int, offset: int) -> tuple[list[Item], int]:
        items, total = await self.items.page(limit=limit, offset=offset)
        return list(items), total

    async def create(self, data: ItemCreate) -> Item:
        item = Item(name=data.name, description=data.description)
        await self._commit(self.items.add(item), name=data.name)
        return item

    async def update(self, item_id: int, data: ItemUpdate) -> Item:
        item = await self.get(item_id)
        for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
            setattr(item, field, value)
        await self._commit(self.session.flush(), name=item.name)
        return item

    async def delete(self, item_id: int) -> None:
        item = await self.get(item_id)
        await self.items.delete(item)
        await self.session.commit()

    async def _commit(self, change: Awaitable[object], *, name: str) -> None:
        """Apply and commit a change; a taken name is a 409 conflict, not a 500."""
        try:
            await change
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise AppError(
                ErrorCode.CONFLICT,
                f"An item named {name!r} already exists.",
                details={"field": "name"},
            ) from None
