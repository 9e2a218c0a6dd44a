"""Fixtures shared by the template's tests: rendering, and running the generated project's tools."""

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import pytest

from .answers import Answers, uses_rabbitmq, uses_redis

TEMPLATE_DIR = Path(__file__).resolve().parents[1]

# uv must not try to download interpreters (there may be no network for it) and must
# not pick up a developer's project environment.
TOOL_ENV = {"UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": "", "PYTHONDONTWRITEBYTECODE": "1"}

# The database servers the generated suites run against (TEST_DATABASE_URL): each
# suite creates a database of its own there and drops it afterwards.
DATABASE_SERVERS = {
    "postgresql": os.environ.get(
        "SLIPWAY_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    ),
    "mysql": os.environ.get("SLIPWAY_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/test"),
}
# The Redis the generated suites with a cache or a worker use (TEST_REDIS_URL): each run
# writes keys of its own and deletes them afterwards.
REDIS_SERVER = os.environ.get("SLIPWAY_REDIS_URL", "redis://127.0.0.1:6379/0")
# The RabbitMQ the generated suites with a worker on RabbitMQ use (TEST_BROKER_URL): each
# run takes queues and exchanges of its own and deletes them afterwards.
RABBITMQ_SERVER = os.environ.get("SLIPWAY_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@dataclass(frozen=True)
class Rendered:
    path: Path
    answers: Answers

    def run(
        self, *command: str, timeout: float = 600, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the project, with `env` over the test servers' variables; fail
        the test with its output when it fails."""
        try:
            result = run_in(self.path, command, timeout=timeout, env={**self.env, **(env or {})})
        except subprocess.TimeoutExpired as stuck:  # say what it printed before it stuck
            printed = [
                part.decode(errors="replace") if isinstance(part, bytes) else part or ""
                for part in (stuck.stdout, stuck.stderr)
            ]
            pytest.fail(
                f"`{' '.join(command)}` ran over {timeout} s in {self.path}:\n" + "\n".join(printed)
            )
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` failed in {self.path}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    @property
    def env(self) -> dict[str, str]:
        """What the generated suite needs: the servers of the chosen database, cache and broker."""
        env = {}
        if server := DATABASE_SERVERS.get(self.answers.get("database", "postgresql")):
            env["TEST_DATABASE_URL"] = server
        if uses_redis(self.answers):
            env["TEST_REDIS_URL"] = REDIS_SERVER
        if uses_rabbitmq(self.answers):
            env["TEST_BROKER_URL"] = RABBITMQ_SERVER
        return env


def run_in(
    cwd: Path, command: Sequence[str], *, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **TOOL_ENV, **(env or {})}
    return subprocess.run(
        list(command),
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def render(destination: Path, answers: Answers, *, tasks: bool = False) -> Rendered:
    """Render the working tree of the template (uncommitted changes included)."""
    copier.run_copy(
        str(TEMPLATE_DIR),
        str(destination),
        data=answers,
        defaults=True,
        unsafe=True,
        skip_tasks=not tasks,
        quiet=True,
        vcs_ref="HEAD",
    )
    return Rendered(destination, answers)


def shell_block_after(readme: str, heading: str) -> str:
    """The first ```sh block after `heading`."""
    section = readme.split(heading, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, f"no ```sh block after {heading!r} in the README"
    return block.group(1).strip()


def require_tool(name: str) -> str:
    """The tool's path; a missing tool fails the test, it never skips it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH; run the suite through `bash .ci/run` or install it")
    return path


# Scheduling under xdist (`--dist loadgroup` in pyproject.toml): each test module runs
# whole on one worker, so its module fixtures (renders, stacks) are built once, except
# that every parameter of a slow module-scoped fixture is a group of its own, so the
# render rows and the e2e stacks spread over the workers.


def in_a_group_of_its_own(family: str, value: str) -> Any:
    """A fixture parameter whose tests xdist keeps together on one worker, apart from the rest."""
    return pytest.param(value, id=value, marks=pytest.mark.xdist_group(f"{family}-{value}"))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
