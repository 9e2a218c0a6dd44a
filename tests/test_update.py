"""`copier update` from an older release keeps the user's work and applies the template's.

Two kinds of older release: every real release recorded in releases.toml, copied from its
commit; and a constructed pair, so that the template's own changes are known exactly: a
temporary copy of this template with a few changes undone, committed and tagged 0.1.0,
then the current template committed on top and tagged 0.2.0.
"""

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from .conftest import TEMPLATE_DIR, Rendered, require_tool, run_in
from .generated_suite import deselected_in
from .history import (
    build_history,
    clone_with_releases,
    conflict_leftovers,
    generate,
    git,
    replace_text,
    update,
)

pytestmark = pytest.mark.render

OLD, NEW = "0.1.0", "0.2.0"
PACKAGE = "src/{{ package_name }}"
# What 0.2.0 changed: 0.1.0 is the current template with these edits undone.
UNDO_CHANGES_OF_NEW = [
    replace_text(
        f"template/{PACKAGE}/middleware/security_headers.py",
        '    "Cross-Origin-Opener-Policy": "same-origin",\n',
        "",
    ),
    replace_text(
        "template/docs/OPERATIONS.md.jinja",
        "## Images behind a mirror or offline\n",
        "## Images from a registry mirror\n",
    ),
    replace_text(
        "template/README.md.jinja",
        "A FastAPI service generated from the Slipway Copier template: structured logs, one\n",
        "A FastAPI service generated from Slipway: structured logs, one\n",
    ),
]


@pytest.fixture(scope="module")
def template_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("git")
    repo = tmp_path_factory.mktemp("history") / "slipway"
    return build_history(repo, [(OLD, UNDO_CHANGES_OF_NEW), (NEW, [])])


def apply_typical_user_edits(project: Path) -> None:
    """A new endpoint, a changed setting default, an edited README, a new dependency."""
    package = project / "src" / "orders_service"
    (package / "api/v1/orders.py").write_text(
        '"""Orders: the user\'s own endpoint."""\n\n'
        "from fastapi import APIRouter\n\n"
        'router = APIRouter(prefix="/orders", tags=["orders"])\n\n\n'
        '@router.get("")\n'
        "async def list_orders() -> list[str]:\n"
        '    """Every order reference."""\n'
        '    return ["A-1"]\n'
    )
    routers = package / "api/v1/__init__.py"
    routers.write_text(
        routers.read_text()
        .replace("from . import greetings\n", "from . import greetings, orders\n")
        .replace(
            "router.include_router(greetings.router)\n",
            "router.include_router(greetings.router)\nrouter.include_router(orders.router)\n",
        )
    )
    settings = package / "settings.py"
    settings.write_text(settings.read_text().replace("default=1_048_576", "default=4_194_304"))
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## On call\n\nPage the orders team.\n")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('    "fastapi>=', '    "anyio>=4",\n    "fastapi>=')
    )


def commit_typical_user_edits(project: Path) -> None:
    apply_typical_user_edits(project)
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Our own changes")


def assert_typical_user_edits_kept(project: Path) -> None:
    """The new endpoint and the changed setting default survived."""
    package = project / "src/orders_service"
    assert (package / "api/v1/orders.py").exists()
    assert "default=4_194_304" in (package / "settings.py").read_text()


