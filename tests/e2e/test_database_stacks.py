"""End to end, for each server database: a project rendered at level static starts its
Compose stack (db, migrate, api; the PostgreSQL project also has the Redis cache and the
ARQ worker, the MariaDB one a Celery worker on RabbitMQ with its results in Redis) from
the offline stand-in images; the tests then drive the example resource and a job through
the published port, back the database up and restore it with the generated scripts, and
stop and start the database, Redis and RabbitMQ under the running api.
Needs a Docker engine: without one these tests fail, they never skip
(tests/e2e/standins.sh prepares one, offline)."""

import contextlib
import json
import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.models.containers import Container

from ..conftest import TOOL_ENV, in_a_group_of_its_own
from .conftest import (
    STANDIN_MARIADB_IMAGE,
    STANDIN_POSTGRES_IMAGE,
    STANDIN_PYTHON_IMAGE,
    STANDIN_RABBITMQ_IMAGE,
    STANDIN_REDIS_IMAGE,
    copier_copy,
    free_port,
    require_image,
)
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

# Per database: the compose variable that names the db service's image, and the stand-in.
DB_IMAGES = {
    "postgresql": ("POSTGRES_IMAGE", STANDIN_POSTGRES_IMAGE),
    "mysql": ("MYSQL_IMAGE", STANDIN_MARIADB_IMAGE),
}
# The other components, switched on with one of them: api + PostgreSQL + Redis (cache and
# jobs) + an asyncio worker is a common stack, and so is Celery on RabbitMQ.
COMPONENTS = {
    "postgresql": {"cache": "redis", "worker": "arq", "broker": "redis"},
    "mysql": {"cache": "none", "worker": "celery", "broker": "rabbitmq"},
}
WAIT_TIMEOUT_SECONDS = 180
# Seconds from `docker compose up --build --wait` until it returned with every service
# healthy (image build included), per database; printed, never asserted.
UP_TO_HEALTHY_SECONDS: dict[str, float] = {}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass(frozen=True)
class Stack:
    """A running stack of a rendered project, and how to reach it."""

    database: str
    cache: str
    worker: str
    broker: str
    project: Path
    name: str
    env: dict[str, str]
    base_url: str

    def run(self, *command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a command in the project with the stack's environment; never fails itself."""
        return subprocess.run(
            list(command),
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`docker compose ARGS`; fail the test with its output when it fails."""
        result = self.run("docker", "compose", *args, timeout=timeout)
        if result.returncode != 0:
            pytest.fail(f"`docker compose {' '.join(args)}` failed:\n{output_of(result)}")
        return result

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        timeout: float = 20,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(extra_headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, error.headers, error.read()
        lowered = {key.lower(): value for key, value in headers.items()}
        return Response(status, lowered, raw.decode())

    def get(self, path: str) -> Response:
        return self.call("GET", path)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def service_container(engine: docker.DockerClient, stack: Stack, service: str) -> Container:
    """The one container compose made for the service (running or exited)."""
    labels = [f"com.docker.compose.project={stack.name}", f"com.docker.compose.service={service}"]
    containers = engine.containers.list(all=True, filters={"label": labels})
    assert len(containers) == 1, f"expected one {service} container, found {containers}"
    return containers[0]


def wait_for_status(stack: Stack, path: str, status: int, within: float) -> Response:
    """Poll GET path until it answers status; fail with the last answer otherwise."""
    deadline = time.monotonic() + within
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = stack.call("GET", path, timeout=5)
        except OSError as error:  # not answering yet: refused, reset, timed out
            last = error
        if isinstance(last, Response) and last.status == status:
            return last
        time.sleep(0.5)
    pytest.fail(f"GET {path} did not answer {status} within {within} s; last: {last}")


def wait_until_healthy(container: Container, within: float) -> None:
    deadline = time.monotonic() + within
    while (health := container.attrs["State"].get("Health", {}).get("Status")) != "healthy":
        assert time.monotonic() < deadline, f"{container.name} is {health} after {within} s"
        time.sleep(1)
        container.reload()


@pytest.fixture(
    scope="module", params=[in_a_group_of_its_own("stack", db) for db in ("postgresql", "mysql")]
)
def stack(
    request: pytest.FixtureRequest,
    engine: docker.DockerClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A project rendered for the database, its stack up and healthy; torn down after."""
    database: str = request.param
    image_variable, db_image = DB_IMAGES[database]
    components = COMPONENTS[database]
    for image in (STANDIN_PYTHON_IMAGE, db_image, STANDIN_REDIS_IMAGE, STANDIN_RABBITMQ_IMAGE):
        require_image(engine, image)
    project = tmp_path_factory.mktemp(f"stack-{database}") / "orders-service"
    result = copier_copy(
        project, {}, timeout=600, post_copy_validation="static", database=database, **components
    )
    assert result.returncode == 0, f"copier copy failed:\n{output_of(result)}"
    name = f"slipway-db-{database}-{secrets.token_hex(3)}"
    port = free_port()
    env = {
        **os.environ,
        **TOOL_ENV,
        "PYTHON_IMAGE": STANDIN_PYTHON_IMAGE,
        image_variable: db_image,
        "REDIS_IMAGE": STANDIN_REDIS_IMAGE,
        "RABBITMQ_IMAGE": STANDIN_RABBITMQ_IMAGE,
        "COMPOSE_PROJECT_NAME": name,
        "API_IMAGE": f"{name}:latest",
        "HTTP_PORT": str(port),
    }
    running = Stack(
        database,
        components["cache"],
        components["worker"],
        components["broker"],
        project,
        name,
        env,
        f"http://127.0.0.1:{port}",
    )
    try:
        started = time.monotonic()
        up = running.run(
            "docker",
            "compose",
            "up",
            "--detach",
            "--build",
            "--wait",
            "--wait-timeout",
            str(WAIT_TIMEOUT_SECONDS),
            timeout=900,
        )
        if up.returncode != 0:
            logs = running.run("docker", "compose", "logs", "--no-color", "--tail", "40")
            pytest.fail(f"`docker compose up` failed:\n{output_of(up)}\nlogs:\n{logs.stdout}")
        UP_TO_HEALTHY_SECONDS[database] = round(time.monotonic() - started, 1)
        print(f"\ncompose up to healthy ({database}): {UP_TO_HEALTHY_SECONDS[database]} s")
        yield running
    finally:
        running.run("docker", "compose", "down", "--volumes", "--remove-orphans", timeout=180)
        with contextlib.suppress(docker.errors.ImageNotFound):  # the build failed
            engine.images.remove(env["API_IMAGE"], force=True)
        print(f"\ncompose up to healthy so far, per database: {UP_TO_HEALTHY_SECONDS}")


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


# Faults under load (issue 13): a dependency that stops answering (paused: a partition,
# not a refused connection), and the database's own start-up. Last in the module, so that
# a fault left behind by a failure cannot spoil the tests above.
PAUSED_ROUTES = {  # what the clients ask for while the service is paused
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
    stack.compose("kill", "db")
    stack.compose("start", "db")
    load = Load(stack.base_url, PAUSED_ROUTES["db"], clients=3, timeout=20).start()
    try:
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
