"""What clients send to start a job and what they read back about it."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TEXT_MAX_LENGTH = 100_000

JobState = Literal["queued", "running", "succeeded", "failed"]


class WordCountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, examples=["to be or not to be"])


class WordCount(BaseModel):
    words: int
    distinct_words: int


class JobAccepted(BaseModel):
    id: str = Field(description="The job's id; poll `status_url` for its state.")
    status_url: str


class JobStatus(BaseModel):
    id: str
    state: JobState
    result: dict[str, Any] | None = Field(default=None, description="Once `succeeded`.")
    error: str | None = Field(default=None, description="Once `failed`: the error's type.")
