"""Version 1 of the API, mounted at /api/v1."""

from fastapi import APIRouter

from . import greetings

router = APIRouter(prefix="/api/v1")
router.include_router(greetings.router)
