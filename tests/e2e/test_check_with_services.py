"""The generated README's "Test it" command, run as written: it starts the project's own
compose services and the generated suite passes against them, not against this
machine's servers (which listen on the default ports; the project's get free ones)."""

import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from ..conftest import TOOL_ENV, in_a_group_of_its_own, shell_block_after
from ..generated_suite import pytest_addopts
from .conftest import (
    STANDIN_MARIADB_IMAGE,
    STANDIN_RABBITMQ_IMAGE,
    STANDIN_REDIS_IMAGE,
    copier_copy,
    free_port,
    output_of,
    require_image,
)

pytestmark = pytest.mark.e2e

# Every kind of service in one project: a server database, Redis, RabbitMQ. A PostgreSQL
# row (db only) passed too, but cost another 2.3 minutes on a 2-core machine.
ROWS = {
    "mysql-redis-celery-rabbitmq": {
        "database": "mysql",
        "cache": "redis",
        "worker": "celery",
        "broker": "rabbitmq",
    },
}
IMAGES = {
    "MYSQL_IMAGE": STANDIN_MARIADB_IMAGE,
    "REDIS_IMAGE": STANDIN_REDIS_IMAGE,
    "RABBITMQ_IMAGE": STANDIN_RABBITMQ_IMAGE,
}
# Each service, and the variable compose.dev.yaml publishes its port with.
PORT_VARIABLES = {"db": "MYSQL_PORT", "redis": "REDIS_PORT", "rabbitmq": "RABBITMQ_PORT"}
# What the command must supply itself: none of it may come from the caller's shell.
TEST_URLS = ("TEST_DATABASE_URL", "TEST_REDIS_URL", "TEST_BROKER_URL")
# Seconds the README's command took, per row; printed, never asserted.
WALL_SECONDS: dict[str, float] = {}

Run = Callable[..., subprocess.CompletedProcess[str]]


def assert_the_suite_used_the_database(run: Run) -> None:
    """The suite created its database on the compose server, and dropped it. MariaDB's
    counters start at the server's start; the image's own set-up runs before it."""
    query = "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_create_db', 'Com_drop_db')"
    script = f'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mariadb -uroot -N -e "{query}"'
    found = run("docker", "compose", "exec", "-T", "db", "sh", "-c", script)
    assert found.returncode == 0, output_of(found)
    counts = dict(line.split("\t") for line in found.stdout.splitlines())
    assert int(counts["Com_create_db"]) >= 1, counts
    assert counts["Com_drop_db"] == counts["Com_create_db"], counts


def assert_the_suite_used_redis_and_rabbitmq(run: Run) -> None:
    """Writes in Redis (its health check only pings), and the app's logins to RabbitMQ
    (its health check does not log in)."""
    stats = run("docker", "compose", "exec", "-T", "redis", "redis-cli", "INFO", "commandstats")
    assert "cmdstat_set:" in stats.stdout, output_of(stats)
    logs = run("docker", "compose", "logs", "--no-color", "rabbitmq")
    assert "user 'app' authenticated" in logs.stdout, output_of(logs)


@pytest.mark.parametrize("row", [in_a_group_of_its_own("check-with-services", r) for r in ROWS])
def test_the_readme_command_runs_the_suite_against_the_projects_own_services(
    row: str, engine: docker.DockerClient, tmp_path: Path
) -> None:
    for image in IMAGES.values():
        require_image(engine, image)
    project = tmp_path / "orders-service"
    copied = copier_copy(project, {}, timeout=600, **ROWS[row])
    assert copied.returncode == 0, f"copier copy failed:\n{output_of(copied)}"
    command = shell_block_after((project / "README.md").read_text(), "## Test it")
    ports = {service: str(free_port()) for service in PORT_VARIABLES}
    env = {
        **{key: value for key, value in os.environ.items() if key not in TEST_URLS},
        **TOOL_ENV,
        **IMAGES,
        **{PORT_VARIABLES[service]: port for service, port in ports.items()},
        "COMPOSE_PROJECT_NAME": f"slipway-check-{secrets.token_hex(3)}",
        # Slow tests that rows of the render matrix run (tests/generated_suite.py)
        "PYTEST_ADDOPTS": pytest_addopts(None),
    }

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=project, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    try:
        started = time.monotonic()
        result = run("bash", "-c", command, timeout=1500)
        WALL_SECONDS[row] = round(time.monotonic() - started, 1)
        print(f"\nthe README's `{command.split('#')[0].strip()}` ({row}): {WALL_SECONDS[row]} s")
        assert result.returncode == 0, f"`{command}` failed:\n{output_of(result)}"
        # pytest ran and passed; make check went on to mypy, its last step.
        summary = re.compile(r"^=+ \d+ passed(, \d+ deselected)? in ", re.MULTILINE)
        assert summary.search(result.stdout), output_of(result)
        assert "Success: no issues found" in result.stdout
        for service, port in ports.items():
            assert f"{service} on 127.0.0.1:{port}" in result.stdout, result.stdout
        assert "`make down` stops them" in result.stdout
        running = run("docker", "compose", "ps", "--status", "running", "--services")
        assert set(running.stdout.split()) == set(PORT_VARIABLES), output_of(running)
        assert_the_suite_used_the_database(run)
        assert_the_suite_used_redis_and_rabbitmq(run)
    finally:
        run("docker", "compose", "down", "--volumes", "--remove-orphans", timeout=180)
