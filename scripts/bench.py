"""Measure Slipway's budgets (docs/BUDGETS.md) on this machine and print them.

Usage: python scripts/bench.py [--skip-docker] [--skip-http] [--skip-metrics] [--skip-tracing]
                              [--skip-rate-limit] [--skip-database] [--skip-jobs]
                              [--skip-bounds] [--skip-auth]
Needs what `bash scripts/test.sh` sets up: copier and uv on PATH, a Docker engine with
Compose v2 and the stand-in images (PYTHON_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE), wrk for
the HTTP comparison, and a PostgreSQL server for the generated suite (TEST_DATABASE_URL).

Copy, update and the database budgets use the default answers (PostgreSQL); the image,
Docker and HTTP budgets of the core use a project without a database (the service as
it was measured before the database option existed). The authentication figure renders
projects of its own without a database, one per method (`auth=[oidc]`, `auth=[api_key]`).
"""

import argparse
import ast
import json
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
# The copy and update budgets are about a default project (the default database,
# PostgreSQL); the core figures about the service without a database.
DEFAULT_ANSWERS = ["--data=project_name=Bench Service", "--data=post_copy_validation=none"]
ANSWERS = [*DEFAULT_ANSWERS, "--data=database=none"]
PYTHON_IMAGE = os.environ.get("PYTHON_IMAGE", "slipway-standin/python:3.13")
POSTGRES_IMAGE = os.environ.get("POSTGRES_IMAGE", "slipway-standin/postgres:17")
REDIS_IMAGE = os.environ.get("REDIS_IMAGE", "slipway-standin/redis:7")
RABBITMQ_IMAGE = os.environ.get("RABBITMQ_IMAGE", "slipway-standin/rabbitmq:4")
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
# Python writes bytecode as it normally does: some machines set PYTHONDONTWRITEBYTECODE,
# which would make every start of copier or of the generated suite compile from source.
ENV = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    "UV_PYTHON_DOWNLOADS": "never",
    "PYTHON_IMAGE": PYTHON_IMAGE,
    "POSTGRES_IMAGE": POSTGRES_IMAGE,
    "REDIS_IMAGE": REDIS_IMAGE,
    "RABBITMQ_IMAGE": RABBITMQ_IMAGE,
    "TEST_DATABASE_URL": TEST_DATABASE_URL,
}
BENCH_APP = """
import sys
from bench_service.app import create_app
from bench_service.settings import Settings

settings = Settings(
    _env_file=None,
    environment="production",
    secret_key="b" * 48,
    trusted_hosts=["127.0.0.1"],  # production refuses `*`; wrk sends Host: 127.0.0.1:<port>
    rate_limit_enabled=sys.argv[1] != "without-rate-limit",
    # Counted, never refused: a figure of 429s would measure the refusal, not the route.
    rate_limit_reads="1000000000/minute",
)
app = create_app(settings)
if sys.argv[1] == "fastapi":  # the budget's baseline: a bare FastAPI app with one route
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "alive"}
elif sys.argv[1] == "fastapi-with-headers":  # the baseline, answering with the edge's headers
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from bench_service.middleware.security_headers import SecurityHeaders

    app = FastAPI()
    headers = dict(SecurityHeaders(hsts=True).for_path("/health/live"))
    headers[b"x-request-id"] = b"0" * 32
    edge_headers = {name.decode(): value.decode() for name, value in headers.items()}

    @app.get("/health/live")
    async def live() -> JSONResponse:
        return JSONResponse({"status": "alive"}, headers=edge_headers)
elif sys.argv[1] == "fastapi-router":  # the baseline's route in an included router
    from fastapi import APIRouter, FastAPI

    app = FastAPI()
    router = APIRouter(prefix="/health")

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    app.include_router(router)
elif sys.argv[1] == "bare":
    app.user_middleware.clear()  # the same app, without Slipway's middleware stack
elif sys.argv[1] == "without-metrics":  # the same app, without the metrics observer only
    for layer in app.user_middleware:
        if layer.cls.__name__ == "EdgeMiddleware":
            layer.kwargs["observers"] = ()
elif sys.argv[1] == "traced":  # tracing on, every span through the batch processor
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
    from bench_service.tracing.install import install_tracing

    class Discard(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    install_tracing(app, settings, exporter=Discard())
import uvicorn
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_config=None, access_log=False)
"""


