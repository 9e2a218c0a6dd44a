"""HTTP endpoints for jobs, mounted at /api/v1/jobs: start one, then poll its state."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from ..errors import AppError, ErrorCode, error_responses
from ..request_context import request_id_of
from .queue import JobQueueDep
from .schemas import JobAccepted, JobStatus, WordCountRequest

router = APIRouter(
    prefix="/jobs",
    tags=["jobs"],
    responses=error_responses(ErrorCode.SERVICE_UNAVAILABLE),
)

JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w-]+$")]


@router.post(
    "/word-count",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=error_responses(ErrorCode.VALIDATION_FAILED),
)
async def start_word_count(
    payload: WordCountRequest, queue: JobQueueDep, request: Request, response: Response
) -> JobAccepted:
    """Count the words of a text in the background; answers at once with the job's id."""
    job_id = await queue.enqueue_word_count(payload.text, request_id=request_id_of(request))
    # A path only: a forged Host header cannot make it point at another site.
    status_url = request.url_for("get_job", job_id=job_id).path
    response.headers["Location"] = status_url
    return JobAccepted(id=job_id, status_url=status_url)


@router.get(
    "/{job_id}",
    response_model=JobStatus,
    responses=error_responses(ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_FAILED),
)
async def get_job(job_id: JobId, queue: JobQueueDep) -> JobStatus:
    """A job's state, and its result once it succeeded; 404 once the result expired."""
    found = await queue.status(job_id)
    if found is None:
        raise AppError(ErrorCode.NOT_FOUND, f"Job {job_id} does not exist or has expired.")
    return found
