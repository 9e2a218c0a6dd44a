"""End to end, monitoring: a project rendered with Prometheus metrics and a Celery worker
starts the api, the worker, Redis and the `prometheus` service of the compose profile
`monitoring` from the offline stand-in images (Debian's prometheus package); Prometheus
scrapes the api's and the worker's metrics ports over the compose network, reports both
targets up, and sees the job the api enqueued counted by the worker.
Needs a Docker engine: without one this test fails, it never skips."""

import contextlib
import json
import os
import secrets
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from ..conftest import TOOL_ENV
from .conftest import (
    STANDIN_PROMETHEUS_IMAGE,
    STANDIN_PYTHON_IMAGE,
    STANDIN_REDIS_IMAGE,
    copier_copy,
    free_port,
    require_image,
)

pytestmark = pytest.mark.e2e

WAIT_TIMEOUT_SECONDS = 180
# Prometheus scrapes every 15 s (deploy/prometheus/prometheus.yml): two rounds and margin.
SCRAPE_DEADLINE_SECONDS = 60
# Two evaluation rounds (evaluation_interval: 15s) and a margin.
RULES_SETTLE_SECONDS = 45


@dataclass(frozen=True)
class MonitoredStack:
    project: Path
    env: dict[str, str]
    prometheus_url: str
    api_url: str

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "compose", "--profile", "monitoring", *args],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def post_job(self, text: str) -> Any:
        request = urllib.request.Request(
            f"{self.api_url}/api/v1/jobs/word-count",
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def query(self, expression: str, until: Any, within: float = SCRAPE_DEADLINE_SECONDS) -> float:
        """The expression's single value once `until(value)` holds; fails at the deadline."""
        deadline = time.monotonic() + within
        while True:
            result = self.prometheus_api("query", query=expression)["result"]
            value = float(result[0]["value"][1]) if result else None
            if value is not None and until(value):
                return value
            assert time.monotonic() < deadline, f"{expression} is {value} after {within} s"
            time.sleep(1)

    def prometheus_api(self, path: str, **query: str) -> Any:
        url = f"{self.prometheus_url}/api/v1/{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)["data"]


@pytest.fixture(scope="module")
def stack(
    engine: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MonitoredStack]:
    for image in (STANDIN_PYTHON_IMAGE, STANDIN_PROMETHEUS_IMAGE, STANDIN_REDIS_IMAGE):
        require_image(engine, image)
    project = tmp_path_factory.mktemp("stack-monitoring") / "orders-service"
    result = copier_copy(
        project, {}, timeout=600, post_copy_validation="static", database="none", worker="celery"
    )
    assert result.returncode == 0, f"copier copy failed:\n{result.stdout}\n{result.stderr}"
    name = f"slipway-monitoring-{secrets.token_hex(3)}"
    prometheus_port = free_port()
    env = {
        **os.environ,
        **TOOL_ENV,
        "PYTHON_IMAGE": STANDIN_PYTHON_IMAGE,
        "PROMETHEUS_IMAGE": STANDIN_PROMETHEUS_IMAGE,
        "REDIS_IMAGE": STANDIN_REDIS_IMAGE,
        "COMPOSE_PROJECT_NAME": name,
        "API_IMAGE": f"{name}:latest",
        "HTTP_PORT": str(http_port := free_port()),
        "PROMETHEUS_PORT": str(prometheus_port),
    }
    running = MonitoredStack(
        project, env, f"http://127.0.0.1:{prometheus_port}", f"http://127.0.0.1:{http_port}"
    )
    try:
        # Grafana has no stand-in: everything else.
        up = running.compose(
            "up", "--detach", "--build", "--wait", "--wait-timeout", str(WAIT_TIMEOUT_SECONDS),
            "api", "worker", "prometheus", timeout=900,
        )  # fmt: skip
        if up.returncode != 0:
            logs = running.compose("logs", "--no-color", "--tail", "40")
            pytest.fail(f"`docker compose up` failed:\n{up.stderr}\nlogs:\n{logs.stdout}")
        yield running
    finally:
        running.compose("down", "--volumes", "--remove-orphans", timeout=180)
        with contextlib.suppress(docker.errors.ImageNotFound):  # the build failed
            engine.images.remove(env["API_IMAGE"], force=True)


def test_prometheus_scrapes_the_api_and_the_worker_and_reports_them_up(
    stack: MonitoredStack,
) -> None:
    deadline = time.monotonic() + SCRAPE_DEADLINE_SECONDS
    targets: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        targets = stack.prometheus_api("targets", state="active")["activeTargets"]
        if [target["health"] for target in targets] == ["up", "up"]:
            break
        time.sleep(1)
    health = {target["labels"]["job"]: target["health"] for target in targets}
    assert health == {"api": "up", "worker": "up"}, targets
    scraped = {target["labels"]["job"]: target["scrapeUrl"] for target in targets}
    assert scraped == {"api": "http://api:9464/metrics", "worker": "http://worker:9464/metrics"}
    # The healthcheck's probes of /health/live, summed over the api's two workers.
    stack.query('sum(http_request_duration_seconds_count{route="/health/live"})', until=bool)
    # The rule file was loaded: every alert rule is there. None fires on a healthy stack,
    # and each settles to inactive once the rules are evaluated on a healthy stack (one
    # evaluated while a target was still starting may be pending until the next round).
    deadline = time.monotonic() + RULES_SETTLE_SECONDS
    settled_from: dict[str, str] = {}  # printed, never asserted: what was not yet inactive
    while True:
        rules = [
            rule for group in stack.prometheus_api("rules")["groups"] for rule in group["rules"]
        ]
        states = {rule["name"]: rule["state"] for rule in rules}
        assert "firing" not in states.values(), states
        settled_from |= {name: state for name, state in states.items() if state != "inactive"}
        if set(states.values()) == {"inactive"} or time.monotonic() > deadline:
            break
        time.sleep(2)
    print(f"\nalert rules not yet inactive when first read: {settled_from}")
    assert states == dict.fromkeys(
        (
            "ApiDown",
            "ApiHighErrorRate",
            "ApiSlowResponses",
            "ApiNotReady",
            "WorkerDown",
            "JobBacklogGrowing",
            "JobFailures",
        ),
        "inactive",
    ), rules


def test_the_workers_job_runs_and_the_apis_backlog_reach_prometheus(stack: MonitoredStack) -> None:
    succeeded = (
        'sum(job_runs_total{job="worker", task="count_words", outcome="succeeded"}) or vector(0)'
    )
    before = stack.query(succeeded, until=lambda _: True)
    stack.post_job("counted by the worker, scraped by prometheus")
    # The job runs in a child process of the Celery pool; the worker's main process serves it.
    stack.query(succeeded, until=lambda value: value >= before + 1)
    stack.query('job_queue_backlog{job="api"}', until=lambda value: value == 0)


def test_the_api_publishes_its_service_port_only(stack: MonitoredStack) -> None:
    listed = stack.compose("ps", "--format", "json", "api")
    assert listed.returncode == 0, listed.stderr
    api = json.loads(listed.stdout.splitlines()[0])
    published = {entry["TargetPort"] for entry in api["Publishers"] if entry["PublishedPort"]}
    assert published == {8000}  # the metrics port (9464) is reached on the network only
