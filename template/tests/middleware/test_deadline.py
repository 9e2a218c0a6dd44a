"""A request whose response has not started within REQUEST_TIMEOUT_SECONDS gets a 504
envelope at its deadline, whatever the dependency it waits on does."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from ..conftest import ClientFactory
from ..network_faults import black_hole

DEADLINE_SECONDS = 0.5
SLACK_SECONDS = 1.0
"""An upper bound for the tests, not a benchmark: the answer comes at the deadline."""


def slow_routes(black_hole_port: int) -> Callable[[FastAPI], None]:
    def customize(app: FastAPI) -> None:
        @app.get("/waits-on-a-black-hole")
        async def waits_on_a_black_hole() -> dict[str, str]:
            reader, writer = await asyncio.open_connection("127.0.0.1", black_hole_port)
            try:
                await reader.read(1)  # the server accepted and never answers
            finally:
                writer.close()
            return {"status": "answered"}

        @app.get("/slow-to-clean-up")
        async def slow_to_clean_up() -> dict[str, str]:
            try:
                await asyncio.sleep(30)
            finally:
                await asyncio.sleep(30)  # like a rollback sent to a server that is gone
            return {"status": "finished"}

        @app.get("/streams-past-the-deadline")
        async def streams_past_the_deadline() -> StreamingResponse:
            async def chunks() -> AsyncIterator[bytes]:
                yield b"started "
                await asyncio.sleep(2 * DEADLINE_SECONDS)
                yield b"finished"

            return StreamingResponse(chunks(), media_type="text/plain")

        @app.get("/client-timed-out")
        async def client_timed_out() -> None:
            raise TimeoutError  # what a driver raises when its own command timeout expires

    return customize


def test_a_dependency_that_never_answers_gets_504_at_the_deadline(
    make_client: ClientFactory,
) -> None:
    with black_hole() as hole:
        client = make_client(
            customize=slow_routes(hole.port), request_timeout_seconds=DEADLINE_SECONDS
        )
        started = time.perf_counter()
        response = client.get("/waits-on-a-black-hole")
        elapsed = time.perf_counter() - started
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "deadline_exceeded"
    assert error["request_id"] == response.headers["x-request-id"]
    assert elapsed < DEADLINE_SECONDS + SLACK_SECONDS


def test_the_answer_does_not_wait_for_the_cancelled_work(make_client: ClientFactory) -> None:
    client = make_client(customize=slow_routes(0), request_timeout_seconds=DEADLINE_SECONDS)
    started = time.perf_counter()
    response = client.get("/slow-to-clean-up")
    elapsed = time.perf_counter() - started
    assert response.status_code == 504
    assert elapsed < DEADLINE_SECONDS + SLACK_SECONDS


def test_a_started_response_is_not_cut_at_the_deadline(make_client: ClientFactory) -> None:
    client = make_client(customize=slow_routes(0), request_timeout_seconds=DEADLINE_SECONDS)
    response = client.get("/streams-past-the-deadline")
    assert response.status_code == 200
    assert response.text == "started finished"


def test_a_clients_own_timeout_is_a_504_envelope(make_client: ClientFactory) -> None:
    client = make_client(customize=slow_routes(0))
    response = client.get("/client-timed-out")
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "deadline_exceeded"


def test_requests_within_the_deadline_are_untouched(make_client: ClientFactory) -> None:
    client = make_client(request_timeout_seconds=DEADLINE_SECONDS)
    assert client.post("/api/v1/greetings", json={"name": "Ada"}).status_code == 200