# The authentication figure's app: the project's own `create_app(settings)`, the same
# middleware stack, with two routes that differ only by the token check. argv: the port,
# and the settings of the method under test as JSON (OIDC_ISSUER and OIDC_AUDIENCE, or
# API_KEYS).
AUTH_APP = """
import json, sys
from typing import Annotated
from fastapi import Security
from bench_service.app import create_app
from bench_service.auth.dependencies import require_scopes
from bench_service.auth.principal import Principal
from bench_service.settings import Settings

settings = Settings(
    _env_file=None,
    environment="production",
    secret_key="b" * 48,
    trusted_hosts=["127.0.0.1"],
    rate_limit_reads="1000000000/minute",  # counted, never refused
    **json.loads(sys.argv[2]),
)
app = create_app(settings)

@app.get("/open")
async def open_route() -> dict[str, str]:
    return {"subject": "nobody"}

@app.get("/guarded")
async def guarded(
    principal: Annotated[Principal, Security(require_scopes("bench:read"))],
) -> dict[str, str]:
    return {"subject": principal.subject}

import uvicorn
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)
"""

# Run with the project's Python (PyJWT and cryptography are its dependencies): an RSA
# key, its JWKS, and a token signed RS256 for the bench's caller, valid for a day.
MINT_TOKEN = """
import json, sys, time
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

issuer, audience = sys.argv[1:3]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
now = int(time.time())
claims = {
    "iss": issuer, "aud": audience, "sub": "bench", "azp": "bench-client",
    "scope": "openid bench:read", "iat": now, "exp": now + 86400,
}
token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench-1"})
jwks = {"keys": [{**public, "kid": "bench-1", "alg": "RS256", "use": "sig"}]}
print(json.dumps({"jwks": jwks, "token": token}))
"""

# Run with the project's Python: a key made by the package's own `new_key()`, and its
# entry as API_KEYS holds it.
MINT_API_KEY = """
import json
from bench_service.auth.api_keys import new_key

made = new_key()
entry = {"client_id": "bench", "prefix": made.prefix, "hash": made.key_hash,
         "scopes": ["bench:read"]}
print(json.dumps({"key": made.key, "entry": entry}))
"""


# Each middleware layer's cost, in process: the app is called directly (no server, no
# sockets), so what is compared is only the stack. Prints microseconds a request for the
# bare app, the full stack, and the stack without each layer in turn (best of 7 x 3000).
LAYERS_APP = """
import asyncio, sys, time
from bench_service.app import create_app
from bench_service.settings import Settings

def app_without(layer):
    settings = Settings(
        _env_file=None,
        environment="production",
        secret_key="b" * 48,
        trusted_hosts=["127.0.0.1"],
        rate_limit_reads="1000000000/minute",
    )
    app = create_app(settings)
    if layer == "all":
        app.user_middleware.clear()
    elif layer:
        app.user_middleware[:] = [m for m in app.user_middleware if m.cls.__name__ != layer]
    return app

SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "path": "/health/live", "raw_path": b"/health/live", "query_string": b"",
    "root_path": "", "headers": [(b"host", b"127.0.0.1:8000")],
    "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
}

async def request(app):
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        pass
    await app(dict(SCOPE), receive, send)

async def main():
    layers = [m.cls.__name__ for m in app_without(None).user_middleware]
    apps = {"full": app_without(None), "bare": app_without("all")}
    apps |= {f"without {layer}": app_without(layer) for layer in layers}
    for app in apps.values():
        for _ in range(200):
            await request(app)
    best = dict.fromkeys(apps, float("inf"))
    for _ in range(7):
        for name, app in apps.items():
            started = time.perf_counter()
            for _ in range(3000):
                await request(app)
            best[name] = min(best[name], (time.perf_counter() - started) / 3000 * 1e6)
    print(repr({name: round(micros, 1) for name, micros in best.items()}))

asyncio.run(main())
"""


