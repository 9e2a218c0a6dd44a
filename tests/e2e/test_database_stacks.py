"""End to end, for each server database: a project rendered at level static starts its
Compose stack (db, migrate, api; the PostgreSQL project also has the Redis cache and the
ARQ worker, the MariaDB one a Celery worker on RabbitMQ with its results in Redis) from
the offline stand-in images; the tests then drive the example resource and a job through
the published port, back the database up and restore it with the generated scripts, and
stop and start the database, Redis and RabbitMQ under the running api. The stacks come
from conftest.py; test_database_stacks_under_faults.py tries them under faults after.
Needs a Docker engine: without one these tests fail, they never skip
(tests/e2e/standins.sh prepares one, offline)."""

import contextlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from .conftest import (
    Response,
    Stack,
    output_of,
    service_container,
    wait_for_status,
    wait_until_healthy,
)

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def outage(
    engine: docker.DockerClient, stack: Stack, service: str, *, recover_within: float
) -> Iterator[Response]:
    """Stop `service` under the running api and give the api's first 503 readiness answer;
    then start it again: readiness must recover without an api restart."""
    api = service_container(engine, stack, "api")
    started_at = api.attrs["State"]["StartedAt"]
    stack.compose("stop", service)
    try:
        yield wait_for_status(stack, "/health/ready", 503, within=15)
    finally:
        # Even when the block failed: the next test needs the service back.
        stack.compose("start", service)
        wait_for_status(stack, "/health/ready", 200, within=recover_within)
    api.reload()
    assert api.attrs["State"]["StartedAt"] == started_at


def failing_checks(not_ready: Response) -> dict[str, str]:
    """The readiness checks that failed, with what each reported."""
    failing = not_ready.json()["error"]["details"]["failing"]
    return {check["name"]: check["error"] for check in failing}


def assert_enqueueing_refused(stack: Stack) -> Response:
    refused = stack.call("POST", "/api/v1/jobs/word-count", {"text": "not now"})
    assert refused.status == 503, refused.text
    assert refused.json()["error"]["code"] == "service_unavailable"
    return refused


def create_item(stack: Stack, name: str) -> dict[str, Any]:
    response = stack.call("POST", "/api/v1/items", {"name": name})
    assert response.status == 201, response.text
    item: dict[str, Any] = response.json()
    return item


def test_migrations_ran_and_the_api_is_healthy(engine: docker.DockerClient, stack: Stack) -> None:
    migrate = service_container(engine, stack, "migrate")
    assert migrate.attrs["State"]["Status"] == "exited"
    assert migrate.attrs["State"]["ExitCode"] == 0, migrate.logs(tail=40).decode()
    api = service_container(engine, stack, "api")
    assert api.attrs["State"]["Health"]["Status"] == "healthy"


def test_items_crud_through_the_published_port(stack: Stack) -> None:
    name = f"crud-{secrets.token_hex(4)}"
    created = stack.call("POST", "/api/v1/items", {"name": name, "description": "first"})
    assert created.status == 201, created.text
    item = created.json()
    path = f"/api/v1/items/{item['id']}"
    assert created.headers["location"].endswith(path)

    fetched = stack.get(path)
    assert fetched.status == 200
    assert fetched.json()["name"] == name

    listed = stack.get("/api/v1/items?limit=100")
    assert listed.status == 200
    assert item["id"] in [listed_item["id"] for listed_item in listed.json()["items"]]

    patched = stack.call("PATCH", path, {"description": "second"})
    assert patched.status == 200, patched.text
    assert (patched.json()["name"], patched.json()["description"]) == (name, "second")

    duplicate = stack.call("POST", "/api/v1/items", {"name": name})
    assert duplicate.status == 409
    assert duplicate.json()["error"]["code"] == "conflict"

    assert stack.call("DELETE", path).status == 204
    gone = stack.get(path)
    assert gone.status == 404
    assert gone.json()["error"]["code"] == "not_found"


def test_backup_and_restore_bring_a_deleted_item_back(stack: Stack, tmp_path: Path) -> None:
    name = f"backup-{secrets.token_hex(4)}"
    item = create_item(stack, name)
    path = f"/api/v1/items/{item['id']}"
    dump = tmp_path / "dump.sql.gz"
    backup = stack.run("scripts/db-backup.sh", str(dump))
    assert backup.returncode == 0, output_of(backup)
    assert dump.stat().st_size > 0

    assert stack.call("DELETE", path).status == 204
    stack.compose("stop", "api")
    restore = stack.run("scripts/db-restore.sh", str(dump), "--yes")
    assert restore.returncode == 0, output_of(restore)
    stack.compose("start", "api")
    wait_for_status(stack, "/health/ready", 200, within=90)

    restored = stack.get(path)
    assert restored.status == 200, restored.text
    assert restored.json()["name"] == name


