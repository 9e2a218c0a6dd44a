"""Render the template with every Python version and license; the output must read as
hand-written (no Jinja residue, formatted, lint- and mypy --strict-clean) and its own
test suite must pass."""

import ast
import json
import re
import secrets
import tomllib
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .answers import (
    AUTH_CHOICES,
    BASE,
    CACHES,
    COMPONENTS,
    DATABASES,
    LICENSES,
    MONITORING,
    PYTHON_VERSIONS,
    RENDER_MATRIX,
    WORKERS,
    components,
    monitors_with,
    uses_rabbitmq,
    uses_redis,
)
from .conftest import Rendered, in_a_group_of_its_own, render, require_tool, run_in
from .generated_suite import ONCE_PER, deselected_in, file_of, runs_in
from .leftovers import left_behind
from .monitoring import PROMETHEUS_SERIES, exported_sample_names, metric_names, promtool

pytestmark = pytest.mark.render

TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".cfg", ".txt", ".example", ""}
SKIPPED_DIRS = {
    ".git",
    ".venv",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "__pycache__",
}
JINJA_RESIDUE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
# A GitHub workflow's own expressions, `${{ github.ref }}`, in the workflows and the
# test of them: not Jinja residue.
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [^{}]+ \}\}")


def project_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(root).parts):
            yield path


def text_files(root: Path) -> Iterator[Path]:
    for path in project_files(root):
        if path.suffix in TEXT_SUFFIXES and path.name != "uv.lock":
            yield path


def row_of(project: Rendered) -> str:
    """The render-matrix row `project` was rendered from."""
    answers = {**project.answers, "post_copy_validation": "none"}
    return next(row for row, row_answers in RENDER_MATRIX.items() if row_answers == answers)


def package_name(project: Rendered) -> str:
    name: str = yaml.safe_load((project.path / ".copier-answers.yml").read_text())["package_name"]
    return name


def test_matrix_covers_every_python_version_and_license() -> None:
    assert {a.get("python_version", "3.13") for a in RENDER_MATRIX.values()} == set(PYTHON_VERSIONS)
    assert {a.get("license", "MIT") for a in RENDER_MATRIX.values()} == set(LICENSES)
    assert {a.get("database", "postgresql") for a in RENDER_MATRIX.values()} == set(DATABASES)
    assert {a.get("cache", "none") for a in RENDER_MATRIX.values()} == set(CACHES)
    assert {a.get("worker", "none") for a in RENDER_MATRIX.values()} == set(WORKERS)
    for tool in MONITORING:
        assert {monitors_with(a, tool) for a in RENDER_MATRIX.values()} == {True, False}, tool
    assert set(MONITORING) in [
        set(a.get("monitoring", ["prometheus"])) for a in RENDER_MATRIX.values()
    ]


def test_matrix_holds_each_auth_choice_with_each_database() -> None:
    rendered = {
        (answers.get("database", "postgresql"), tuple(sorted(answers.get("auth", []))))
        for answers in RENDER_MATRIX.values()
    }
    assert rendered == {(database, choice) for database in DATABASES for choice in AUTH_CHOICES}


def test_matrix_holds_every_valid_cache_worker_and_broker_combination_once() -> None:
    rendered = [components(answers) for answers in RENDER_MATRIX.values()]
    assert sorted(rendered, key=str) == sorted(COMPONENTS, key=str)


