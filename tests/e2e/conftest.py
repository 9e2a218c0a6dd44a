"""What the end-to-end tests share: the Docker engine, the stand-in images, `copier copy`
of the working tree through the CLI, and the running stack of each server database (one
per session, for every module that asks for it). A missing engine or image fails the test
with how to fix it; nothing here skips."""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
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

from ..answers import BASE
from ..conftest import TEMPLATE_DIR, TOOL_ENV, in_a_group_of_its_own, require_tool

STANDIN_PYTHON_IMAGE = os.environ.get("STANDIN_PYTHON_IMAGE", "slipway-standin/python:3.13")
STANDIN_POSTGRES_IMAGE = os.environ.get("STANDIN_POSTGRES_IMAGE", "slipway-standin/postgres:17")
STANDIN_MARIADB_IMAGE = os.environ.get("STANDIN_MARIADB_IMAGE", "slipway-standin/mariadb:11")
STANDIN_REDIS_IMAGE = os.environ.get("STANDIN_REDIS_IMAGE", "slipway-standin/redis:7")
STANDIN_RABBITMQ_IMAGE = os.environ.get("STANDIN_RABBITMQ_IMAGE", "slipway-standin/rabbitmq:4")
STANDIN_PROMETHEUS_IMAGE = os.environ.get(
    "STANDIN_PROMETHEUS_IMAGE", "slipway-standin/prometheus:trixie"
)


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    require_tool("docker")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.fail(f"no Docker engine answers ({error}); run `bash tests/e2e/standins.sh`")
    return client


def free_port() -> int:
    """A TCP port nobody listens on now, for a stack's published ports."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def require_image(engine: docker.DockerClient, image: str) -> None:
    try:
        engine.images.get(image)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{image} is missing; run `bash tests/e2e/standins.sh`")


def copier_copy(
    destination: Path, env: dict[str, str], timeout: float = 1500, **answers: object
) -> subprocess.CompletedProcess[str]:
    """`copier copy` of the working tree: BASE plus `answers`, every other answer a default."""
    data = [f"--data={key}={value}" for key, value in {**BASE, **answers}.items()]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--vcs-ref=HEAD",
            *data,
            str(TEMPLATE_DIR),
            str(destination),
        ],
        env={**os.environ, **TOOL_ENV, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


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


# Session-wide: the database stacks' modules (functional, then under faults) share one.
@pytest.fixture(
    scope="session", params=[in_a_group_of_its_own("stack", db) for db in ("postgresql", "mysql")]
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
