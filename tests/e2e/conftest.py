"""What the end-to-end tests share: the Docker engine, the stand-in images, and
`copier copy` of the working tree through the CLI. A missing engine or image fails the
test with how to fix it; nothing here skips."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from ..answers import BASE
from ..conftest import TEMPLATE_DIR, TOOL_ENV, require_tool

STANDIN_PYTHON_IMAGE = os.environ.get("STANDIN_PYTHON_IMAGE", "slipway-standin/python:3.13")
STANDIN_POSTGRES_IMAGE = os.environ.get("STANDIN_POSTGRES_IMAGE", "slipway-standin/postgres:17")
STANDIN_MARIADB_IMAGE = os.environ.get("STANDIN_MARIADB_IMAGE", "slipway-standin/mariadb:11")
STANDIN_REDIS_IMAGE = os.environ.get("STANDIN_REDIS_IMAGE", "slipway-standin/redis:7")
STANDIN_RABBITMQ_IMAGE = os.environ.get("STANDIN_RABBITMQ_IMAGE", "slipway-standin/rabbitmq:4")
STANDIN_PROMETHEUS_IMAGE = os.environ.get(
    "STANDIN_PROMETHEUS_IMAGE", "slipway-standin/prometheus:trixie"
)


@pytest.fixture(scope="module")
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
