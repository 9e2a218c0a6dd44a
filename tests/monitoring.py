"""What the render tests need to check a project's monitoring: promtool, and the metric
names that PromQL expressions use and that the generated service exports."""

import os
import re
import shutil
from pathlib import Path

import pytest

from .conftest import Rendered, require_tool, run_in

STANDIN_PROMETHEUS_IMAGE = os.environ.get(
    "STANDIN_PROMETHEUS_IMAGE", "slipway-standin/prometheus:trixie"
)
# Series Prometheus makes itself for every target, not exported by the service.
PROMETHEUS_SERIES = frozenset({"up"})
_LABEL_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset"})

# Creates the service's metrics the way traffic does: a request to a route, one to no
# route (an error), readiness with one dependency check, and with a worker one job run;
# then prints the exposition.
EXPORT_SCRIPT = """
import importlib.util
from contextlib import asynccontextmanager

from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from {package}.app import create_app
from {package}.metrics.instruments import REGISTRY
from {package}.metrics.resource import metrics
from {package}.settings import load_settings


async def passing():
    return None


@asynccontextmanager
async def dependency(settings, health):
    health.register("dependency", passing)
    yield {{}}


app = create_app(load_settings(secret_key="x" * 40), resources=[dependency, metrics])
with TestClient(app, raise_server_exceptions=False) as client:
    for path in ("/health/live", "/health/ready", "/no-such-path"):
        client.get(path)
if importlib.util.find_spec("{package}.metrics.jobs"):
    from {package}.metrics.jobs import measured_run

    with measured_run("count_words"):
        pass
print(generate_latest(REGISTRY).decode())
"""


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (functions and label names left out)."""
    bare = _GROUPING.sub(" ", _RANGES.sub(" ", _LABEL_MATCHERS.sub(" ", expression)))
    return {name for name, call in _IDENTIFIER.findall(bare) if not call and name not in _KEYWORDS}


def exported_sample_names(project: Rendered, package: str) -> set[str]:
    """Every sample name the generated service's /metrics shows after a little traffic."""
    script = EXPORT_SCRIPT.format(package=package)
    exposition = project.run("uv", "run", "--frozen", "python", "-c", script).stdout
    return {
        re.split(r"[{ ]", line, maxsplit=1)[0]
        for line in exposition.splitlines()
        if line and not line.startswith("#")
    }


def promtool(directory: Path, *arguments: str) -> tuple[int, str]:
    """`promtool ARGUMENTS` on the files in `directory` (named relative to it): the host's
    promtool, or the one in the stand-in Prometheus image."""
    if (local := shutil.which("promtool")) is not None:
        result = run_in(directory, [local, *arguments])
    else:
        docker = require_tool("docker")
        if run_in(directory, [docker, "image", "inspect", STANDIN_PROMETHEUS_IMAGE]).returncode:
            pytest.fail(
                f"no promtool on PATH and no {STANDIN_PROMETHEUS_IMAGE} image: "
                "run `bash tests/e2e/standins.sh`, or install promtool (Debian: prometheus)"
            )
        command = [docker, "run", "--rm", "--network", "none", "-v", f"{directory}:/config:ro"]
        command += ["-w", "/config", "--entrypoint", "promtool", STANDIN_PROMETHEUS_IMAGE]
        result = run_in(directory, [*command, *arguments])
    return result.returncode, result.stdout + result.stderr
