"""A rolling update behind a real load balancer, done the way a Kubernetes RollingUpdate
with `maxUnavailable: 0` does it: start a new replica, wait until the balancer finds it
ready, send the old one SIGTERM, and so on for each. Under steady load no request may
fail, each old replica turns unready within the balancer's check interval and exits
within its grace period. Then two migration runs at once: one applies, the other waits.

The replicas are containers of the stack's own image on its network, behind HAProxy
(an offline stand-in of the official image) that health-checks `/health/ready` and finds
the replicas by DNS on a network of their own, as an ingress controller follows a
Service's endpoints: a replica joins that network once ready (Kubernetes adds a pod to
the endpoints only then) and leaves it when it exits. HAProxy retries nothing: a request
sent to a replica that is going away fails the test."""

import contextlib
import secrets
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
import yaml
from docker.models.containers import Container

from ..conftest import in_a_group_of_its_own
from .conftest import STANDIN_PYTHON_IMAGE, Stack, free_port, require_image, service_container

STANDIN_HAPROXY_IMAGE = "slipway-standin/haproxy:trixie"
POOL_ALIAS = "api-pool"  # the replicas' shared DNS name, as a headless Service gives them
CHECK_INTERVAL_SECONDS = 0.5  # the balancer's health-check interval (a readinessProbe's period)
GRACE_SECONDS = 40  # terminationGracePeriodSeconds of the Kubernetes manifests
LOAD_CLIENTS = 4
LOAD_PAUSE_SECONDS = 0.02  # per client between requests: about 150 requests a second
# Every request comes from the balancer's one address: the per-client rate limiter would
# answer 429 long before the rollout ends. The limiter has tests of its own.
REPLICA_SETTINGS = {"RATE_LIMIT_READS": "1000000/minute"}

HAPROXY_CONFIG = f"""\
global
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 0

resolvers docker
    nameserver embedded 127.0.0.11:53
    hold valid 1s
    hold obsolete 0s

frontend web
    bind :8080
    default_backend api

frontend stats
    bind :8404
    stats enable
    stats uri /stats
    stats show-legends  # the servers' addresses, which tell the replicas apart

backend api
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server check inter {int(CHECK_INTERVAL_SECONDS * 1000)}ms fall 1 rise 1
    default-server resolvers docker init-addr none
    server-template replica 6 {POOL_ALIAS}:8000
"""


@dataclass
class Load:
    """Clients that call the service through the balancer until stopped; every outcome counted."""

    url: str
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # the first few, for the report
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    outcome, detail = str(response.status), ""
            except urllib.error.HTTPError as error:
                outcome, detail = str(error.code), error.read()[:300].decode(errors="replace")
            except OSError as error:  # refused, reset, timed out
                outcome, detail = type(error).__name__, str(error)
            with self.lock:
                self.outcomes[outcome] += 1
                if outcome != "200" and len(self.failures) < 5:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {outcome} {detail}")
            time.sleep(LOAD_PAUSE_SECONDS)

    @property
    def failed(self) -> dict[str, int]:
        return {outcome: n for outcome, n in self.outcomes.items() if outcome != "200"}


@dataclass
class Replicas:
    """api containers of the stack's image on its network, and in the balancer's pool (a
    network of their own, under one DNS name) once ready."""

    engine: docker.DockerClient
    image: str
    network: str  # the stack's: the database and Redis
    pool: str
    env: list[str]
    prefix: str
    started: list[Container] = field(default_factory=list)

    def start_ready(self) -> Container:
        """A new replica, once its /health/ready answers 200, in the balancer's pool."""
        container = self.engine.containers.run(
            self.image,
            name=f"{self.prefix}-{len(self.started) + 1}",
            environment=self.env,
            network=self.network,
            read_only=True,
            tmpfs={"/tmp": ""},  # the container's own, as in compose
            cap_drop=["ALL"],
            detach=True,
        )
        self.started.append(container)
        poll(lambda: ready_status(container, self.network) == 200, 60, f"{container.name} ready")
        self.engine.networks.get(self.pool).connect(container, aliases=[POOL_ALIAS])
        return container

    def address(self, container: Container) -> str:
        """The replica's address in the pool, as the balancer lists it."""
        return address(container, self.pool)

    def remove_all(self) -> None:
        for container in self.started:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