# A display name holding what each file that shows it must escape: the shape of a
# Dockerfile parser directive, quotes (three in a row end a docstring), a backslash
# before N, `#`, `:`, braces, `$` (a Dockerfile label expands it), look-alikes of ASCII
# letters, and East Asian letters: two columns each, they make the title's line in
# about.py 102 columns wide for ruff format, while it is 73 characters long.
HOSTILE_NAME = 'escape=` "EU" \\N #9: {x} $ """ – ’ ' + "東京" * 14  # noqa: RUF001


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def test_a_hostile_display_name_renders_into_files_that_parse(tmp_path: Path) -> None:
    """Every file that shows the display name parses and holds it as typed. Quick: no
    `uv sync`, and only ruff runs; the long-names row of the matrix runs every check on a
    hostile name of its own."""
    ruff = require_tool("ruff")
    answers = {**BASE, "project_name": HOSTILE_NAME, "database": "none"}
    project = render(tmp_path / "project", answers)
    root, package = project.path, package_name(project)
    description = f"{HOSTILE_NAME}: an HTTP API service"
    recorded = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert recorded["project_name"] == HOSTILE_NAME

    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
    outside_ascii = {char for char in HOSTILE_NAME if not char.isascii()}
    assert set(pyproject["tool"]["ruff"]["lint"]["allowed-confusables"]) == outside_ascii

    about = (root / "src" / package / "about.py").read_text()
    assigned = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(about).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert (assigned["TITLE"], assigned["DESCRIPTION"]) == (HOSTILE_NAME, description)
    title = next(line for line in about.splitlines() if line.startswith("TITLE ="))
    assert 100 < columns(title.removesuffix("  # fmt: skip")) <= 104  # ruff would wrap it
    init = ast.parse((root / "src" / package / "__init__.py").read_text())
    assert ast.get_docstring(init) == f"The {HOSTILE_NAME} service."
    # ruff check: no invalid escape, no look-alike it refuses; ruff format: lines kept
    for command in (["check"], ["format", "--check"]):
        result = run_in(root, [ruff, *command, "src"])
        assert result.returncode == 0, result.stdout + result.stderr

    dashboard = root / "deploy/grafana/dashboards/service.json"
    assert json.loads(dashboard.read_text())["title"] == HOSTILE_NAME
    for name in ("compose.yaml", "deploy/prometheus/prometheus.yml"):
        assert HOSTILE_NAME in (root / name).read_text()
        yaml.safe_load((root / name).read_text())

    dockerfile = (root / "Dockerfile").read_text()
    first_line = dockerfile.splitlines()[0]
    assert HOSTILE_NAME in first_line
    # BuildKit's parser-directive pattern (`# escape=...` would change the escape character)
    assert not re.match(r"#\s*[a-zA-Z][a-zA-Z0-9]*\s*=", first_line)
    label = re.search(r'org\.opencontainers\.image\.description="((?:[^"\\]|\\.)*)"', dockerfile)
    assert label is not None
    # As Docker reads it: a backslash escapes the next character, a bare `$` expands.
    pieces = re.findall(r"\\.|[^\\]", label[1])
    assert "$" not in pieces
    assert "".join(piece[-1] for piece in pieces) == description
    assert (root / "README.md").read_text().splitlines()[0] == f"# {HOSTILE_NAME}"


# The rows whose static validation runs checkov over the Kubernetes manifests (10-20 s
# each): the defaults, every component at once, and SQLite with every monitoring tool.
# The other rows run the rest of `make k8s-check` (kustomize, the schemas).
CHECKOV_ROWS = ("defaults", "mysql-redis-celery-rabbitmq", "py312-bsd-sqlite-arq")


@pytest.fixture(scope="module", params=[in_a_group_of_its_own("render", r) for r in RENDER_MATRIX])
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    require_tool("uv")
    answers = {**RENDER_MATRIX[request.param], "post_copy_validation": "static"}
    with pytest.MonkeyPatch.context() as patch:
        if request.param not in CHECKOV_ROWS:
            patch.setenv("SLIPWAY_CHECKOV", "skip")
        rendered = render(tmp_path_factory.mktemp(request.param) / "project", answers, tasks=True)
    rendered.run("uv", "sync", "--frozen", "--quiet")
    return rendered


def test_no_jinja_residue_or_sloppy_whitespace(project: Rendered) -> None:
    problems = []
    for path in text_files(project.path):
        text = path.read_text()
        name = path.relative_to(project.path)
        github = name.parts[:2] == (".github", "workflows") or name.name == "test_workflows.py"
        if JINJA_RESIDUE.search(GITHUB_EXPRESSION.sub("", text) if github else text):
            problems.append(f"{name}: Jinja delimiters")
        if re.search(r"[ \t]+$", text, re.MULTILINE):
            problems.append(f"{name}: trailing whitespace")
        if "\n\n\n\n" in text or (path.suffix != ".py" and "\n\n\n" in text):
            problems.append(f"{name}: run of blank lines")
        if text and (not text.endswith("\n") or text.endswith("\n\n")):
            problems.append(f"{name}: must end with exactly one newline")
    assert problems == []


def test_template_maintenance_files_stay_out(project: Rendered) -> None:
    names = {path.name for path in project_files(project.path)}
    assert not names & {"copier.yml", "post_copy.py", "standins.sh", "CHANGELOG.md"}
    assert not any(name.endswith((".jinja", ".pyc")) for name in names)


