"""Version 1 of the API, mounted at /api/v1."""

from fastapi import APIRouter

from ...errors import ErrorCode, error_responses
from . import greetings

# Every route may fail unexpectedly; each declares its own expected errors too.
router = APIRouter(prefix="/api/v1", responses=error_responses(ErrorCode.INTERNAL_ERROR))
router.include_router(greetings.router)
