"""`make check-with-services` exists exactly for the projects whose tests need servers (a
PostgreSQL or MySQL database, Redis, RabbitMQ), and its script builds their URLs from what
compose gives the services and says what stops it. Cheap: renders without the post-copy
task, and needs the docker CLI but no engine."""

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import pytest

from .answers import BASE, Answers, uses_rabbitmq, uses_redis
from .conftest import Rendered, render, require_tool, run_in, shell_block_after

pytestmark = pytest.mark.render

CASES: dict[str, Answers] = {
    "postgresql": {**BASE, "database": "postgresql"},
    "mysql-redis-celery-rabbitmq": {
        **BASE,
        "database": "mysql",
        "cache": "redis",
        "worker": "celery",
        "broker": "rabbitmq",
    },
    "sqlite-redis": {**BASE, "database": "sqlite", "cache": "redis"},
    "no-database-dramatiq-rabbitmq": {
        **BASE,
        "database": "none",
        "worker": "dramatiq",
        "broker": "rabbitmq",
    },
    "sqlite": {**BASE, "database": "sqlite"},
    "no-database": {**BASE, "database": "none"},
}
SCRIPT = Path("scripts/with_test_services.py")
# Users and passwords a person might choose: every character that means something in a
# URL, and one outside ASCII. In single quotes, compose takes `$` and `#` as they are.
HOSTILE = "p@ss:w/rd?#%&+ é$x"
PORTS = {"POSTGRES_PORT": 15432, "MYSQL_PORT": 13306, "REDIS_PORT": 16379, "RABBITMQ_PORT": 15673}


def services(answers: Answers) -> set[str]:
    return (
        ({"db"} if answers["database"] in ("postgresql", "mysql") else set())
        | ({"redis"} if uses_redis(answers) else set())
        | ({"rabbitmq"} if uses_rabbitmq(answers) else set())
    )


WITH_SERVICES = [name for name, answers in CASES.items() if services(answers)]


@pytest.fixture(scope="module", params=list(CASES))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    answers = CASES[request.param]
    return render(tmp_path_factory.mktemp(request.param) / "orders-service", answers)


def test_the_target_exists_exactly_for_projects_with_services(project: Rendered) -> None:
    has_services = bool(services(project.answers))
    makefile = (project.path / "Makefile").read_text()
    assert ("\ncheck-with-services:" in makefile) == has_services
    assert (project.path / SCRIPT).is_file() == has_services
    listed = run_in(project.path, ["make", "help"]).stdout
    assert ("check-with-services" in listed) == has_services
    planned = run_in(project.path, ["make", "--dry-run", "check-with-services"])
    assert (planned.returncode == 0) == has_services, planned.stdout + planned.stderr
    readme = (project.path / "README.md").read_text()
    first = shell_block_after(readme, "## Test it")
    if not has_services:
        assert first.startswith("make check ")
        return
    assert planned.stdout.strip() == f"uv run python {SCRIPT} make --no-print-directory check"
    assert first.startswith("make check-with-services ")
    # Then the recipe for servers of one's own: placeholders, never a made-up account.
    own = shell_block_after(readme.split(first, 1)[1], "instead")
    variables = {
        "db": "TEST_DATABASE_URL",
        "redis": "TEST_REDIS_URL",
        "rabbitmq": "TEST_BROKER_URL",
    }
    exported = re.findall(r"^export (\w+)=\S+PASSWORD@HOST:", own, re.MULTILINE)
    assert sorted(exported) == sorted(variables[service] for service in services(project.answers))
    assert len(re.findall(r"^export ", own, re.MULTILINE)) == len(exported), own
    assert own.endswith("make check")


def hostile_env_file(project: Rendered) -> dict[str, str]:
    """Write .env from .env.example with a hostile value for every secret and account;
    the values, by variable."""
    values = {}
    lines = []
    for line in (project.path / ".env.example").read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and (value == "change-me" or name in ("POSTGRES_USER", "RABBITMQ_USER")):
            values[name] = f"{name.lower()}-{HOSTILE}"
            line = f"{name}='{values[name]}'"
        lines.append(line)
    (project.path / ".env").write_text("\n".join(lines) + "\n")
    return values


def load_script(project: Rendered) -> ModuleType:
    spec = importlib.util.spec_from_file_location("with_test_services", project.path / SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("project", WITH_SERVICES, indirect=True)
def test_the_urls_carry_what_compose_gives_the_services_percent_encoded(
    project: Rendered, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("docker")
    values = hostile_env_file(project)
    for name in values:  # compose prefers the environment to .env
        monkeypatch.delenv(name, raising=False)
    for name, port in PORTS.items():
        monkeypatch.setenv(name, str(port))
    script = load_script(project)

    urls = script.test_urls(script.compose_config())

    database = project.answers["database"]
    expected = {}
    if database == "postgresql":
        expected["TEST_DATABASE_URL"] = (
            "postgresql+asyncpg",
            values["POSTGRES_USER"],
            values["POSTGRES_PASSWORD"],
            PORTS["POSTGRES_PORT"],
            "/postgres",
        )
    elif database == "mysql":
        expected["TEST_DATABASE_URL"] = (
            "mysql+aiomysql",
            "root",
            values["MYSQL_ROOT_PASSWORD"],
            PORTS["MYSQL_PORT"],
            "/mysql",
        )
    if uses_redis(project.answers):
        expected["TEST_REDIS_URL"] = (
            "redis",
            "",
            values["REDIS_PASSWORD"],
            PORTS["REDIS_PORT"],
            "/0",
        )
    if uses_rabbitmq(project.answers):
        expected["TEST_BROKER_URL"] = (
            "amqp",
            values["RABBITMQ_USER"],
            values["RABBITMQ_PASSWORD"],
            PORTS["RABBITMQ_PORT"],
            "/%2F",
        )
    assert set(urls) == set(expected)
    for variable, (scheme, user, password, port, path) in expected.items():
        url = urlsplit(urls[variable])
        assert url.scheme == scheme
        # An unencoded `@`, `/`, `?` or `#` would move the host, the port or the path.
        assert (url.hostname, url.port, url.path) == ("127.0.0.1", port, path), urls[variable]
        assert (unquote(url.username or ""), unquote(url.password or "")) == (user, password)


@pytest.mark.parametrize("project", ["mysql-redis-celery-rabbitmq"], indirect=True)
def test_the_script_says_what_stops_it(project: Rendered) -> None:
    require_tool("docker")
    hostile_env_file(project)
    env_file = project.path / ".env"

    def refusal(**env: str) -> str:
        result = run_in(project.path, [sys.executable, str(SCRIPT), "true"], env=env)
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "Traceback" not in output
        return output

    said = refusal(DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert "Docker is not running" in said
    assert "Cannot connect to the Docker daemon" in said

    saved = env_file.read_text()
    env_file.write_text(re.sub(r"^REDIS_PASSWORD=.*\n", "", saved, flags=re.MULTILINE))
    said = refusal()
    assert "set REDIS_PASSWORD in .env" in said
    assert "level=warning" not in said  # compose's noise about the same variable

    env_file.unlink()
    said = refusal()
    assert ".env is missing" in said
    assert "copy .env.example to .env" in said
