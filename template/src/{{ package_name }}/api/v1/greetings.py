"""A small example endpoint: replace it with the service's own resources."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from ...errors import ErrorCode, error_responses

router = APIRouter(prefix="/greetings", tags=["greetings"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class GreetingRequest(BaseModel):
    name: Name = Field(description="Who to greet.", examples=["Ada"])


class Greeting(BaseModel):
    message: str = Field(examples=["Hello, Ada!"])


@router.post(
    "",
    response_model=Greeting,
    responses=error_responses(ErrorCode.VALIDATION_FAILED),
)
async def create_greeting(payload: GreetingRequest) -> Greeting:
    """Greet someone by name."""
    return Greeting(message=f"Hello, {payload.name}!")
