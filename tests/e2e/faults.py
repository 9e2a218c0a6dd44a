"""What the fault tests in real containers share: the running api's own settings, bounded
load from a few concurrent clients, and raw HTTP over a socket for the connection bounds."""

import contextlib
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The documented defaults, used only while the running service has no such setting yet.
DEFAULT_REQUEST_TIMEOUT_SECONDS = 10.0
DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS = 5.0
# What a request may take beyond its deadline: the 503/504 answer itself, and scheduling
# on a machine of two cores shared with the containers under test.
DEADLINE_MARGIN_SECONDS = 2.0

SETTINGS_SCRIPT = """
import json
from {package}.settings import load_settings
settings = load_settings().model_dump()
print(json.dumps({{k: v for k, v in settings.items() if isinstance(v, (bool, int, float, str))}}))
"""


def in_the_api(project: Path, env: dict[str, str], script: str, *compose_args: str) -> str:
    """What a Python script run in the running api container prints."""
    result = subprocess.run(
        ["docker", "compose", *compose_args, "exec", "-T", "api", "python", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def api_settings(project: Path, env: dict[str, str], *compose_args: str) -> dict[str, Any]:
    """The settings the running api container resolved (its environment, its defaults)."""
    script = SETTINGS_SCRIPT.format(package="orders_service")
    settings: dict[str, Any] = json.loads(in_the_api(project, env, script, *compose_args))
    return settings


def request_deadline(settings: dict[str, Any]) -> float:
    return float(settings.get("request_timeout_seconds", DEFAULT_REQUEST_TIMEOUT_SECONDS))


def health_check_interval(settings: dict[str, Any]) -> float:
    """How often dependency health is measured; readiness must follow within it."""
    interval = settings.get("health_check_interval_seconds", DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS)
    return float(interval) + float(settings["health_check_timeout_seconds"])


@dataclass(frozen=True)
class Outcome:
    """One request under load: when it started, how long it took, and how it ended."""

    label: str
    started: float
    seconds: float
    status: int | None  # None: no HTTP answer (timed out, reset)
    body: str


def timed_call(
    base_url: str, label: str, method: str, path: str, body: Any, timeout: float
) -> Outcome:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    except OSError as error:  # the client gave up: no answer within `timeout`
        status, text = None, repr(error)
    return Outcome(label, started, time.monotonic() - started, status, text)


@dataclass
class Load:
    """A few clients sending requests in a loop until `stop()`; each request bounded."""

    base_url: str
    requests: list[tuple[str, str, str, Any]]  # (label, method, path, body)
    clients: int = 4
    timeout: float = 30.0
    max_requests_per_client: int = 500
    outcomes: list[Outcome] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Load":
        for number in range(self.clients):
            thread = threading.Thread(target=self._client, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _client(self, number: int) -> None:
        for sent in range(self.max_requests_per_client):
            if self._stopping.is_set():
                return
            label, method, path, body = self.requests[(number + sent) % len(self.requests)]
            outcome = timed_call(self.base_url, label, method, path, body, self.timeout)
            with self._lock:
                self.outcomes.append(outcome)
            time.sleep(0.05)  # a client's think time: load, not a flood

    def stop(self) -> list[Outcome]:
        """Stop sending; wait for the requests in flight (each ends by its timeout)."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        return list(self.outcomes)


def poll(check: Callable[[], bool], within: float, what: str, every: float = 0.5) -> float:
    """Seconds until `check()` held; fails with `what` at the deadline."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"{what} not within {within} s"
        time.sleep(every)
    return time.monotonic() - started


def raw_exchange(port: int, payload: bytes, timeout: float) -> bytes:
    """Send `payload` on a new connection; what the server answered before closing (or
    until `timeout`); a reset after a refusal counts as what was read until then."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # The server may refuse the rest of the request and close: read its answer anyway.
        with contextlib.suppress(OSError):
            sock.sendall(payload)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    return received


def status_of(answer: bytes) -> int | None:
    """The status code of a raw HTTP answer, None without one."""
    first = answer.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) >= 2 and first[0].startswith(b"HTTP/") else None


# What the settings may call the bound on a connection that sends nothing (or too slowly),
# and the bound assumed while the running service has none.
IDLE_BOUND_WORDS = ("idle", "keep_alive", "header_timeout", "slow_client")
DEFAULT_IDLE_BOUND_SECONDS = 15.0

RSS_SCRIPT = """
import pathlib
total = 0
for status in pathlib.Path("/proc").glob("[0-9]*/status"):
    try:
        lines = status.read_text().splitlines()
    except OSError:
        continue
    total += sum(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))
print(total * 1024)
"""


def idle_connection_bound(settings: dict[str, Any]) -> float:
    """The longest the api keeps a connection that sends no complete request."""
    bounds = [
        float(value)
        for name, value in settings.items()
        if any(word in name for word in IDLE_BOUND_WORDS) and isinstance(value, int | float)
    ]
    return max(bounds, default=DEFAULT_IDLE_BOUND_SECONDS)


def container_rss_bytes(project: Path, env: dict[str, str], *compose_args: str) -> int:
    """The resident memory of every process in the api container."""
    return int(in_the_api(project, env, RSS_SCRIPT, *compose_args))


def still_open(sockets: list[socket.socket]) -> list[socket.socket]:
    """The sockets the server has not closed (a read would block, nothing arrived)."""
    remaining = []
    for sock in sockets:
        try:
            data = sock.recv(65536, socket.MSG_PEEK)  # the sockets do not block
        except BlockingIOError:
            remaining.append(sock)
            continue
        except OSError:  # reset: closed
            continue
        if data:  # an answer (408, 400): read it; the close follows
            sock.recv(65536)
            remaining.append(sock)
    return remaining
