"""End to end, under faults (issue 13), on the stacks of test_database_stacks.py: a
dependency that stops answering (paused: a partition, not a refused connection) under
bounded load, and the database's own start-up. Runs after that module (pytest orders the
modules by name), so that a fault left behind by a failure cannot spoil its tests.
Needs a Docker engine: without one these tests fail, they never skip."""

import json
import time
from typing import Any

import docker
import pytest

from .conftest import Stack, service_container, wait_for_status
from .faults import (
    DEADLINE_MARGIN_SECONDS,
    Load,
    Outcome,
    api_settings,
    health_check_interval,
    poll,
    request_deadline,
    timed_call,
)

pytestmark = pytest.mark.e2e

PAUSED_ROUTES: dict[
    str, list[tuple[str, str, str, Any]]
] = {  # what the clients ask for while the service is paused
    "db": [
        ("list", "GET", "/api/v1/items", None),
        ("create", "POST", "/api/v1/items", {"name": "made while paused"}),
    ],
    "redis": [("job", "POST", "/api/v1/jobs/word-count", {"text": "paused redis"})],
    "rabbitmq": [("job", "POST", "/api/v1/jobs/word-count", {"text": "paused broker"})],
}


def assert_answers_within_the_deadline(outcomes: list[Outcome], deadline: float) -> None:
    """Every request ended within the deadline, with an answer that is not a 500."""
    late = [
        o for o in outcomes if o.status is None or o.seconds > deadline + DEADLINE_MARGIN_SECONDS
    ]
    assert not late, (
        f"{len(late)} of {len(outcomes)} outlived the {deadline} s deadline: {late[:3]}"
    )
    errors = [o for o in outcomes if o.status is not None and o.status >= 500]
    assert all(o.status in (503, 504) for o in errors), errors[:3]
    for outcome in errors:
        assert json.loads(outcome.body)["error"]["code"], outcome


@pytest.mark.parametrize("paused", ["db", "redis", "rabbitmq"])
def test_a_paused_dependency_bounds_every_request_and_recovers(
    engine: docker.DockerClient, stack: Stack, paused: str
) -> None:
    if paused not in stack.compose("config", "--services").stdout.split():
        assert (paused, stack.broker) == ("rabbitmq", "redis")
        return
    settings = api_settings(stack.project, stack.env)
    deadline = request_deadline(settings)
    readiness_within = health_check_interval(settings)
    api = service_container(engine, stack, "api")
    started_at = api.attrs["State"]["StartedAt"]
    jobs_before = [stack.call("POST", "/api/v1/jobs/word-count", {"text": "before"})]
    container = service_container(engine, stack, paused)
    load = Load(stack.base_url, PAUSED_ROUTES[paused], timeout=deadline + 15).start()
    # Under way first, as in service: the pool holds connections that the pause then stalls.
    poll(lambda: len(load.outcomes) >= 3 * load.clients, within=30, what="the load under way")
    container.pause()
    paused_at = time.monotonic()
    try:
        readiness: list[Outcome] = []

        def not_ready() -> bool:
            readiness.append(timed_call(stack.base_url, "ready", "GET", "/health/ready", None, 15))
            return readiness[-1].status == 503

        became_not_ready = poll(not_ready, within=deadline + 5, what="readiness 503")
        # Paused well past one deadline: a request left waiting on the dependency (it ends
        # only when the pause does) is then told apart from one that met its deadline.
        held = deadline + 2 * DEADLINE_MARGIN_SECONDS + 3
        poll(lambda: time.monotonic() - paused_at > held, within=held + 5, what="the pause")
    finally:
        container.unpause()
        outcomes = load.stop()
    print(f"\npaused {paused}: longest request {max(o.seconds for o in outcomes):.1f} s "
          f"(deadline {deadline} s), readiness 503 after {became_not_ready:.1f} s")  # fmt: skip
    assert_answers_within_the_deadline(outcomes, deadline)
    assert became_not_ready <= readiness_within + DEADLINE_MARGIN_SECONDS, readiness
    slow_checks = [o for o in readiness if o.seconds > settings["health_check_timeout_seconds"] + 1]
    assert not slow_checks, slow_checks
    # Recovery without a restart; every job accepted before or during the pause runs.
    wait_for_status(stack, "/health/ready", 200, within=60)
    api.reload()
    assert api.attrs["State"]["StartedAt"] == started_at
    if stack.worker != "none":
        accepted = {r.json()["id"]: "before the pause" for r in jobs_before if r.status == 202}
        for outcome in outcomes:
            if outcome.label == "job" and outcome.status == 202:
                accepted[json.loads(outcome.body)["id"]] = f"{outcome.started - paused_at:+.1f} s"
        for job_id, when in accepted.items():
            assert_job_succeeds(stack, f"/api/v1/jobs/{job_id}", when, within=60)


def assert_job_succeeds(stack: Stack, path: str, accepted: str, within: float) -> None:
    """The job at `path` succeeds within `within` seconds; fails with its last state."""
    deadline = time.monotonic() + within
    while (job := stack.get(path).json())["state"] != "succeeded":
        assert time.monotonic() < deadline, f"job accepted {accepted}, after {within} s: {job}"
        time.sleep(0.5)


def test_no_500_while_the_database_starts_up(engine: docker.DockerClient, stack: Stack) -> None:
    # Killed rather than stopped: the restart then recovers from the write-ahead log, which
    # widens the window in which the server accepts connections but refuses queries.
    sampled_within = health_check_interval(api_settings(stack.project, stack.env))
    stack.compose("kill", "db")
    stack.compose("start", "db")
    load = Load(stack.base_url, PAUSED_ROUTES["db"], clients=3, timeout=20).start()
    try:
        # Readiness serves the latest sample: until one is taken after the restart, its
        # 200 can be the one from before the kill.
        time.sleep(sampled_within)
        wait_for_status(stack, "/health/ready", 200, within=90)
    finally:
        outcomes = load.stop()
    statuses = sorted({o.status for o in outcomes}, key=str)
    print(
        f"\nduring the database's start-up ({stack.database}): {len(outcomes)} requests, {statuses}"
    )
    assert [o for o in outcomes if o.status is None or (o.status >= 500 and o.status != 503)] == []
    for outcome in outcomes:
        if outcome.status == 503:
            assert json.loads(outcome.body)["error"]["code"] == "service_unavailable", outcome
    assert stack.get("/api/v1/items").status == 200
