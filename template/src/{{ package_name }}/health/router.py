"""GET /health/live, /health/ready and /health."""

import time
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from .. import __version__
from ..draining import is_draining
from ..errors import CATALOGUE, ErrorCode, envelope, error_responses
from ..request_context import request_id_of
from .registry import CheckResult, HealthRegistry

router = APIRouter(
    prefix="/health", tags=["health"], responses=error_responses(ErrorCode.INTERNAL_ERROR)
)


def get_registry(request: Request) -> HealthRegistry:
    registry: HealthRegistry = request.state.health
    return registry


DRAINING_MESSAGE = "The service is not ready: it is shutting down."

RegistryDep = Annotated[HealthRegistry, Depends(get_registry)]


class Liveness(BaseModel):
    status: Literal["alive"] = "alive"


class CheckReport(BaseModel):
    name: str
    status: Literal["pass", "fail"]
    latency_ms: float
    error: str | None = None
    details: dict[str, Any] | None = None


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    checks: list[CheckReport]


class HealthReport(BaseModel):
    status: Literal["pass", "fail"]
    version: str
    uptime_seconds: float
    checks: list[CheckReport]


def _reports(results: list[CheckResult]) -> list[CheckReport]:
    return [CheckReport(**asdict(result)) for result in results]


# The answer never changes: encoded once, not validated and serialized per probe.
LIVE_BODY = Liveness().model_dump_json().encode()


@router.get("/live", response_model=Liveness)
async def live() -> Response:
    """The process is up and serving; no dependency is called."""
    return Response(LIVE_BODY, media_type="application/json")


@router.head("/live", include_in_schema=False)
async def live_head() -> None:
    """HEAD for uptime checkers that probe without a body."""


@router.get(
    "/ready",
    response_model=Readiness,
    responses=error_responses(ErrorCode.NOT_READY),
)
async def ready(request: Request, registry: RegistryDep) -> Readiness | JSONResponse:
    """Every dependency passed its latest check and the process is not draining; 503 says
    which checks failed and whether it drains."""
    results = await registry.latest()
    failing = [result for result in results if not result.passed]
    draining = is_draining()
    if failing or draining:
        body = envelope(
            ErrorCode.NOT_READY,
            message=DRAINING_MESSAGE if draining else None,
            details={
                "draining": draining,
                "failing": [report.model_dump() for report in _reports(failing)],
            },
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=CATALOGUE[ErrorCode.NOT_READY].status)
    return Readiness(checks=_reports(results))


@router.get("", response_model=HealthReport)
async def health(request: Request, registry: RegistryDep) -> HealthReport:
    """Version, uptime and every check's latest status and latency (always 200)."""
    results = await registry.latest()
    return HealthReport(
        status="pass" if all(result.passed for result in results) else "fail",
        version=__version__,
        uptime_seconds=round(time.monotonic() - request.state.started_at, 3),
        checks=_reports(results),
    )
