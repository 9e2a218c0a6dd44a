"""HTTP endpoints for items, mounted at /api/v1/items."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from ..database.session import DbSession
from ..errors import ErrorCode, error_responses
from .models import Item
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate
from .service import ItemService

router = APIRouter(
    prefix="/items",
    tags=["items"],
    responses=error_responses(ErrorCode.SERVICE_UNAVAILABLE),
)

MAX_PAGE_SIZE = 100
# Ids are 32-bit integers in every database: larger ones cannot exist.
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The item's id.")]


def get_item_service(session: DbSession) -> ItemService:
    return ItemService(session)


Service = Annotated[ItemService, Depends(get_item_service)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemRead,
    responses=error_responses(
        ErrorCode.VALIDATION_FAILED, ErrorCode.CONFLICT, ErrorCode.PAYLOAD_TOO_LARGE
    ),
)
async def create_item(
    payload: ItemCreate, service: Service, request: Request, response: Response
) -> Item:
    """Create an item; its name must be unique."""
    item = await service.create(payload)
    response.headers["Location"] = str(request.url_for("get_item", item_id=item.id))
    return item


@router.get("", response_model=ItemPage, responses=error_responses(ErrorCode.VALIDATION_FAILED))
async def list_items(
    service: Service,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> ItemPage:
    """A page of items, oldest first."""
    items, total = await service.page(limit=limit, offset=offset)
    return ItemPage(
        items=[ItemRead.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{item_id}",
    response_model=ItemRead,
    responses=error_responses(ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_FAILED),
)
async def get_item(item_id: ItemId, service: Service) -> Item:
    """One item by id."""
    return await service.get(item_id)


@router.patch(
    "/{item_id}",
    response_model=ItemRead,
    responses=error_responses(
        ErrorCode.NOT_FOUND,
        ErrorCode.CONFLICT,
        ErrorCode.VALIDATION_FAILED,
        ErrorCode.PAYLOAD_TOO_LARGE,
    ),
)
async def update_item(item_id: ItemId, payload: ItemUpdate, service: Service) -> Item:
    """Change an item's name or description."""
    return await service.update(item_id, payload)


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_FAILED),
)
async def delete_item(item_id: ItemId, service: Service) -> None:
    """Delete an item."""
    await service.delete(item_id)
