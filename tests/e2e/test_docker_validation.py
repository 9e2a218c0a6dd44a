"""End to end: `copier copy` with post_copy_validation=docker builds the image, starts the
stack and probes it in a real container. Needs a Docker engine: without one these tests
fail, they never skip (tests/e2e/standins.sh prepares one, offline)."""

import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.models.images import Image

from .conftest import STANDIN_POSTGRES_IMAGE, STANDIN_PYTHON_IMAGE, copier_copy, require_image

pytestmark = pytest.mark.e2e

# docs/BUDGETS.md: 70 MB above the base with the default answers, which include
# PostgreSQL (SQLAlchemy, asyncpg and Alembic); this copy adds both authentication methods,
# whose PyJWT[crypto] brings cryptography (19 MB): 20 MB more. MB as scripts/bench.py's, 10**6.
IMAGE_BUDGET_BYTES = (70 + 20) * 1000 * 1000
# Both methods: the stack is probed without credentials, with a forged token, and with an
# API key made in the running container (the items' round trip).
AUTH = "[oidc, api_key]"


@dataclass(frozen=True)
class Validation:
    """What one `copier copy` at level docker left behind."""

    report: dict[str, Any]
    output: str
    tag: str
    started: int


@pytest.fixture(scope="module")
def validated(
    engine: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Validation]:
    """One copy at level docker; yields what the smoke test recorded, then cleans up."""
    for image in (STANDIN_PYTHON_IMAGE, STANDIN_POSTGRES_IMAGE):
        require_image(engine, image)
    workdir = tmp_path_factory.mktemp("e2e")
    tag = f"slipway-e2e-{secrets.token_hex(3)}"
    report_path = workdir / "smoke-report.json"
    env = {
        "PYTHON_IMAGE": STANDIN_PYTHON_IMAGE,
        "POSTGRES_IMAGE": STANDIN_POSTGRES_IMAGE,
        "SMOKE_REPORT_PATH": str(report_path),
        "COMPOSE_PROJECT_NAME": tag,
        "API_IMAGE": f"{tag}:latest",
    }
    started = int(time.time()) - 1
    result = copier_copy(workdir / "orders-service", env, post_copy_validation="docker", auth=AUTH)
    assert result.returncode == 0, f"copier copy failed:\n{result.stdout}\n{result.stderr}"
    report = json.loads(report_path.read_text())
    yield Validation(report, result.stdout + result.stderr, tag, started)
    engine.images.remove(f"{tag}:latest", force=True)


def test_every_probe_answered_as_expected(validated: Validation) -> None:
    probes = validated.report["probes"]
    assert {path: status for path, status in probes.items() if "/items" not in path} == {
        "GET /health/live": 200,
        "GET /health/ready": 200,
        "GET /health": 200,
        "GET /api/v1/no-such-thing": 404,
    }
    # Without credentials, then with a forged token: both refused.
    assert probes["GET /api/v1/items"] == 401
    # The default answers include PostgreSQL: an item went through the migrated database,
    # with the API key.
    assert probes["POST /api/v1/items"] == 409  # the second create, after a 201
    assert sorted(status for path, status in probes.items() if "/items/" in path) == [204, 404]
    assert validated.report["uid"] == 10001


def test_the_probes_ran_against_a_real_container_that_became_healthy(
    engine: docker.DockerClient, validated: Validation
) -> None:
    report = validated.report
    container_id = report["container_id"]
    events = engine.events(
        since=validated.started,
        until=int(time.time()) + 1,
        decode=True,
        filters={"container": container_id},
    )
    actions = [event.get("Action", "") for event in events]
    assert "start" in actions
    assert "health_status: healthy" in actions
    assert "destroy" in actions  # the smoke test tore the stack down


def test_the_stack_is_gone(engine: docker.DockerClient, validated: Validation) -> None:
    label = f"com.docker.compose.project={validated.tag}"
    assert engine.containers.list(all=True, filters={"label": label}) == []
    assert engine.networks.list(filters={"label": label}) == []
    assert engine.volumes.list(filters={"label": label}) == []


def test_the_image_is_labelled_non_root_and_within_budget(
    engine: docker.DockerClient, validated: Validation
) -> None:
    image: Image = engine.images.get(f"{validated.tag}:latest")
    base: Image = engine.images.get(STANDIN_PYTHON_IMAGE)
    config = image.attrs["Config"]
    assert config["Labels"]["org.opencontainers.image.title"] == "orders-service"
    assert config["User"] == "10001:10001"
    assert config["Healthcheck"]["Test"][:2] == ["CMD", "python"]
    assert image.attrs["Size"] - base.attrs["Size"] <= IMAGE_BUDGET_BYTES


def test_hook_output_names_each_check(validated: Validation) -> None:
    output = validated.output
    for check in ("compose config", "hadolint", "smoke"):
        assert check in output


def test_the_docker_validation_says_each_step_as_it_happens(validated: Validation) -> None:
    steps = re.findall(r"^slipway: smoke: +[\d.]+ s  (.+)$", validated.output, re.MULTILINE)
    assert steps[0].startswith("building the image")
    assert any(step.startswith("image built in") for step in steps)
    starting = next(step for step in steps if step.startswith("starting "))
    assert {"api", "db", "migrate"} <= set(re.findall(r"[a-z]+", starting))
    assert "db: running (healthy)" in steps
    assert "api: running (healthy)" in steps
    assert "probing GET /health/ready" in steps
    assert steps[-1] == "stopping the stack (docker compose down --volumes)"


def test_a_failing_build_names_the_check_and_keeps_the_answers(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    env = {
        "PYTHON_IMAGE": "slipway-missing/python:none",
        "SMOKE_REPORT_PATH": str(tmp_path / "r.json"),
    }
    result = copier_copy(tmp_path / "broken", env, post_copy_validation="docker")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "smoke" in output
    assert "slipway-missing/python:none" in output
    saved = [line for line in output.splitlines() if "slipway-answers-" in line]
    assert saved, output
    answers_path = Path(saved[0].split("kept in ", 1)[1].split()[0].rstrip(".;,"))
    assert "project_name: Orders Service" in answers_path.read_text()
    answers_path.unlink()
