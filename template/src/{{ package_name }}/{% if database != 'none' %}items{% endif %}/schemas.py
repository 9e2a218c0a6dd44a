"""What clients send and receive; the length limits stop oversized input before the database."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..database.text import Storable
from .models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH

# Every string a client sends is Storable: a 422 for text no database can store.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH),
    Storable,
]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH), Storable]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Unique name.", examples=["Blue widget"])
    description: Description = Field(default="", examples=["A widget, in blue."])


class ItemUpdate(BaseModel):
    """A partial update: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class ItemPage(BaseModel):
    items: list[ItemRead]
    total: int = Field(description="How many items exist in all.")
    limit: int
    offset: int