def test_answers_file_records_the_answers_but_no_internals(project: Rendered) -> None:
    recorded = yaml.safe_load((project.path / ".copier-answers.yml").read_text())
    for question, answer in project.answers.items():
        assert recorded[question] == answer
    assert "reserved_package_names" not in recorded
    assert "_commit" in recorded
    assert "_src_path" in recorded


def test_license_file_matches_the_answer(project: Rendered) -> None:
    license_name = project.answers.get("license", "MIT")
    license_file = project.path / "LICENSE"
    if license_name == "proprietary":
        assert not license_file.exists()
        assert "license =" not in (project.path / "pyproject.toml").read_text()
        return
    heading = {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3-Clause"}
    text = license_file.read_text()
    assert text.lstrip().startswith(heading[license_name])
    assert f'license = "{license_name}"' in (project.path / "pyproject.toml").read_text()


def test_python_version_reaches_every_place_that_names_it(project: Rendered) -> None:
    version = project.answers.get("python_version", "3.13")
    assert (project.path / ".python-version").read_text().strip() == version
    assert f"ARG PYTHON_IMAGE=python:{version}-slim" in (project.path / "Dockerfile").read_text()
    assert f'requires-python = ">={version}"' in (project.path / "pyproject.toml").read_text()
    assert f'python-version: "{version}"' in (project.path / ".github/workflows/ci.yml").read_text()


def test_ruff_format_is_clean(project: Rendered) -> None:
    project.run("uv", "run", "--frozen", "ruff", "format", "--check", ".")


def test_ruff_check_is_clean(project: Rendered) -> None:
    project.run("uv", "run", "--frozen", "ruff", "check", ".")


def test_make_ignores_a_virtual_environment_active_in_the_shell(project: Rendered) -> None:
    other = project.path.parent / "copier-venv"
    result = run_in(project.path, ["make", "lint"], env={"VIRTUAL_ENV": str(other)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VIRTUAL_ENV" not in result.stdout + result.stderr


def test_mypy_strict_is_clean(project: Rendered) -> None:
    result = project.run("uv", "run", "--frozen", "mypy", "--strict")
    assert "Success: no issues found" in result.stdout


def test_generated_test_suite_passes(project: Rendered) -> None:
    """The suite passes, and leaves the shared servers as it found them."""
    # Every name the suite makes on the servers holds this id, so what it left is found
    # by the id alone, whatever other suites run on the same servers meanwhile.
    run_id = secrets.token_hex(6)
    # Less what another row runs (tests/generated_suite.py)
    pytest_command = ["pytest", "-q", "-p", "no:cacheprovider", *deselected_in(row_of(project))]
    result = project.run("uv", "run", "--frozen", *pytest_command, env={"TEST_RUN_ID": run_id})
    assert re.search(r"\d+ passed", result.stdout)
    assert "failed" not in result.stdout
    left = left_behind(project, run_id)
    assert not left, "the suite left on the servers:\n" + "\n".join(left)


def test_the_tests_left_out_of_this_row_exist_where_they_run(project: Rendered) -> None:
    """Each test another row runs in place of this one: its file is rendered exactly where
    it applies, and the row that runs it has the test, so no name in ONCE_PER is stale."""
    row = row_of(project)
    for test in ONCE_PER:
        applies = ONCE_PER[test](project.answers) is not None
        path = project.path / file_of(test)
        assert path.exists() is applies, test
        if runs_in(test, row) and "::" in test:
            assert f"def {test.split('::')[1]}(" in path.read_text(), test


CALLERS = ("signed-in", "anonymous")


def test_generated_suite_fuzzes_every_operation(project: Rendered) -> None:
    """The API fuzz holds one test per operation of the service, and one of linked sequences
    (with authentication, each twice)."""
    collect = ["pytest", "--collect-only", "-p", "no:cacheprovider", "tests/test_api_fuzz.py"]
    result = project.run("uv", "run", "--frozen", *collect)
    collected = set(re.findall(r"<\w*Function (test_\w+(?:\[[^\]]*\])*)>", result.stdout))
    operations = ["GET /health/live", "GET /health/ready", "GET /health", "POST /api/v1/greetings"]
    has_database = project.answers.get("database", "postgresql") != "none"
    has_worker = project.answers.get("worker", "none") != "none"
    if has_database:
        operations += ["POST /api/v1/items", "GET /api/v1/items"]
        operations += ["GET /api/v1/items/{item_id}", "PATCH /api/v1/items/{item_id}"]
        operations += ["DELETE /api/v1/items/{item_id}"]
    if has_worker:
        operations += ["POST /api/v1/jobs/word-count", "GET /api/v1/jobs/{job_id}"]
    expected = {f"test_every_operation[{operation}]" for operation in operations}
    if has_database or has_worker:  # only their resources have links to follow
        expected.add("test_linked_sequences")
    if project.answers.get("auth"):  # each once signed in, once without credentials
        expected = {f"{test}[{caller}]" for test in expected for caller in CALLERS}
    assert collected == expected


def test_dockerfile_is_hadolint_clean(project: Rendered) -> None:
    hadolint = require_tool("hadolint")
    result = run_in(project.path, [hadolint, "Dockerfile"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_files_are_valid(project: Rendered) -> None:
    require_tool("docker")
    env = {"SECRET_KEY": "x" * 48}
    for files in (["-f", "compose.yaml"], ["-f", "compose.yaml", "-f", "compose.dev.yaml"]):
        result = run_in(project.path, ["docker", "compose", *files, "config", "--quiet"], env=env)
        assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_a_secret(project: Rendered) -> None:
    require_tool("docker")
    env_file = project.path / ".env"
    saved = env_file.read_text()
    # Only the secret goes: every other required variable keeps its value, so
    # compose has exactly one reason to refuse, whatever order it checks in.
    kept = [line for line in saved.splitlines() if not line.startswith("SECRET_KEY=")]
    assert len(kept) < len(saved.splitlines()), "the rendered .env has no SECRET_KEY line"
    env_file.write_text("\n".join(kept) + "\n")
    try:
        result = run_in(
            project.path, ["docker", "compose", "config", "--quiet"], env={"SECRET_KEY": ""}
        )
    finally:
        env_file.write_text(saved)
    assert result.returncode != 0
    assert "set SECRET_KEY in .env" in result.stderr


def test_compose_builds_the_service_image_once(project: Rendered) -> None:
    """`docker compose build` built the same image once per service that runs it (api,
    migrate, worker, scheduler): one `build:`, the api's; the others never pull it, since
    a registry's image of the same name is not this project's."""
    services = yaml.safe_load((project.path / "compose.yaml").read_text())["services"]
    assert [name for name, service in services.items() if "build" in service] == ["api"]
    image = services["api"]["image"]
    sharing = [name for name in services if name != "api" and services[name]["image"] == image]
    pull_policies = {name: services[name].get("pull_policy") for name in sharing}
    assert pull_policies == dict.fromkeys(sharing, "never")
    if project.answers.get("database", "postgresql") != "none":
        assert "migrate" in sharing


BUILD_SECRETS = ["build_ca_bundle", "build_index_url"]


def test_every_download_of_the_image_build_gets_the_build_secrets(project: Rendered) -> None:
    """Behind a proxy that re-signs TLS, or with a mirror of PyPI, a step that downloads
    without the CA bundle and the index fails (tests/e2e/test_build_secrets.py builds it);
    compose passes both to the build only, and the runtime stage mounts neither."""
    dockerfile = (project.path / "Dockerfile").read_text()
    builder, runtime = dockerfile.split(" AS runtime\n")
    instructions = re.sub(r"\\\n", " ", builder).splitlines()
    downloads = [line for line in instructions if re.search(r"pip install|uv sync", line)]
    assert len(downloads) == 3  # uv itself, the dependencies, the project's build backend
    for step in downloads:
        mounts = re.findall(r"--mount=(\S+)", step)
        secrets = [f"type=secret,id={name},required=false" for name in BUILD_SECRETS]
        assert set(mounts) >= {*secrets, "type=tmpfs,target=/run/build-ca"}, step
        assert re.search(r"with-build-secrets /opt/uv/bin/(pip|uv) ", step), step
    assert "--mount=type=secret" not in runtime
    compose = yaml.safe_load((project.path / "compose.yaml").read_text())
    assert compose["services"]["api"]["build"]["secrets"] == BUILD_SECRETS
    assert compose["secrets"] == {
        "build_ca_bundle": {"file": "${BUILD_CA_BUNDLE:-/dev/null}"},
        "build_index_url": {"environment": "BUILD_INDEX_URL"},
    }
    assert not any("secrets" in service for service in compose["services"].values())


def test_compose_services_follow_the_database_cache_and_worker_answers(project: Rendered) -> None:
    database = project.answers.get("database", "postgresql")
    worker = project.answers.get("worker", "none")
    http_port = project.answers.get("http_port", 8000)
    package = package_name(project)
    worker_module = f"{package}.jobs.worker"
    compose = yaml.safe_load((project.path / "compose.yaml").read_text())
    services = compose["services"]
    expected = {
        "postgresql": {"api", "migrate", "db"},
        "mysql": {"api", "migrate", "db"},
        "sqlite": {"api", "migrate"},
        "none": {"api"},
    }[database]
    if uses_redis(project.answers):
        expected |= {"redis"}
    if worker != "none":
        expected |= {"worker", "scheduler"}
    if monitors_with(project.answers, "prometheus"):
        expected |= {"prometheus", "grafana"}
        for name, image in (("prometheus", "PROMETHEUS_IMAGE"), ("grafana", "GRAFANA_IMAGE")):
            assert services[name]["profiles"] == ["monitoring"], name
            assert services[name]["image"].startswith(f"${{{image}:-"), name
            assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"]), name
        # The api publishes its service port only: the metrics port stays on the network.
        assert services["api"]["ports"] == [f"${{HTTP_PORT:-{http_port}}}:{http_port}"]
    if uses_rabbitmq(project.answers):
        expected |= {"rabbitmq"}
    assert set(services) == expected
    waits_for = {}
    if database != "none":
        waits_for["migrate"] = {"condition": "service_completed_successfully"}
    if uses_redis(project.answers):
        waits_for["redis"] = {"condition": "service_healthy"}
        redis = services["redis"]
        assert "ports" not in redis  # not published, except by compose.dev.yaml
        assert redis["image"] == "${REDIS_IMAGE:-redis:7}"
        assert "--requirepass" in redis["command"]
        assert "test" in redis["healthcheck"]
        assert "REDIS_PASSWORD" in services["api"]["environment"]["REDIS_URL"]
        if worker != "none":  # jobs must survive a restart and never be evicted
            assert redis["volumes"] == ["redis-data:/data"]
            assert "noeviction" in redis["command"]
        else:  # a cache keeps nothing
            assert "volumes" not in redis
            assert "allkeys-lru" in redis["command"]
    if uses_rabbitmq(project.answers):
        waits_for["rabbitmq"] = {"condition": "service_healthy"}
        rabbitmq = services["rabbitmq"]
        assert "ports" not in rabbitmq  # not published, except by compose.dev.yaml
        assert rabbitmq["image"] == "${RABBITMQ_IMAGE:-rabbitmq:4}"
        assert rabbitmq["volumes"] == ["rabbitmq-data:/var/lib/rabbitmq"]
        assert "RABBITMQ_PASSWORD" in rabbitmq["environment"]["RABBITMQ_DEFAULT_PASS"]
        assert "test" in rabbitmq["healthcheck"]
        assert "RABBITMQ_PASSWORD" in services["api"]["environment"]["BROKER_URL"]
    if worker != "none":
        for name in ("worker", "scheduler"):
            assert "test" in services[name]["healthcheck"], name
            assert services[name]["depends_on"] == waits_for, name
        assert services["scheduler"]["profiles"] == ["scheduler"]
        assert "profiles" not in services["worker"]
    # Every line the worker and the scheduler print is JSON (the generated test_worker_logs)
    if worker == "arq":  # arq's own plain-text handler stays out
        for name in ("worker", "scheduler"):
            log_dict = ["--custom-log-dict", f"{worker_module}.ARQ_LOGGING"]
            assert services[name]["command"][-2:] == log_dict, name
    if worker == "celery":  # no plain-text banner
        for name in ("worker", "scheduler"):
            assert services[name]["command"][:2] == ["celery", "--quiet"], name
    if worker == "taskiq":  # Taskiq has no ping: the worker records its own heartbeat
        taskiq_cli = ["python", "-m", f"{package}.jobs.cli"]  # logging configured first
        assert services["worker"]["command"][:4] == [*taskiq_cli, "worker"]
        assert services["worker"]["healthcheck"]["test"][-1] == "check-liveness"
        assert services["scheduler"]["command"] == [*taskiq_cli, "scheduler"]
        assert services["scheduler"]["healthcheck"]["test"][-1] == "check-heartbeat"
    if worker == "dramatiq":  # no ping and no scheduler of its own: the service's commands
        assert services["worker"]["command"][:2] == ["dramatiq", f"{package}.jobs.worker:broker"]
        assert services["worker"]["healthcheck"]["test"][-2:] == [worker_module, "check-liveness"]
        assert services["scheduler"]["command"] == ["python", "-m", f"{package}.jobs.scheduler"]
        assert services["scheduler"]["healthcheck"]["test"][-2:] == [
            worker_module,
            "check-heartbeat",
        ]
    assert services["api"].get("depends_on", {}) == waits_for
    if database == "none":
        return
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    if database == "sqlite":
        return
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    db = services["db"]
    assert "ports" not in db  # not published, except by compose.dev.yaml
    assert db["image"] in ("${POSTGRES_IMAGE:-postgres:17}", "${MYSQL_IMAGE:-mariadb:11}")
    assert db["volumes"][0].startswith("db-data:")
    assert "test" in db["healthcheck"]


# What each service of the stack is hardened with: the capabilities it keeps (the official
# images' entrypoints start as root, chown the data directory and drop to the server's user
# with gosu), whether its root filesystem is read-only, the signal that stops it cleanly
# and quickly, and its pids limit. Every service drops every other capability, may not
# gain privileges, and has a memory limit.
SERVER_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"]
SERVICE_HARDENING: dict[str, dict[str, Any]] = {
    "api": {"cap_add": None, "read_only": True, "stop_signal": None, "pids": 256},
    "worker": {"cap_add": None, "read_only": True, "stop_signal": None, "pids": 256},
    "scheduler": {"cap_add": None, "read_only": True, "stop_signal": None, "pids": 128},
    "migrate": {"cap_add": None, "read_only": True, "stop_signal": None, "pids": 64},
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM (smart) waits for the api's pooled
    # connections to close, which they never do: `docker compose stop db` took 30 s.
    "db-postgresql": {
        "cap_add": SERVER_CAPABILITIES, "read_only": True, "stop_signal": "SIGINT", "pids": 256,
    },
    "db-mysql": {
        "cap_add": SERVER_CAPABILITIES, "read_only": True, "stop_signal": "SIGTERM", "pids": 512,
    },
    "redis": {
        "cap_add": SERVER_CAPABILITIES, "read_only": True, "stop_signal": "SIGTERM", "pids": 128,
    },
    "rabbitmq": {
        "cap_add": SERVER_CAPABILITIES, "read_only": None, "stop_signal": "SIGTERM", "pids": 512,
    },
    "prometheus": {"cap_add": None, "read_only": True, "stop_signal": None, "pids": 256},
    "grafana": {"cap_add": None, "read_only": None, "stop_signal": None, "pids": 256},
}  # fmt: skip


@pytest.mark.parametrize("hardened", sorted(SERVICE_HARDENING))
def test_compose_hardens_every_service(project: Rendered, hardened: str) -> None:
    service, _, database = hardened.partition("-")
    services = yaml.safe_load((project.path / "compose.yaml").read_text())["services"]
    if database and project.answers.get("database", "postgresql") != database:
        return  # the other database's entry
    if service not in services:
        # Only services the answers leave out are missing (the services test pins which).
        assert service in {"worker", "scheduler", "migrate", "db", "redis", "rabbitmq",
                           "prometheus", "grafana"}, service  # fmt: skip
        return
    expected = SERVICE_HARDENING[hardened]
    config = services[service]
    assert config["cap_drop"] == ["ALL"]
    assert config.get("cap_add") == expected["cap_add"]
    assert config["security_opt"] == ["no-new-privileges:true"]
    assert config.get("read_only") == expected["read_only"]
    assert config.get("stop_signal") == expected["stop_signal"]
    limits = config["deploy"]["resources"]["limits"]
    assert limits["pids"] == expected["pids"]
    assert limits["memory"]
    if expected["stop_signal"] is not None:
        assert config["stop_grace_period"] == "30s"
    if config.get("read_only") and service not in ("redis", "prometheus"):
        # Whatever the server writes outside its volume goes to memory.
        assert "/tmp" in config["tmpfs"]


def setting_from_env_file(project: Rendered, name: str) -> str:
    """A secret setting as the generated service reads it from the rendered `.env`."""
    package = package_name(project)
    script = (
        f"from {package}.settings import load_settings\n"
        f"print(load_settings(secret_key='x' * 40).{name}.get_secret_value())"
    )
    return project.run("uv", "run", "--frozen", "python", "-c", script).stdout.strip()


def generated_secret(env: str, variable: str) -> str:
    """The value the post-copy task generated for `variable` in `.env`."""
    found = re.search(rf"^{variable}=(\S+)$", env, re.MULTILINE)
    assert found is not None, f"{variable} missing from .env"
    assert len(found[1]) >= 48
    return found[1]


def test_env_gets_generated_database_secrets_the_settings_can_read(project: Rendered) -> None:
    """`.env` interpolates ${VAR}: pydantic-settings and compose read the same URL."""
    database = project.answers.get("database", "postgresql")
    env = (project.path / ".env").read_text()
    assert "=change-me" not in env
    if database == "none":
        assert "DATABASE_URL" not in env
        return
    url = setting_from_env_file(project, "database_url")
    if database == "sqlite":
        package = yaml.safe_load((project.path / ".copier-answers.yml").read_text())
        assert url == f"sqlite+aiosqlite:///./data/{package['package_name']}.db"
        return
    password_variable = {"postgresql": "POSTGRES_PASSWORD", "mysql": "MYSQL_PASSWORD"}[database]
    assert f":{generated_secret(env, password_variable)}@localhost:" in url
    assert "${" not in url


def assert_suite_asks_for(project: Rendered, variable: str, suite: str | None) -> None:
    """Without `variable`, the generated `suite` stops at once (exit 4) and says what to
    set; a project whose suite needs no such server never mentions it (suite None)."""
    if suite is None:
        tests = "".join(path.read_text() for path in (project.path / "tests").rglob("*.py"))
        assert variable not in tests
        return
    result = run_in(
        project.path,
        ["uv", "run", "--frozen", "pytest", "-q", "-p", "no:cacheprovider", suite],
        env={**project.env, variable: ""},
    )
    assert result.returncode == 4, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert f"{variable} is not set" in output
    assert f"\n  export {variable}=" in output
    assert "\\n" not in output  # a newline, not a backslash and an n
    assert "Traceback" not in output


def test_make_check_asks_for_the_test_services_before_linting(project: Rendered) -> None:
    planned = run_in(project.path, ["make", "--dry-run", "check"]).stdout.splitlines()
    assert planned[0] == "uv run pytest"
    if project.answers.get("database", "postgresql") not in ("postgresql", "mysql"):
        return  # no database server to ask for; Redis and RabbitMQ are asked for alike
    result = run_in(project.path, ["make", "check"], env={**project.env, "TEST_DATABASE_URL": ""})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "TEST_DATABASE_URL is not set" in output
    assert "ruff" not in output  # it stopped before lint
    assert "mypy" not in output


def test_generated_suite_stops_with_a_clear_message_without_a_database_server(
    project: Rendered,
) -> None:
    # SQLite and no database: the suite needs no server, and never asks for one.
    needs_server = project.answers.get("database", "postgresql") in ("postgresql", "mysql")
    assert_suite_asks_for(project, "TEST_DATABASE_URL", "tests/items" if needs_server else None)


# Per server the project may talk to: whether it does, the setting that holds its URL,
# the generated password, and the URL the settings must read from `.env`.
SERVER_URLS = {
    "redis": (uses_redis, "redis_url", "REDIS_PASSWORD", "redis://:{}@localhost:6379/0"),
    "rabbitmq": (
        uses_rabbitmq,
        "broker_url",
        "RABBITMQ_PASSWORD",
        "amqp://app:{}@localhost:5672/%2F",
    ),
}


@pytest.mark.parametrize("server", list(SERVER_URLS))
def test_env_gets_a_generated_server_password_the_settings_can_read(
    project: Rendered, server: str
) -> None:
    uses, setting, password, expected = SERVER_URLS[server]
    env = (project.path / ".env").read_text()
    if not uses(project.answers):
        assert password not in env
        assert f"{setting.upper()}=" not in env
        return
    url = setting_from_env_file(project, setting)
    assert url == expected.format(generated_secret(env, password))


def test_generated_suite_stops_with_a_clear_message_without_a_redis_server(
    project: Rendered,
) -> None:
    suite = "tests/cache" if project.answers.get("cache") == "redis" else "tests/jobs"
    assert_suite_asks_for(project, "TEST_REDIS_URL", suite if uses_redis(project.answers) else None)


def test_the_services_own_redis_clients_are_made_in_redis_clients(project: Rendered) -> None:
    """One place sets the timeouts and the retry of a dropped connection: no module of
    the service builds a Redis client or pool of its own (the frameworks' own
    connections, configured by URL, are theirs)."""
    package = package_name(project)
    source = project.path / "src" / package
    assert (source / "redis_clients.py").is_file() == uses_redis(project.answers)
    builders = re.compile(r"\b(?:Redis|ConnectionPool)\.(?:from_url|from_pool)\(|\bRedis\(")
    elsewhere = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if path.name != "redis_clients.py" and builders.search(path.read_text())
    ]
    assert elsewhere == []


def test_generated_suite_stops_with_a_clear_message_without_a_rabbitmq_server(
    project: Rendered,
) -> None:
    suite = "tests/jobs" if uses_rabbitmq(project.answers) else None
    assert_suite_asks_for(project, "TEST_BROKER_URL", suite)


def test_prometheus_config_and_alert_rules_validate(project: Rendered) -> None:
    config = project.path / "deploy/prometheus"
    if not monitors_with(project.answers, "prometheus"):
        assert sorted(path.name for path in (project.path / "deploy").iterdir()) == ["kubernetes"]
        return
    status, output = promtool(config, "check", "config", "prometheus.yml")
    assert status == 0, output
    rules = 4 + (3 if project.answers.get("worker", "none") != "none" else 0)  # api, worker
    assert f"SUCCESS: {rules} rules found" in output  # the rule file was found and checked too
    status, output = promtool(config, "check", "rules", "alerts.yml")
    assert status == 0, output


def test_dashboard_and_alerts_use_only_metrics_the_service_exports(project: Rendered) -> None:
    if not monitors_with(project.answers, "prometheus"):
        assert "prometheus" not in (project.path / "pyproject.toml").read_text()
        return
    package = package_name(project)
    exported = exported_sample_names(project, package) | PROMETHEUS_SERIES
    dashboard = json.loads((project.path / "deploy/grafana/dashboards/service.json").read_text())
    assert dashboard["title"] == project.answers["project_name"]
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(expressions) == len(dashboard["panels"]) >= 8
    alerts = yaml.safe_load((project.path / "deploy/prometheus/alerts.yml").read_text())
    expressions += [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    unknown = {}
    for expression in expressions:
        names = metric_names(expression)
        assert names, f"no metric found in {expression!r}"
        if names - exported:
            unknown[expression] = sorted(names - exported)
    assert unknown == {}


# The manifests render and match the schemas in each row: the fixture's static validation
# runs `make k8s-check`, and so does the generated tests/test_kubernetes.py, which fails
# where the post-copy check could only say "skipped".


def test_prometheus_rule_and_alerts_file_hold_the_same_rule_groups(project: Rendered) -> None:
    monitoring = project.path / "deploy/kubernetes/base/monitoring.yaml"
    if not monitors_with(project.answers, "prometheus"):
        assert not monitoring.exists()
        return
    alerts = yaml.safe_load((project.path / "deploy/prometheus/alerts.yml").read_text())
    objects = {doc["kind"]: doc for doc in yaml.safe_load_all(monitoring.read_text())}
    assert objects["PrometheusRule"]["spec"]["groups"] == alerts["groups"]
    # The rules select job="api" and job="worker": the PodMonitor names jobs so.
    assert objects["PodMonitor"]["spec"]["jobLabel"] == "app.kubernetes.io/component"


def test_no_overlay_raises_the_api_above_one_replica_with_sqlite(project: Rendered) -> None:
    kubernetes = project.path / "deploy/kubernetes"
    api = yaml.safe_load_all((kubernetes / "base/api.yaml").read_text())
    deployment = next(doc for doc in api if doc["kind"] == "Deployment")
    sqlite = project.answers.get("database", "postgresql") == "sqlite"
    assert (deployment["spec"]["replicas"] == 1) is sqlite
    assert (kubernetes / "base/api-scaling.yaml").exists() is not sqlite  # the HPA, the PDB
    for overlay in kubernetes.glob("overlays/*/kustomization.yaml"):
        kustomization = yaml.safe_load(overlay.read_text())
        scaled = {entry["name"] for entry in kustomization.get("replicas", [])}
        patched = {patch["target"]["kind"] for patch in kustomization["patches"]}
        if sqlite:
            assert not any(name.endswith("-api") for name in scaled), overlay
            assert "HorizontalPodAutoscaler" not in patched, overlay
