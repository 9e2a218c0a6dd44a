"""/health/live, /health/ready and /health, with the checks the lifespan registered."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ..conftest import ClientFactory


def test_live_answers_without_calling_dependencies(client: TestClient) -> None:
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_live_answers_head_for_uptime_checkers(client: TestClient) -> None:
    response = client.head("/health/live")
    assert response.status_code == 200
    assert response.content == b""


def test_ready_with_every_check_passing(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_health_reports_version_and_uptime(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "pass"
    assert body["version"]
    assert body["uptime_seconds"] >= 0
    assert isinstance(body["checks"], list)


async def _down() -> None:
    raise ConnectionError("refused")


async def _up() -> None:
    await asyncio.sleep(0)


def _register_checks(app: FastAPI) -> None:
    """Wrap the lifespan so that, like a real client, the checks register at start-up."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Mapping[str, Any]]:
        async with inner(application) as state:
            assert state is not None
            state["health"].register("cache", _up)
            state["health"].register("database", _down)
            yield state

    app.router.lifespan_context = lifespan


def test_ready_is_503_naming_the_failing_dependency(make_client: ClientFactory) -> None:
    client = make_client(customize=_register_checks)
    response = client.get("/health/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    failing = error["details"]["failing"]
    assert [check["name"] for check in failing] == ["database"]
    assert failing[0]["error"] == "ConnectionError"


def test_health_reports_each_check_with_latency(make_client: ClientFactory) -> None:
    client = make_client(customize=_register_checks)
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "fail"
    checks = {check["name"]: check for check in body["checks"]}
    assert checks["cache"]["status"] == "pass"
    assert checks["database"]["status"] == "fail"
    assert all(check["latency_ms"] >= 0 for check in checks.values())
