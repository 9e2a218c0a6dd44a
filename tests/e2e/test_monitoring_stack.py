"""End to end, monitoring: a project rendered with Prometheus metrics, PostgreSQL and a
Celery worker starts the api, the worker, the database, Redis and the `prometheus` service
of the compose profile `monitoring` from the offline stand-in images (Debian's prometheus
package); Prometheus scrapes the api's and the worker's metrics ports over the compose
network, reports both targets up, sees the job the api enqueued counted by the worker, and
fires `ApiNotReady` while the database is stopped. The api's connection bounds are tried
here too: an oversized header, idle connections, and the memory they cost.
Needs a Docker engine: without one this test fails, it never skips."""

import contextlib
import json
import os
import secrets
import socket
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
import yaml

from ..conftest import TOOL_ENV
from .conftest import (
    STANDIN_POSTGRES_IMAGE,
    STANDIN_PROMETHEUS_IMAGE,
    STANDIN_PYTHON_IMAGE,
    STANDIN_REDIS_IMAGE,
    copier_copy,
    free_port,
    require_image,
)
from .faults import (
    api_settings,
    container_rss_bytes,
    health_check_interval,
    idle_connection_bound,
    poll,
    raw_exchange,
    status_of,
    still_open,
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
    images = (STANDIN_PYTHON_IMAGE, STANDIN_PROMETHEUS_IMAGE, STANDIN_REDIS_IMAGE)
    for image in (*images, STANDIN_POSTGRES_IMAGE):
        require_image(engine, image)
    project = tmp_path_factory.mktemp("stack-monitoring") / "orders-service"
    result = copier_copy(
        project,
        {},
        timeout=600,
        post_copy_validation="static",
        database="postgresql",
        worker="celery",
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
        "POSTGRES_IMAGE": STANDIN_POSTGRES_IMAGE,
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


def api_port(stack: MonitoredStack) -> int:
    return int(stack.api_url.rsplit(":", 1)[1])


def test_an_oversized_header_is_refused(stack: MonitoredStack) -> None:
    # 1 MiB: far past any sane header bound, far below what a proxy would let through.
    request = b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Padding: "
    request += b"a" * 1024 * 1024 + b"\r\nConnection: close\r\n\r\n"
    answer = raw_exchange(api_port(stack), request, timeout=10)
    assert status_of(answer) in (400, 431), answer[:200]


def test_idle_connections_are_closed_and_cost_bounded_memory(stack: MonitoredStack) -> None:
    settings = api_settings(stack.project, stack.env)
    bound = idle_connection_bound(settings)
    before = container_rss_bytes(stack.project, stack.env)
    connections = []
    try:
        for number in range(200):
            sock = socket.create_connection(("127.0.0.1", api_port(stack)), timeout=5)
            if number % 2:  # half send the start of a request and never finish it
                sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\n")
            sock.setblocking(False)  # still_open() looks without waiting
            connections.append(sock)
        held = container_rss_bytes(stack.project, stack.env)
        print(
            f"\napi RSS: {before / 2**20:.0f} MiB, with 200 idle connections {held / 2**20:.0f} MiB"
        )
        assert held - before < 64 * 2**20
        open_ones = connections
        deadline = time.monotonic() + bound + 10
        while (open_ones := still_open(open_ones)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not open_ones, f"{len(open_ones)} of 200 still open {bound + 10} s after opening"
    finally:
        for sock in connections:
            sock.close()


def alert_rule(stack: MonitoredStack, name: str) -> dict[str, Any]:
    """The alert rule as Prometheus evaluates it: its state (inactive, pending, firing),
    its `for:` (duration, in seconds) and its alerts."""
    for group in stack.prometheus_api("rules")["groups"]:
        for rule in group["rules"]:
            if rule["name"] == name:
                found: dict[str, Any] = rule
                return found
    raise AssertionError(f"no alert rule named {name}")


def alert_state(stack: MonitoredStack, name: str) -> str:
    state: str = alert_rule(stack, name)["state"]
    return state


# The stack's Prometheus, for the alert test: the shipped configuration and rules with
# rounds of 2 s and ApiNotReady's `for:` shortened, so that the test waits seconds.
ALERT_ROUND_SECONDS = 2
API_NOT_READY_FOR_SECONDS = 10
FAST_PROMETHEUS_OVERRIDE = """services:
  prometheus:
    volumes:
      - ./e2e-prometheus:/etc/prometheus:ro
      - prometheus-data:/prometheus
"""


def fast_prometheus(project: Path) -> list[str]:
    """Write the shortened configuration; the compose arguments that use it."""
    shipped = project / "deploy" / "prometheus"
    fast = project / "e2e-prometheus"
    fast.mkdir(exist_ok=True)
    config = yaml.safe_load((shipped / "prometheus.yml").read_text())
    interval = f"{ALERT_ROUND_SECONDS}s"
    config["global"] |= {"scrape_interval": interval, "evaluation_interval": interval}
    (fast / "prometheus.yml").write_text(yaml.safe_dump(config))
    rules = yaml.safe_load((shipped / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "ApiNotReady":
                rule["for"] = f"{API_NOT_READY_FOR_SECONDS}s"
    (fast / "alerts.yml").write_text(yaml.safe_dump(rules))
    (project / "compose.e2e-alerts.yaml").write_text(FAST_PROMETHEUS_OVERRIDE)
    return ["-f", "compose.yaml", "-f", "compose.e2e-alerts.yaml"]


def test_api_not_ready_fires_while_the_database_is_stopped_and_resolves(
    stack: MonitoredStack,
) -> None:
    # Nothing here calls /health/ready: the alert must follow health measured by the api.
    settings = api_settings(stack.project, stack.env)
    sampled_within = health_check_interval(settings) + 2 * ALERT_ROUND_SECONDS
    files = fast_prometheus(stack.project)
    try:
        up = stack.compose(*files, "up", "--detach", "--wait", "prometheus")
        assert up.returncode == 0, up.stderr
        # Prometheus runs the shortened rule, and the alert is not already firing.
        rule = alert_rule(stack, "ApiNotReady")
        assert rule["duration"] == API_NOT_READY_FOR_SECONDS, rule
        assert rule["state"] != "firing", rule
        assert stack.compose("stop", "db").returncode == 0
        fired = poll(
            lambda: alert_state(stack, "ApiNotReady") == "firing",
            within=API_NOT_READY_FOR_SECONDS + sampled_within + 20,
            what="ApiNotReady firing with the database stopped",
        )
        assert stack.compose("start", "db").returncode == 0
        resolved = poll(
            lambda: alert_state(stack, "ApiNotReady") == "inactive",
            within=sampled_within + 20,
            what="ApiNotReady resolved with the database back",
        )
        print(f"\nApiNotReady firing after {fired:.0f} s, resolved {resolved:.0f} s after")
    finally:
        stack.compose("start", "db")
        stack.compose("up", "--detach", "--wait", "prometheus")