def address(container: Container, network: str) -> str:
    container.reload()
    ip: str = container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]
    return ip


def ready_status(container: Container, network: str) -> int | None:
    """What the replica's /health/ready answers now; None while nothing listens."""
    url = f"http://{address(container, network)}:8000/health/ready"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


def balancer_servers(stats_url: str) -> list[dict[str, str]]:
    """The balancer's servers for the api, from its stats page."""
    with urllib.request.urlopen(stats_url + ";csv", timeout=2) as response:
        rows = response.read().decode().splitlines()
    header = rows[0].lstrip("# ").split(",")
    servers = [dict(zip(header, row.split(","), strict=False)) for row in rows[1:]]
    return [s for s in servers if s.get("pxname") == "api" and s.get("svname") != "BACKEND"]


def balanced_addresses(stats_url: str) -> set[str]:
    """The replicas' addresses the balancer sends requests to now (its servers that are UP)."""
    up = (s["addr"] for s in balancer_servers(stats_url) if s["status"] == "UP" and s["addr"])
    return {addr.rsplit(":", 1)[0] for addr in up}


def poll(condition: object, within: float, what: str) -> float:
    """Poll `condition()` until true; answer the seconds it took, or fail saying `what`."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > within:
            pytest.fail(f"{what} did not happen within {within} s")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def replicas(engine: docker.DockerClient, stack: Stack) -> Iterator[Replicas]:
    api = service_container(engine, stack, "api")
    network = next(iter(api.attrs["NetworkSettings"]["Networks"]))
    env = [*api.attrs["Config"]["Env"], *(f"{k}={v}" for k, v in REPLICA_SETTINGS.items())]
    prefix = f"{stack.name}-replica"
    pool = engine.networks.create(f"{prefix}-pool")
    replicas = Replicas(engine, api.attrs["Image"], network, f"{prefix}-pool", env, prefix)
    try:
        yield replicas
    finally:
        replicas.remove_all()
        pool.remove()


@pytest.fixture
def balancer(
    engine: docker.DockerClient, replicas: Replicas, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """HAProxy in front of the replicas: the service's URL and the stats page's."""
    require_image(engine, STANDIN_HAPROXY_IMAGE)
    config = tmp_path / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG)
    config.chmod(0o644)
    web, stats = free_port(), free_port()
    container = engine.containers.run(
        STANDIN_HAPROXY_IMAGE,
        name=f"{replicas.prefix}-balancer",
        network=replicas.pool,
        volumes={str(config): {"bind": "/usr/local/etc/haproxy/haproxy.cfg", "mode": "ro"}},
        ports={"8080/tcp": ("127.0.0.1", web), "8404/tcp": ("127.0.0.1", stats)},
        detach=True,
    )
    try:
        yield f"http://127.0.0.1:{web}", f"http://127.0.0.1:{stats}/stats"
    finally:
        logs = container.logs().decode(errors="replace").splitlines()
        print("\n".join(line for line in logs if " 200 " not in line or "GET /api" not in line))
        container.remove(force=True)


@pytest.mark.parametrize("stack", [in_a_group_of_its_own("stack", "postgresql")], indirect=True)
def test_a_rolling_update_under_load_fails_no_request(
    replicas: Replicas, balancer: tuple[str, str]
) -> None:
    require_image(replicas.engine, STANDIN_PYTHON_IMAGE)
    service_url, stats_url = balancer
    old = [replicas.start_ready(), replicas.start_ready()]
    expected = {replicas.address(replica) for replica in old}
    poll(lambda: balanced_addresses(stats_url) == expected, 30, "the balancer finding both")

    load = Load(service_url + "/api/v1/items?limit=5")
    clients = [threading.Thread(target=load.run, daemon=True) for _ in range(LOAD_CLIENTS)]
    for client in clients:
        client.start()
    unready_after, exited_after = [], []
    try:
        for replica in old:
            new_address = replicas.address(replicas.start_ready())
            poll(lambda a=new_address: a in balanced_addresses(stats_url), 30, "balancer sees new")
            gone = replicas.address(replica)
            signalled = time.monotonic()
            replica.kill(signal="SIGTERM")
            unready_after.append(
                poll(
                    lambda a=gone: a not in balanced_addresses(stats_url), 10, "balancer drops old"
                )
            )
            exit_code = replica.wait(timeout=GRACE_SECONDS)["StatusCode"]
            exited_after.append(round(time.monotonic() - signalled, 2))
            assert exit_code == 0, replica.logs(tail=30).decode(errors="replace")
        time.sleep(1)  # requests to the new replicas only, for a last second
    finally:
        load.stopping.set()
        for client in clients:
            client.join(timeout=15)

    total = sum(load.outcomes.values())
    print(
        f"\nrolling update: {total} requests, failed {load.failed}; "
        f"SIGTERM to unready in the balancer {[round(s, 2) for s in unready_after]} s, "
        f"to exit {exited_after} s"
    )
    assert total > 500, load.outcomes
    assert load.failed == {}, load.failures
    assert all(seconds <= 2 * CHECK_INTERVAL_SECONDS + 1 for seconds in unready_after)


def environment_value(env: list[str], name: str) -> str:
    """A variable's value in a container's `Config.Env` (NAME=value entries)."""
    return next(entry.split("=", 1)[1] for entry in env if entry.startswith(f"{name}="))


def psql_command(db: Container, database: str, sql: str) -> list[str]:
    env = db.attrs["Config"]["Env"]
    user = environment_value(env, "POSTGRES_USER")
    return ["psql", "-U", user, "-d", database, "-tAc", sql]


def psql(db: Container, database: str, sql: str) -> str:
    exit_code, output = db.exec_run(psql_command(db, database, sql))
    assert isinstance(output, bytes)
    assert exit_code == 0, output.decode(errors="replace")
    return output.decode().strip()


@pytest.mark.parametrize("stack", [in_a_group_of_its_own("stack", "postgresql")], indirect=True)
def test_two_migration_runs_at_once_both_succeed_and_apply_once(
    engine: docker.DockerClient, stack: Stack
) -> None:
    """Two migration Jobs of one rollout, or two `compose run migrate`: both wait for the
    migration lock (held here until both do), then one applies and the other finds
    nothing to do."""
    db, api = service_container(engine, stack, "db"), service_container(engine, stack, "api")
    env = api.attrs["Config"]["Env"]
    url = environment_value(env, "DATABASE_URL")
    main_database = url.rsplit("/", 1)[1]
    answers = yaml.safe_load((stack.project / ".copier-answers.yml").read_text())
    key = zlib.crc32(f"{answers['package_name']}.migrations".encode())  # migrations/lock.py
    fresh = f"migrations_{secrets.token_hex(3)}"
    psql(db, main_database, f"CREATE DATABASE {fresh}")
    holding = f"SELECT pg_advisory_lock({key}); SELECT pg_sleep(300)"
    holder = threading.Thread(target=db.exec_run, args=(psql_command(db, fresh, holding),))
    locks = f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {key} AND"
    runs: list[Container] = []
    try:
        holder.start()
        poll(lambda: psql(db, fresh, f"{locks} granted") == "1", 30, "the test holding the lock")
        fresh_env = [v for v in env if not v.startswith("DATABASE_URL=")]
        fresh_env.append(f"DATABASE_URL={url.rsplit('/', 1)[0]}/{fresh}")
        network = next(iter(api.attrs["NetworkSettings"]["Networks"]))
        command = ["alembic", "upgrade", "head"]
        runs = [
            engine.containers.run(
                api.attrs["Image"], command, environment=fresh_env, network=network, detach=True
            )
            for _ in range(2)
        ]
        poll(lambda: psql(db, fresh, f"{locks} NOT granted") == "2", 60, "both runs waiting")
        assert psql(db, fresh, "SELECT to_regclass('alembic_version') IS NULL") == "t"
        psql(
            db,
            fresh,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = '{holding}'",
        )
        outcomes = [run.wait(timeout=120)["StatusCode"] for run in runs]
        logs = [run.logs().decode(errors="replace") for run in runs]
        assert outcomes == [0, 0], "\n---\n".join(logs)
        head = psql(db, main_database, "SELECT version_num FROM alembic_version")
        assert psql(db, fresh, "SELECT version_num FROM alembic_version") == head
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        assert psql(db, fresh, tables) == psql(db, main_database, tables)
    finally:
        for run in runs:
            run.remove(force=True)
        psql(db, main_database, f"DROP DATABASE IF EXISTS {fresh} WITH (FORCE)")
        holder.join(timeout=10)