def run(
    command: Sequence[str], cwd: Path, timeout: float = 900, env: dict[str, str] | None = None
) -> str:
    result = subprocess.run(
        list(command),
        cwd=cwd,
        env={**ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def timed(action: Callable[..., object], *args: Any, **kwargs: Any) -> float:
    """Seconds `action(*args, **kwargs)` takes."""
    started = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - started


def copier_copy(
    destination: Path,
    *extra: str,
    answers: Sequence[str] = ANSWERS,
    template: Path = TEMPLATE_DIR,
) -> None:
    command = ["copier", "copy", "--trust", "--defaults", "--quiet", "--vcs-ref=HEAD"]
    run([*command, *answers, *extra, str(template), str(destination)], cwd=TEMPLATE_DIR)


def files_in(tree: Path, besides: Collection[str] = ()) -> int:
    """Files under `tree`, not counting folders, `.git` or the relative paths `besides`."""
    return sum(
        1
        for path in tree.rglob("*")
        if path.is_file()
        and ".git" not in path.relative_to(tree).parts
        and path.relative_to(tree).as_posix() not in besides
    )


def ms_per_file_above_floor(seconds: float, files: int, floor: float, floor_files: int) -> float:
    """What each rendered file beyond the floor's adds, in milliseconds."""
    return round((seconds - floor) / (files - floor_files) * 1000, 1)


def bench_copy(workdir: Path, rounds: int = 5) -> dict[str, float]:
    """`copier copy` of a default project, render only (`--skip-tasks`) and with the
    post-copy task at `none`; beside them, in the same rounds, the copy of the one-file
    template (copier's floor on this machine). `copy_ms_per_file_above_floor` is
    (Slipway's render-only median - the floor's median) / (Slipway's files - the floor's
    files) * 1000, the files counted in each destination (folders and `.git` not counted;
    the floor renders 2: README.md and the answers file)."""
    floor_template = one_file_history(workdir / "one-file-template")
    render = ("--skip-tasks",)
    render_only, floor, with_tasks = [], [], []
    for index in range(rounds):
        render_only.append(
            timed(copier_copy, workdir / f"r{index}", *render, answers=DEFAULT_ANSWERS)
        )
        floor.append(
            timed(copier_copy, workdir / f"f{index}", *render, answers=[], template=floor_template)
        )
        with_tasks.append(timed(copier_copy, workdir / f"t{index}", answers=DEFAULT_ANSWERS))
    files, floor_files = files_in(workdir / "r0"), files_in(workdir / "f0")
    render_median, floor_median = statistics.median(render_only), statistics.median(floor)
    return {
        "copy_render_seconds_median": round(render_median, 2),
        "copy_with_tasks_validation_none_seconds_median": round(statistics.median(with_tasks), 2),
        "copy_one_file_template_seconds_median": round(floor_median, 2),
        "copy_files": files,
        "copy_one_file_template_files": floor_files,
        "copy_ms_per_file_above_floor": ms_per_file_above_floor(
            render_median, files, floor_median, floor_files
        ),
    }


# copier's own floor on a machine: a template of one file, updated the same way.
ONE_FILE_TEMPLATE = {
    "copier.yml": "_subdirectory: template\nname:\n  type: str\n  default: floor\n",
    "template/README.md.jinja": "{{ name }}\n",
    "template/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
}
# What hooks/post_copy.py's set-up adds to a project besides the rendered files (and .git).
WRITTEN_BY_THE_POST_COPY_TASK = frozenset({".env", "uv.lock"})
# Where copier's temporary clones and renders go in the tmpfs figure.
TMPFS = Path("/dev/shm")


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Slipway Bench", "-c", "user.email=bench@example.com"]
    return run(["git", *identity, *args], cwd=repo)


def slipway_history(repo: Path) -> Path:
    """This template as release 0.1.0, and 0.2.0 with one documentation change."""
    sys.path.insert(0, str(TEMPLATE_DIR))
    from tests.history import build_history  # the test suite's helper, importable from here

    def document_a_change(release: Path) -> None:
        operations = release / "template/docs/OPERATIONS.md.jinja"
        operations.write_text(operations.read_text() + "\nA note added in 0.2.0.\n")

    build_history(repo, [("0.1.0", []), ("0.2.0", [document_a_change])])
    return packed(repo)


def packed(repo: Path) -> Path:
    """The repository's objects in one pack, as a template fetched from a remote has
    them: copier clones the template five times an update, and loose objects cost a
    folder each on every clone."""
    git(repo, "gc", "--quiet", "--prune=now")
    return repo


def one_file_history(repo: Path) -> Path:
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    for relative, text in ONE_FILE_TEMPLATE.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(text)
    readme = repo / "template/README.md.jinja"
    for release, change in (("0.1.0", ""), ("0.2.0", "A line added in 0.2.0.\n")):
        readme.write_text(readme.read_text() + change)
        git(repo, "add", "-A")
        git(repo, "commit", "--quiet", "-m", release)
        git(repo, "tag", release)
    return packed(repo)


def project_of_first_release(template: Path, project: Path, answers: Sequence[str]) -> Path:
    """`copier copy` of release 0.1.0, committed (Slipway's post-copy task commits too)."""
    copy = ["copier", "copy", "--trust", "--defaults", "--quiet", "--vcs-ref=0.1.0"]
    run([*copy, *answers, str(template), str(project)], cwd=project.parent)
    git(project, "init", "--quiet")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "--allow-empty", "-m", "Generated")
    return project


def update_to_next_release(project: Path, env: dict[str, str]) -> float:
    """Seconds for `copier update` to 0.2.0, without tasks; the project is reset after."""
    update = ["copier", "update", "--trust", "--defaults", "--quiet", "--skip-tasks"]
    seconds = timed(lambda: run([*update, "--vcs-ref=0.2.0", str(project)], project, env=env))
    git(project, "reset", "--hard", "--quiet")
    git(project, "clean", "-d", "--force", "--quiet")
    return seconds


def bench_update(workdir: Path, rounds: int = 3) -> dict[str, float]:
    """`copier update` of a default project between two releases, without tasks. Beside it,
    in the same rounds so that a machine's drift hits all alike: the same update with
    copier's temporary clones and renders on tmpfs, and the update of a one-file template
    (what copier and the machine cost whatever the template). `update_ms_per_file_above_floor`
    is (Slipway's median - the one-file template's median) / (the updated project's files -
    the one-file project's files) * 1000; files as `bench_copy` counts them, without those
    the post-copy task wrote (`.env`, `uv.lock`), which the update does not render. 0.2.0
    adds no file, so the project has the same files before and after."""
    slipway = project_of_first_release(
        slipway_history(workdir / "history"), workdir / "slipway", DEFAULT_ANSWERS
    )
    one_file = project_of_first_release(
        one_file_history(workdir / "one-file-history"), workdir / "one-file", []
    )
    variants: dict[str, tuple[Path, dict[str, str]]] = {"update_seconds_median": (slipway, {})}
    if TMPFS.is_dir():
        variants["update_tmpfs_seconds_median"] = (slipway, {"TMPDIR": str(TMPFS)})
    variants["update_one_file_template_seconds_median"] = (one_file, {})
    durations: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (project, env) in variants.items():
            durations[name].append(update_to_next_release(project, env))
    medians = {name: statistics.median(values) for name, values in durations.items()}
    files = files_in(slipway, besides=WRITTEN_BY_THE_POST_COPY_TASK)
    floor_files = files_in(one_file)
    return {
        **{name: round(median, 2) for name, median in medians.items()},
        "update_files": files,
        "update_one_file_template_files": floor_files,
        "update_ms_per_file_above_floor": ms_per_file_above_floor(
            medians["update_seconds_median"],
            files,
            medians["update_one_file_template_seconds_median"],
            floor_files,
        ),
    }


def image_size(name: str) -> int:
    return int(run(["docker", "image", "inspect", "--format", "{{.Size}}", name], cwd=TEMPLATE_DIR))


def source_only_rebuilds(project: Path, rounds: int) -> list[float]:
    """A cold `docker compose build` (not measured), then `rounds` rebuilds, each after
    one module was edited: the seconds each took."""
    compose = ["docker", "compose"]
    run([*compose, "build"], cwd=project)
    about = next(project.glob("src/*/about.py"))
    rebuilds = []
    for round_number in range(rounds):
        about.write_text(about.read_text() + f"# source-only change {round_number}\n")
        rebuilds.append(timed(lambda: run([*compose, "build"], cwd=project)))
    return rebuilds


def bench_docker(project: Path, rounds: int = 3) -> dict[str, float]:
    compose = ["docker", "compose"]
    rebuilds = source_only_rebuilds(project, rounds)
    ups = []
    for _ in range(rounds):
        ups.append(timed(lambda: run([*compose, "up", "--detach", "--wait"], cwd=project)))
        run([*compose, "down", "--volumes"], cwd=project)
    growth = image_size("bench-service:latest") - image_size(PYTHON_IMAGE)
    return {
        "image_mb_above_base": round(growth / 1_000_000, 1),
        "rebuild_after_source_change_seconds_median": round(statistics.median(rebuilds), 2),
        "compose_up_to_healthy_seconds_median": round(statistics.median(ups), 2),
    }


def bench_database(workdir: Path, rounds: int = 3) -> dict[str, float]:
    """PostgreSQL project: its generated suite, and compose up (api, db, migrate) to healthy.

    Each `up` starts from an empty volume, so it includes the database's first
    initialisation and the migration, as a new deployment does.
    """
    project = workdir / "pg"
    copier_copy(project, answers=DEFAULT_ANSWERS)
    run(["uv", "sync", "--frozen", "--quiet"], cwd=project)
    pytest = ["uv", "run", "--frozen", "pytest", "-q", "-p", "no:cacheprovider"]
    run(pytest, cwd=project)  # warm the bytecode and import caches, not measured
    suites = [timed(lambda: run(pytest, cwd=project)) for _ in range(rounds)]
    compose = ["docker", "compose"]
    rebuilds = source_only_rebuilds(project, rounds)
    # The same tag as bench_docker's image, which this build has just replaced.
    growth = image_size("bench-service:latest") - image_size(PYTHON_IMAGE)
    ups = []
    for _ in range(rounds):
        ups.append(timed(lambda: run([*compose, "up", "--detach", "--wait"], cwd=project)))
        run([*compose, "down", "--volumes"], cwd=project)
    return {
        "postgresql_generated_suite_seconds_median": round(statistics.median(suites), 2),
        "postgresql_image_mb_above_base": round(growth / 1_000_000, 1),
        "postgresql_rebuild_after_source_change_seconds_median": round(
            statistics.median(rebuilds), 2
        ),
        "postgresql_compose_up_to_healthy_seconds_median": round(statistics.median(ups), 2),
    }


# The job stacks measured: every worker, on every broker it takes.
JOB_STACKS = {
    "arq_redis": ["--data=worker=arq"],
    "celery_redis": ["--data=worker=celery", "--data=broker=redis"],
    "celery_rabbitmq": ["--data=worker=celery", "--data=broker=rabbitmq"],
    "taskiq_redis": ["--data=worker=taskiq", "--data=broker=redis"],
    "taskiq_rabbitmq": ["--data=worker=taskiq", "--data=broker=rabbitmq"],
    "dramatiq_redis": ["--data=worker=dramatiq", "--data=broker=redis"],
    "dramatiq_rabbitmq": ["--data=worker=dramatiq", "--data=broker=rabbitmq"],
}


def enqueue_and_wait(base: str) -> float:
    """POST a trivial job, poll its status every 10 ms until it finished; the seconds from
    sending the POST to reading the result."""
    started = time.perf_counter()
    request = urllib.request.Request(
        f"{base}/word-count",
        data=b'{"text": "to be or not to be"}',
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        job_id = json.load(response)["id"]
    while True:
        with urllib.request.urlopen(f"{base}/{job_id}", timeout=10) as response:
            state = json.load(response)["state"]
        if state in ("succeeded", "failed"):
            break
        time.sleep(0.01)
    if state != "succeeded":
        sys.exit(f"job {job_id} {state}")
    return time.perf_counter() - started


def bench_jobs(workdir: Path, jobs: int = 20) -> dict[str, float]:
    """Per worker and broker, stack running: the first job after `up --wait` (cold
    connections and processes), then `jobs` more, one at a time."""
    figures: dict[str, float] = {}
    for name, answers in JOB_STACKS.items():
        project = workdir / f"jobs-{name}"
        copier_copy(project, *answers)
        port = free_port()
        env = {"HTTP_PORT": str(port), "COMPOSE_PROJECT_NAME": f"bench-jobs-{port}"}
        compose = ["docker", "compose"]
        run([*compose, "up", "--build", "--detach", "--wait"], cwd=project, env=env)
        base = f"http://127.0.0.1:{port}/api/v1/jobs"
        try:
            first = enqueue_and_wait(base)
            latencies = [enqueue_and_wait(base) for _ in range(jobs)]
        finally:
            run([*compose, "down", "--volumes"], cwd=project, env=env)
        figures |= {
            f"{name}_first_job_seconds": round(first, 3),
            f"{name}_enqueue_to_result_seconds_median": round(statistics.median(latencies), 3),
            f"{name}_enqueue_to_result_seconds_max": round(max(latencies), 3),
        }
    return figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_answering(url: str, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wrk_output(url: str, seconds: int, *options: str) -> str:
    return run(["wrk", "-t1", "-c32", f"-d{seconds}s", *options, url], cwd=TEMPLATE_DIR)


def parse_rate(output: str) -> tuple[float, int]:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    done = re.search(r"(\d+) requests in", output)
    if rate is None or done is None:
        sys.exit(f"wrk printed no rate:\n{output}")
    return float(rate.group(1)), int(done.group(1))


def wrk_round(url: str, seconds: int) -> tuple[float, int]:
    """One `wrk` round: requests/s and the number of requests completed."""
    return parse_rate(wrk_output(url, seconds))


class WrkRound(NamedTuple):
    rate: float
    done: int
    p99_ms: float


LATENCY_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_latency_round(url: str, seconds: int, headers: Sequence[str] = ()) -> WrkRound:
    """One `wrk` round with request headers (`Name: value`) and its latency distribution;
    exits if any response was not a 2xx (a figure of 401s would measure the refusal)."""
    options = [option for header in headers for option in ("-H", header)]
    output = wrk_output(url, seconds, "--latency", *options)
    if refused := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        sys.exit(f"{url}: {refused.group(1)} responses were not 2xx:\n{output}")
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if p99 is None:
        sys.exit(f"wrk printed no 99th percentile:\n{output}")
    rate, done = parse_rate(output)
    return WrkRound(rate, done, float(p99.group(1)) * LATENCY_UNITS[p99.group(2)])


def wrk_rps(url: str, seconds: int) -> float:
    return wrk_round(url, seconds)[0]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_http(project: Path) -> dict[str, float]:
    """The default project's whole app and a bare FastAPI app with one route side by
    side, alternating, one uvicorn worker each: what the budget compares.

    /health/live is the budgeted path (its successful requests are not access-logged);
    a 404 on /api/v1/missing shows the cost when the access line is written.
    """
    paths = {"live": "/health/live", "logged_404": "/api/v1/missing"}
    return side_by_side(project, "fastapi", paths, "stack")


def bench_http_baseline_parts(project: Path) -> dict[str, float]:
    """Two costs the stack's figure holds that are not middleware, each measured as the
    bare app with only that added, side by side with the bare app: answering with the
    edge's response headers (the server encodes and checks each one), and serving the
    route from an included router, as every FastAPI app with routers does."""
    live = {"live": "/health/live"}
    figures = side_by_side(
        project, "fastapi", live, "edge_headers", measured_variant="fastapi-with-headers"
    )
    return figures | side_by_side(
        project, "fastapi", live, "included_router", measured_variant="fastapi-router"
    )


def bench_metrics(project: Path) -> dict[str, float]:
    """The same app with and without the Prometheus metrics middleware, side by side;
    more rounds than the stack's figure, as the difference sought is smaller."""
    paths = {"metrics_live": "/health/live"}
    return side_by_side(project, "without-metrics", paths, "metrics_middleware", rounds=9)


# Twenty of these, sent at once, took a service without header bounds from 126 to 392 MB.
OVERSIZED_HEAD = b"GET /health/live HTTP/1.1\r\nHost: bench\r\nX-Big: " + b"a" * 10_000_000


def memory_kib(pid: int, field: str) -> int:
    """A process's VmRSS (resident now) or VmHWM (the most it has been resident), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    sys.exit(f"/proc/{pid}/status has no {field}")


def send_oversized_head(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(OVERSIZED_HEAD)
            while sock.recv(65536):
                pass
        except OSError:
            pass  # refused and closed before it was all sent: what a bound does


def bench_connection_bounds(
    project: Path, idle: int = 200, oversized: int = 20
) -> dict[str, float]:
    """RSS of the running service (`python -m`, one worker, default bounds) at rest, with
    `idle` connections open that send nothing, and after `oversized` clients each sent a
    10 MB header at once; each as a ratio to the figure at rest of the same run. Also
    how long the service kept the idle connections open."""
    port = free_port()
    env = {
        "ENVIRONMENT": "test",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(
        [str(project / ".venv/bin/python"), "-m", "bench_service"],
        cwd=project,
        env={**ENV, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    live = f"http://127.0.0.1:{port}/health/live"
    try:
        wait_until_answering(live)
        for _ in range(200):  # warm: the figure at rest is that of a service that has served
            with urllib.request.urlopen(live, timeout=5):
                pass
        at_rest = memory_kib(server.pid, "VmRSS")
        opened = time.monotonic()
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle)]
        with urllib.request.urlopen(live, timeout=5):  # answered: the idle ones are accepted
            pass
        with_idle = memory_kib(server.pid, "VmRSS")
        still_open = set(connections)
        while still_open and time.monotonic() - opened < 120:
            readable, _, _ = select.select(list(still_open), [], [], 1)
            for sock in readable:
                sock.recv(1)  # b"" (or a reset): the service closed it
                still_open.discard(sock)
        idle_closed_after = time.monotonic() - opened
        for sock in connections:
            sock.close()
        threads = [
            threading.Thread(target=send_oversized_head, args=(port,)) for _ in range(oversized)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after_oversized = memory_kib(server.pid, "VmRSS")
        peak = memory_kib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "rss_at_rest_mb": round(at_rest / 1024, 1),
        f"rss_with_{idle}_idle_connections_ratio": round(with_idle / at_rest, 3),
        f"rss_after_{oversized}_oversized_headers_ratio": round(after_oversized / at_rest, 3),
        "rss_peak_ratio": round(peak / at_rest, 3),
        f"{idle}_idle_connections_still_open": len(still_open),
        f"{idle}_idle_connections_closed_after_seconds": round(idle_closed_after, 1),
    }


def bench_rate_limit(project: Path) -> dict[str, float]:
    """The same app with the rate limiter on and off (RATE_LIMIT_ENABLED), side by side:
    on /health/live, a path it does not limit (what the limiter costs the requests it lets
    alone), and on a read it counts (a 404, access-logged, under a limit it never
    reaches). The core project counts in process."""
    paths = {"rate_limit_live": "/health/live", "rate_limit_counted": "/api/v1/missing"}
    return side_by_side(project, "without-rate-limit", paths, "rate_limiter", rounds=5)


def bench_middleware_layers(project: Path) -> dict[str, float]:
    """Microseconds a `/health/live` request spends in the app, in process, per variant."""
    python = str(project / ".venv/bin/python")
    output = run([python, "-c", LAYERS_APP], cwd=project)
    micros: dict[str, float] = ast.literal_eval(output.strip().splitlines()[-1])
    return {f"layers_us_{name.replace(' ', '_')}": value for name, value in micros.items()}


def bench_tracing(workdir: Path) -> dict[str, float]:
    """A project with `opentelemetry`: tracing on (an exporter that discards the spans,
    behind the real batch processor) and off (no endpoint, the default), side by side.
    /health/live is left untraced by design; a 404 is a traced, access-logged request."""
    project = workdir / "traced"
    copier_copy(project, "--data=monitoring=[opentelemetry]")
    run(["uv", "sync", "--frozen", "--quiet"], cwd=project)
    paths = {"tracing_live": "/health/live", "tracing_404": "/api/v1/missing"}
    return side_by_side(project, "full", paths, "tracing", rounds=5, measured_variant="traced")


@contextmanager
def local_identity_provider() -> Iterator[tuple[str, dict[str, Any], dict[str, int]]]:
    """An OpenID Connect provider in a thread of this process, as the generated tests'
    tests/auth/provider.py is: a discovery document and a JWKS on a local port. Yields
    its issuer URL, the JWKS to fill in (served as it is when asked for), and how many
    times the JWKS was fetched."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    jwks: dict[str, Any] = {"keys": []}
    fetches = {"jwks": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body: dict[str, Any] = {"issuer": issuer, "jwks_uri": f"{issuer}/jwks"}
            elif self.path == "/jwks":
                fetches["jwks"] += 1
                body = jwks
            else:
                self.send_error(404)
                return
            encoded = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer, jwks, fetches
    finally:
        server.shutdown()
        server.server_close()


def status_of(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10):
            return 200
    except urllib.error.HTTPError as error:
        return error.code


def guarded_and_open(
    project: Path,
    settings: dict[str, Any],
    credentials: dict[str, str],
    label: str,
    rounds: int = 5,
    seconds: int = 5,
) -> dict[str, float]:
    """One server (AUTH_APP), alternating rounds on /open (no credentials) and on
    /guarded (with them): requests/s, CPU time per request and p99 of each, and the
    ratio guarded/open."""
    python = str(project / ".venv/bin/python")
    port = free_port()
    server = subprocess.Popen(
        [python, "-c", AUTH_APP, str(port), json.dumps(settings)],
        cwd=project,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    variants = {"open": ("/open", {}), "guarded": ("/guarded", credentials)}
    try:
        wait_until_answering(f"{base}/health/live")
        # The route refuses a caller without credentials, and lets this one in; this
        # first request also fetches (and caches) the provider's keys.
        if (status := status_of(f"{base}/guarded", {})) != 401:
            sys.exit(f"/guarded answered {status} without credentials, not 401")
        if (status := status_of(f"{base}/guarded", credentials)) != 200:
            sys.exit(f"/guarded answered {status} with the bench's credentials, not 200")
        samples: dict[str, list[WrkRound]] = {variant: [] for variant in variants}
        cpu_per_request: dict[str, list[float]] = {variant: [] for variant in variants}
        for path, headers in variants.values():  # warm-up
            wrk_latency_round(base + path, 1, [f"{k}: {v}" for k, v in headers.items()])
        for _ in range(rounds):
            for variant, (path, headers) in variants.items():
                used_before = cpu_seconds(server.pid)
                sample = wrk_latency_round(
                    base + path, seconds, [f"{k}: {v}" for k, v in headers.items()]
                )
                samples[variant].append(sample)
                cpu_per_request[variant].append(
                    (cpu_seconds(server.pid) - used_before) / sample.done
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    rps = {v: statistics.median(s.rate for s in samples[v]) for v in variants}
    p99 = {v: statistics.median(s.p99_ms for s in samples[v]) for v in variants}
    cpu = {v: statistics.median(cpu_per_request[v]) for v in variants}
    return {
        f"{label}_rps_open_median": round(rps["open"]),
        f"{label}_rps_guarded_median": round(rps["guarded"]),
        f"{label}_guarded_to_open_rps_ratio": round(rps["guarded"] / rps["open"], 3),
        f"{label}_p99_ms_open_median": round(p99["open"], 2),
        f"{label}_p99_ms_guarded_median": round(p99["guarded"], 2),
        f"{label}_cpu_us_per_request_open": round(cpu["open"] * 1e6, 1),
        f"{label}_cpu_us_per_request_guarded": round(cpu["guarded"] * 1e6, 1),
        # A saturated worker serves 1/(CPU per request): the share of requests/s lost.
        f"{label}_cpu_cost_percent": round((1 - cpu["open"] / cpu["guarded"]) * 100, 1),
    }


def bench_auth(workdir: Path) -> dict[str, float]:
    """A route behind `Security(require_scopes(...))` against the same app's route without
    it, per method, in a project without a database: a bearer JWT (RS256) from a local
    provider, its JWKS cached after the first request (OIDC_JWKS_TTL_SECONDS, 600 s, is
    longer than the run), and an API key from API_KEYS."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    figures: dict[str, float] = {}
    project = workdir / "auth-oidc"
    copier_copy(project, "--data=auth=[oidc]")
    run(["uv", "sync", "--frozen", "--quiet"], cwd=project)
    python = str(project / ".venv/bin/python")
    with local_identity_provider() as (issuer, jwks, fetches):
        minted = json.loads(run([python, "-c", MINT_TOKEN, issuer, "bench"], cwd=project))
        jwks["keys"] = minted["jwks"]["keys"]
        settings = {"oidc_issuer": issuer, "oidc_audience": "bench"}
        credentials = {"Authorization": f"Bearer {minted['token']}"}
        figures |= guarded_and_open(project, settings, credentials, "auth_oidc")
        figures["auth_oidc_jwks_fetches"] = fetches["jwks"]  # 1: every other token hit the cache
    project = workdir / "auth-api-key"
    copier_copy(project, "--data=auth=[api_key]")
    run(["uv", "sync", "--frozen", "--quiet"], cwd=project)
    python = str(project / ".venv/bin/python")
    minted = json.loads(run([python, "-c", MINT_API_KEY], cwd=project))
    credentials = {"X-API-Key": minted["key"]}
    figures |= guarded_and_open(
        project, {"api_keys": [minted["entry"]]}, credentials, "auth_api_key"
    )
    return figures


def side_by_side(
    project: Path,
    baseline: str,
    paths: dict[str, str],
    measured: str,
    rounds: int = 5,
    seconds: int = 5,
    measured_variant: str = "full",
) -> dict[str, float]:
    """Requests/s of `measured_variant` and of `baseline` (BENCH_APP variants), alternating."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    python = str(project / ".venv/bin/python")
    ports = {measured_variant: free_port(), baseline: free_port()}
    servers = [
        subprocess.Popen(
            [python, "-c", BENCH_APP, variant, str(port)],
            cwd=project,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for variant, port in ports.items()
    ]
    figures: dict[str, float] = {}
    try:
        for port in ports.values():
            wait_until_answering(f"http://127.0.0.1:{port}/health/live")
        for label, path in paths.items():
            rates: dict[str, list[float]] = {variant: [] for variant in ports}
            # CPU time per request of each server: unlike requests/s, it holds when other
            # work shares the machine, and one saturated worker serves 1/(CPU per request).
            cpu_per_request: dict[str, list[float]] = {variant: [] for variant in ports}
            for port in ports.values():
                wrk_rps(f"http://127.0.0.1:{port}{path}", 1)  # warm-up
            for _ in range(rounds):
                for (variant, port), server in zip(ports.items(), servers, strict=True):
                    used_before = cpu_seconds(server.pid)
                    rate, done = wrk_round(f"http://127.0.0.1:{port}{path}", seconds)
                    rates[variant].append(rate)
                    cpu_per_request[variant].append((cpu_seconds(server.pid) - used_before) / done)
            full = statistics.median(rates[measured_variant])
            without = statistics.median(rates[baseline])
            figures[f"{label}_rps_with_{measured}_median"] = round(full)
            figures[f"{label}_rps_without_{measured}_median"] = round(without)
            figures[f"{label}_{measured}_cost_percent"] = round((1 - full / without) * 100, 1)
            cpu_full = statistics.median(cpu_per_request[measured_variant])
            cpu_without = statistics.median(cpu_per_request[baseline])
            figures[f"{label}_cpu_us_per_request_with_{measured}"] = round(cpu_full * 1e6, 1)
            figures[f"{label}_cpu_us_per_request_without_{measured}"] = round(cpu_without * 1e6, 1)
            figures[f"{label}_{measured}_cpu_cost_percent"] = round(
                (1 - cpu_without / cpu_full) * 100, 1
            )
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-copy", action="store_true", help="no copy or update figures")
    parser.add_argument("--skip-docker", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-metrics", action="store_true")
    parser.add_argument("--skip-tracing", action="store_true")
    parser.add_argument("--skip-rate-limit", action="store_true")
    parser.add_argument("--skip-database", action="store_true")
    parser.add_argument("--skip-jobs", action="store_true")
    parser.add_argument("--skip-bounds", action="store_true")
    parser.add_argument("--skip-auth", action="store_true", help="no authentication figure")
    options = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="slipway-bench-") as tmp:
        workdir = Path(tmp)
        if not options.skip_copy:
            figures |= bench_copy(workdir)
            figures |= bench_update(workdir)
        project = workdir / "core"
        copier_copy(project)
        run(["uv", "sync", "--frozen", "--quiet"], cwd=project)
        if not options.skip_http:
            figures |= bench_http(project)
            figures |= bench_http_baseline_parts(project)
        if not options.skip_metrics:
            figures |= bench_metrics(project)
            figures |= bench_middleware_layers(project)
        if not options.skip_bounds:
            figures |= bench_connection_bounds(project)
        if not options.skip_rate_limit:
            figures |= bench_rate_limit(project)
        if not options.skip_auth:
            figures |= bench_auth(workdir)
        if not options.skip_tracing:
            figures |= bench_tracing(workdir)
        if not options.skip_docker:
            (project / ".env").exists() or sys.exit("the post-copy task wrote no .env")
            figures |= bench_docker(project)
        if not options.skip_database:
            figures |= bench_database(workdir)
        if not options.skip_jobs:
            figures |= bench_jobs(workdir)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
