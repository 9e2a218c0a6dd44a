"""What a generated suite left on the shared servers after a run, found by the run id it
was given (TEST_RUN_ID): every name the suite makes there holds that id, so suites that
run at the same time on the same servers (CI runs several) cannot confuse the check."""

import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .answers import uses_rabbitmq
from .conftest import RABBITMQ_SERVER, Rendered, require_tool

PROBE = Path(__file__).with_name("leftover_probe.py")


def left_behind(project: Rendered, run_id: str) -> list[str]:
    """Keys, databases, queues and exchanges whose names hold `run_id`, one line each."""
    found = []
    if {"TEST_REDIS_URL", "TEST_DATABASE_URL"} & project.env.keys():
        # The project's own interpreter: it has the Redis and database clients.
        probe = project.run("uv", "run", "--frozen", "python", str(PROBE), run_id)
        found += probe.stdout.splitlines()
    if uses_rabbitmq(project.answers):
        found += [f"rabbitmq {line}" for line in rabbitmq_names(run_id)]
    return found


def rabbitmq_names(run_id: str) -> list[str]:
    """AMQP cannot list a server's queues and exchanges (and the management plugin may be
    off): rabbitmqctl asks the local node, the one the default server URL names."""
    rabbitmqctl = require_tool("rabbitmqctl")
    vhost = unquote(urlsplit(RABBITMQ_SERVER).path.removeprefix("/")) or "/"
    names = []
    for kind in ("queue", "exchange"):
        listing = subprocess.run(
            [rabbitmqctl, "-q", "-p", vhost, f"list_{kind}s", "name", "--no-table-headers"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        names += [f"{kind} {name}" for name in listing.stdout.split() if run_id in name]
    return names