@pytest.fixture(scope="module")
def updated(template_history: Path, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    project = generate(template_history, tmp_path_factory.mktemp("update") / "orders-service", OLD)
    apply_typical_user_edits(project.path)
    project.run("uv", "lock", "--quiet")
    git(project.path, "add", "-A")
    git(project.path, "commit", "--quiet", "-m", "Our own changes")
    env_before = (project.path / ".env").read_text()
    commits_before = git(project.path, "rev-list", "--count", "HEAD")
    output = update(project.path, f"--vcs-ref={NEW}")
    # The post-copy task runs on copy only: not on update, nor in its temporary renders.
    assert "slipway:" not in output
    assert (project.path / ".env").read_text() == env_before, "the update touched .env"
    assert git(project.path, "rev-list", "--count", "HEAD") == commits_before
    return project


def test_update_leaves_no_conflicts(updated: Rendered) -> None:
    assert conflict_leftovers(updated.path) == []


def test_update_keeps_the_users_edits(updated: Rendered) -> None:
    package = updated.path / "src/orders_service"
    assert (package / "api/v1/orders.py").exists()
    assert "router.include_router(orders.router)" in (package / "api/v1/__init__.py").read_text()
    assert "default=4_194_304" in (package / "settings.py").read_text()
    assert "## On call" in (updated.path / "README.md").read_text()
    assert '"anyio>=4",' in (updated.path / "pyproject.toml").read_text()


def test_update_applies_the_templates_changes(updated: Rendered) -> None:
    headers = (updated.path / "src/orders_service/middleware/security_headers.py").read_text()
    assert '"Cross-Origin-Opener-Policy": "same-origin"' in headers
    operations = (updated.path / "docs/OPERATIONS.md").read_text()
    assert "## Images behind a mirror or offline" in operations
    assert "## Images from a registry mirror" not in operations
    answers = (updated.path / ".copier-answers.yml").read_text()
    assert f"_commit: {NEW}" in answers


def test_generated_suite_passes_after_update(updated: Rendered) -> None:
    updated.run("uv", "sync", "--frozen", "--quiet")
    pytest_command = ["pytest", "-q", "-p", "no:cacheprovider", *deselected_in(None)]
    result = updated.run("uv", "run", "--frozen", *pytest_command)
    assert re.search(r"\d+ passed", result.stdout)
    client_check = updated.run("uv", "run", "--frozen", "python", "-c", ORDERS_CHECK)
    assert "200 ['A-1']" in client_check.stdout.splitlines()


ORDERS_CHECK = """
from fastapi.testclient import TestClient
from orders_service.app import create_app
from orders_service.settings import Settings
# The orders route needs no database; the pool connects on first use only.
settings = Settings(
    _env_file=None, environment="test", database_url="postgresql+asyncpg://x@127.0.0.1:1/x"
)
with TestClient(create_app(settings)) as client:
    response = client.get("/api/v1/orders")
    print(response.status_code, response.json())
"""


def test_conflicting_edit_is_inline_and_refused_by_pre_commit(
    template_history: Path, tmp_path: Path
) -> None:
    project = generate(template_history, tmp_path / "orders-service", OLD)
    readme = project.path / "README.md"
    readme.write_text(
        readme.read_text().replace("generated from Slipway", "generated from our fork")
    )
    git(project.path, "commit", "--quiet", "-am", "Reword the README")
    update(project.path, f"--vcs-ref={NEW}")
    assert conflict_leftovers(project.path) == ["README.md"]
    project.run("uv", "sync", "--frozen", "--quiet")
    project.run("uv", "run", "--frozen", "pre-commit", "install")
    git(project.path, "add", "README.md")
    refused = run_in(project.path, ["git", "commit", "-m", "Take the update"])
    assert refused.returncode != 0
    assert "README.md" in refused.stdout + refused.stderr
    assert "conflict" in (refused.stdout + refused.stderr).lower()


def test_check_update_sees_the_newer_release(template_history: Path, tmp_path: Path) -> None:
    """What the generated project's scheduled workflow runs."""
    project = generate(template_history, tmp_path / "orders-service", OLD)
    result = run_in(project.path, ["copier", "check-update", "--quiet"])
    assert result.returncode == 2, result.stdout + result.stderr
    workflow = (project.path / ".github/workflows/template-update.yml").read_text()
    assert "copier check-update --quiet" in workflow


def test_changing_an_answer_rewrites_what_depends_on_it(
    template_history: Path, tmp_path: Path
) -> None:
    project = generate(template_history, tmp_path / "orders-service", OLD)
    commit_typical_user_edits(project.path)
    update(
        project.path,
        "--vcs-ref=:current:",
        "--data=http_port=9090",
    )
    assert conflict_leftovers(project.path) == []
    assert '"${HTTP_PORT:-9090}:9090"' in (project.path / "compose.yaml").read_text()
    assert "EXPOSE 9090" in (project.path / "Dockerfile").read_text()
    assert "http_port: 9090" in (project.path / ".copier-answers.yml").read_text()
    assert f"_commit: {OLD}" in (project.path / ".copier-answers.yml").read_text()
    assert_typical_user_edits_kept(project.path)


def test_adding_a_database_later_adds_its_files_and_keeps_the_users(
    template_history: Path, tmp_path: Path
) -> None:
    project = generate(template_history, tmp_path / "orders-service", OLD, database="none")
    assert not (project.path / "alembic.ini").exists()
    commit_typical_user_edits(project.path)
    update(project.path, "--vcs-ref=:current:", "--data=database=postgresql")
    for added in ("alembic.ini", "src/orders_service/items/router.py", "scripts/db-backup.sh"):
        assert (project.path / added).exists(), added
    assert "  migrate:\n" in (project.path / "compose.yaml").read_text()
    assert_typical_user_edits_kept(project.path)
    # The user's router line and the template's items router touch the same lines.
    assert conflict_leftovers(project.path) == ["src/orders_service/api/v1/__init__.py"]
    routers = (project.path / "src/orders_service/api/v1/__init__.py").read_text()
    assert "router.include_router(orders.router)" in routers
    assert "router.include_router(items_router)" in routers


def test_switching_the_cache_on_later_adds_redis_and_keeps_the_users_edits(
    template_history: Path, tmp_path: Path
) -> None:
    project = generate(template_history, tmp_path / "orders-service", OLD)
    assert not (project.path / "src/orders_service/cache").exists()
    commit_typical_user_edits(project.path)
    update(project.path, "--vcs-ref=:current:", "--data=cache=redis")
    assert conflict_leftovers(project.path) == []
    assert (project.path / "src/orders_service/cache/store.py").exists()
    assert "  redis:\n" in (project.path / "compose.yaml").read_text()
    assert (
        "from .cache.resource import cache"
        in (project.path / "src/orders_service/resources.py").read_text()
    )
    assert (
        "await service.read(item_id)"
        in (project.path / "src/orders_service/items/router.py").read_text()
    )
    # The user's own work is still there.
    assert_typical_user_edits_kept(project.path)
    # .env is never overwritten; it gains the new variables, with a fresh password.
    env = (project.path / ".env").read_text()
    assert re.search(r"^REDIS_PASSWORD=[\w-]{48,}$", env, re.MULTILINE), env
    assert "REDIS_URL=redis://:${REDIS_PASSWORD}@localhost:6379/0" in env
    assert env.count("SECRET_KEY=") == 1


def test_turning_tracing_and_error_reporting_on_later_keeps_the_users_edits(
    template_history: Path, tmp_path: Path
) -> None:
    project = generate(template_history, tmp_path / "orders-service", OLD)
    assert not (project.path / "src/orders_service/tracing").exists()
    commit_typical_user_edits(project.path)
    update(
        project.path,
        "--vcs-ref=:current:",
        "--data=monitoring=[prometheus, opentelemetry, sentry]",
    )
    assert conflict_leftovers(project.path) == []
    package = project.path / "src/orders_service"
    assert (package / "tracing/install.py").exists()
    assert (package / "error_reporting.py").exists()
    assert "install_tracing(app, settings)" in (package / "app.py").read_text()
    assert "trace_queries(engine)" in (package / "database/resource.py").read_text()
    assert_typical_user_edits_kept(project.path)
    # .env gains the new variables, empty: both stay off until configured.
    env = (project.path / ".env").read_text()
    assert re.search(r"^OTEL_EXPORTER_OTLP_ENDPOINT=$", env, re.MULTILINE), env
    assert re.search(r"^SENTRY_DSN=$", env, re.MULTILINE), env


def test_switching_oidc_on_later_guards_the_routes_and_keeps_the_users_edits(
    template_history: Path, tmp_path: Path
) -> None:
    project = generate(template_history, tmp_path / "orders-service", OLD)
    package = project.path / "src/orders_service"
    assert not (package / "auth").exists()
    commit_typical_user_edits(project.path)
    update(project.path, "--vcs-ref=:current:", "--data=auth=[oidc]")
    assert conflict_leftovers(project.path) == []
    assert (package / "auth/oidc.py").exists()
    assert not (package / "auth/api_keys.py").exists()  # API keys were not chosen
    assert (project.path / "tests/auth/test_oidc.py").exists()
    assert 'Security(require_scopes("items:write"))' in (package / "items/router.py").read_text()
    assert "authentication" in (package / "resources.py").read_text()
    assert "auth:\n- oidc\n" in (project.path / ".copier-answers.yml").read_text()
    assert_typical_user_edits_kept(project.path)
    # .env gains the new variables: bearer tokens stay refused until OIDC_ISSUER is set.
    env = (project.path / ".env").read_text()
    assert re.search(r"^OIDC_ISSUER=$", env, re.MULTILINE), env
    assert re.search(r"^AUTH_PUBLIC_READS=false$", env, re.MULTILINE), env


RELEASES_FILE = TEMPLATE_DIR / "releases.toml"


def recorded_releases() -> dict[str, str]:
    """The template's real releases, version to commit, from releases.toml."""
    releases = tomllib.loads(RELEASES_FILE.read_text())["release"]
    return {release["version"]: release["commit"] for release in releases}


def sorted_versions(versions: Iterable[str]) -> list[str]:
    return sorted(versions, key=Version)


def test_every_release_is_recorded_documented_and_reachable() -> None:
    releases = recorded_releases()
    assert releases, "releases.toml lists no release"
    changelog = (TEMPLATE_DIR / "CHANGELOG.md").read_text()
    for version, commit in releases.items():
        assert str(Version(version)) == version, f"{version} is not a normalised PEP 440 version"
        assert f"## [{version}] - " in changelog, f"CHANGELOG.md has no section for {version}"
        found = run_in(TEMPLATE_DIR, ["git", "cat-file", "-t", commit])
        assert found.stdout.strip() == "commit", f"{version}: commit {commit} is not in this clone"
    for tag in run_in(TEMPLATE_DIR, ["git", "tag", "--list"]).stdout.split():
        if re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?", tag):
            tagged = run_in(TEMPLATE_DIR, ["git", "rev-list", "-n", "1", tag]).stdout.strip()
            assert releases.get(tag) == tagged, f"tag {tag} is missing from releases.toml"


@pytest.fixture(scope="module")
def released_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("released") / "slipway"
    return clone_with_releases(repo, recorded_releases())


@pytest.mark.parametrize("release", sorted_versions(recorded_releases()))
def test_update_from_each_release_to_head(
    release: str, released_history: Path, tmp_path: Path
) -> None:
    project = generate(released_history, tmp_path / "orders-service", release)
    before = yaml.safe_load((project.path / ".copier-answers.yml").read_text())
    commit_typical_user_edits(project.path)
    update(project.path, "--vcs-ref=HEAD")
    assert conflict_leftovers(project.path) == []
    assert (project.path / "src/orders_service/api/v1/orders.py").exists()
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text())
    if "database" not in before:
        # The release predates the question: the project had no database, and keeps none.
        assert answers["database"] == "none"
        assert not (project.path / "alembic.ini").exists()
    project.run("uv", "lock", "--quiet")
    project.run("uv", "sync", "--frozen", "--quiet")
    pytest_command = ["pytest", "-q", "-p", "no:cacheprovider", *deselected_in(None)]
    result = project.run("uv", "run", "--frozen", *pytest_command)
    assert re.search(r"\d+ passed", result.stdout)


def test_update_to_the_same_release_changes_nothing(tmp_path: Path) -> None:
    template = build_history(tmp_path / "slipway", [(NEW, [])])
    project = generate(template, tmp_path / "orders-service", NEW)
    update(project.path, f"--vcs-ref={NEW}")
    assert git(project.path, "status", "--porcelain") == ""