def test_restore_names_a_missing_file(stack: Stack) -> None:
    result = stack.run("scripts/db-restore.sh", "/nonexistent", "--yes")
    assert result.returncode == 2, output_of(result)
    assert "/nonexistent" in result.stderr


def test_readiness_follows_the_database_without_restarting_the_api(
    engine: docker.DockerClient, stack: Stack
) -> None:
    with outage(engine, stack, "db", recover_within=60) as not_ready:
        error = not_ready.json()["error"]
        assert error["code"] == "not_ready"
        assert "database" in failing_checks(not_ready)

        items = stack.get("/api/v1/items")
        assert items.status == 503, items.text
        assert items.json()["error"]["code"] == "service_unavailable"
        assert "retry-after" in items.headers
        assert "Traceback" not in items.text


def cached_keys(stack: Stack) -> list[str]:
    """The keys in the stack's Redis (redis-cli authenticates with REDISCLI_AUTH)."""
    result = stack.compose("exec", "-T", "redis", "redis-cli", "--scan")
    return result.stdout.split()


def test_item_reads_are_cached_in_redis(stack: Stack) -> None:
    if stack.cache != "redis":
        checks = stack.get("/health/ready").json()["checks"]
        assert "cache" not in [check["name"] for check in checks]
        return
    item = create_item(stack, f"cached-{secrets.token_hex(4)}")
    key = f"orders-service:items:{item['id']}"
    assert key not in cached_keys(stack)
    assert stack.get(f"/api/v1/items/{item['id']}").status == 200
    assert key in cached_keys(stack)
    assert stack.call("DELETE", f"/api/v1/items/{item['id']}").status == 204
    assert key not in cached_keys(stack)


def test_readiness_follows_redis_without_restarting_the_api(
    engine: docker.DockerClient, stack: Stack
) -> None:
    # What Redis holds in each stack: the cache, the jobs, their results.
    needs_redis = {"cache": stack.cache == "redis"}
    if stack.worker != "none":
        needs_redis["broker" if stack.broker == "redis" else "job_results"] = True
    item = create_item(stack, f"outage-{secrets.token_hex(4)}")
    with outage(engine, stack, "redis", recover_within=60) as not_ready:
        failing = failing_checks(not_ready)
        assert sorted(failing) == sorted(name for name, needed in needs_redis.items() if needed), (
            failing
        )
        assert_enqueueing_refused(stack)
        # Reads go to the database while the cache is gone.
        read = stack.get(f"/api/v1/items/{item['id']}")
        assert read.status == 200, read.text


def test_readiness_follows_rabbitmq_without_restarting_the_api(
    engine: docker.DockerClient, stack: Stack
) -> None:
    if stack.broker != "rabbitmq":
        assert "rabbitmq" not in stack.compose("config", "--services").stdout.split()
        return
    with outage(engine, stack, "rabbitmq", recover_within=90) as not_ready:
        failing = failing_checks(not_ready)
        assert list(failing) == ["broker"], failing
        refused = assert_enqueueing_refused(stack)
        assert "retry-after" in refused.headers


def test_a_job_enqueued_through_the_api_completes_in_the_worker(
    engine: docker.DockerClient, stack: Stack
) -> None:
    if stack.worker == "none":
        assert "worker" not in stack.compose("config", "--services").stdout.split()
        return
    # The worker may still be coming back from the outages above.
    worker = service_container(engine, stack, "worker")
    wait_until_healthy(worker, within=120)
    print(f"\nworker restarts after the outages ({stack.worker}): {worker.attrs['RestartCount']}")
    request_id = f"e2e-{secrets.token_hex(8)}"
    started = time.monotonic()
    accepted = stack.call(
        "POST",
        "/api/v1/jobs/word-count",
        {"text": "to be or not to be"},
        extra_headers={"X-Request-ID": request_id},
    )
    assert accepted.status == 202, accepted.text
    job_path = "/api/v1/jobs/" + accepted.json()["id"]
    deadline = started + 10
    while (job := stack.get(job_path).json())["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    print(f"\nenqueue to result visible through the api: {time.monotonic() - started:.3f} s")
    assert job["state"] == "succeeded", job
    assert job["result"] == {"words": 6, "distinct_words": 4}
    logs = stack.compose("logs", "--no-color", "worker").stdout
    assert request_id in logs
