"""The setup steps: .env secrets, `uv lock`, and the first git commit."""

import stat
from pathlib import Path

import project_setup
import pytest
from console import Failure, Passed, Skipped, show
from project_setup import (
    add_missing_env_variables,
    check_env_hosts,
    create_repository,
    lock_dependencies,
    write_env_file,
)

from .fakes import REAL_GIT, SLEEP, FakeTools, git


def env_values(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def test_env_gets_a_fresh_secret_for_each_placeholder_and_keeps_other_lines(
    project: Path,
) -> None:
    outcome = write_env_file(project)

    assert isinstance(outcome, Passed)
    lines = (project / ".env").read_text().splitlines()
    assert lines[0] == "# Settings"
    assert lines[2] == "PORT=8000"
    values = env_values(project / ".env")
    assert len(values["SECRET_KEY"]) >= 64  # token_urlsafe(48)
    assert values["SECRET_KEY"] != values["DB_PASSWORD"]
    assert "change-me" not in (project / ".env").read_text()
    assert "SECRET_KEY" in outcome.message


def test_env_replaces_only_an_exact_placeholder_and_keeps_line_endings(project: Path) -> None:
    (project / ".env.example").write_bytes(b"A=change-me\r\nB=change-me-too\r\nC=x change-me\r\n")

    write_env_file(project)

    content = (project / ".env").read_bytes()
    assert content.count(b"\r\n") == 3
    assert b"B=change-me-too\r\nC=x change-me\r\n" in content
    assert not content.startswith(b"A=change-me")


def test_env_is_readable_by_its_owner_only(project: Path) -> None:
    write_env_file(project)

    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600


def test_env_secret_is_never_printed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show(write_env_file(project))

    printed = capsys.readouterr().out
    assert ".env written" in printed
    for secret in env_values(project / ".env").values():
        if secret != "8000":
            assert secret not in printed


def test_existing_env_is_left_untouched(project: Path) -> None:
    (project / ".env").write_text("SECRET_KEY=mine\n")

    outcome = write_env_file(project)

    assert isinstance(outcome, Skipped)
    assert "already exists" in outcome.message
    assert (project / ".env").read_text() == "SECRET_KEY=mine\n"


def test_missing_env_example_is_reported_and_writes_nothing(project: Path) -> None:
    (project / ".env.example").unlink()

    outcome = write_env_file(project)

    assert outcome == Skipped(".env.example not found: no .env written")
    assert not (project / ".env").exists()


def test_missing_uv_is_one_line_naming_the_project(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    show(lock_dependencies(project))

    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1
    assert "uv not found" in printed[0]
    assert f"run `uv lock` in {project}" in printed[0]


def test_uv_lock_runs_in_the_project(project: Path, tools: FakeTools) -> None:
    tools.add("uv", 'echo "cwd $(pwd)" >> "$0.log"')

    outcome = lock_dependencies(project)

    assert outcome == Passed("uv lock")
    assert tools.calls() == ["uv lock"]
    assert (tools.bin_dir / "uv.log").read_text().strip() == f"cwd {project}"


def test_uv_lock_prefers_an_installed_python(
    project: Path, tools: FakeTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UV_PYTHON_PREFERENCE", raising=False)
    tools.add("uv", 'echo "preference $UV_PYTHON_PREFERENCE" >> "$0.log"')

    assert lock_dependencies(project) == Passed("uv lock")
    assert (tools.bin_dir / "uv.log").read_text().strip() == "preference system"


def test_uv_lock_keeps_the_users_python_preference(
    project: Path, tools: FakeTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_PYTHON_PREFERENCE", "only-managed")
    tools.add("uv", 'echo "preference $UV_PYTHON_PREFERENCE" >> "$0.log"')

    lock_dependencies(project)
    assert (tools.bin_dir / "uv.log").read_text().strip() == "preference only-managed"


def test_uv_lock_is_skipped_when_a_lock_file_exists(project: Path, tools: FakeTools) -> None:
    tools.add("uv")
    (project / "uv.lock").write_text("version = 1\n")

    assert isinstance(lock_dependencies(project), Skipped)
    assert tools.calls() == []


def test_failed_uv_lock_is_reported_but_not_fatal(project: Path, tools: FakeTools) -> None:
    tools.add("uv", 'echo "error: Failed to fetch: https://pypi.org/simple/fastapi/"; exit 2')

    outcome = lock_dependencies(project)

    assert isinstance(outcome, Failure)
    assert not outcome.fatal
    assert outcome.name == "uv lock"
    assert "exited with 2" in outcome.reason
    assert "Failed to fetch" in outcome.output
    assert "network or index access" in outcome.fix


def test_uv_lock_timeout_is_a_failed_step(
    project: Path, tools: FakeTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project_setup, "UV_LOCK_TIMEOUT", 0.3)
    tools.add("uv", f"exec {SLEEP} 10")

    outcome = lock_dependencies(project)

    assert isinstance(outcome, Failure)
    assert outcome.reason == "`uv lock` timed out after 0.3 s"


needs_git = pytest.mark.skipif(REAL_GIT is None, reason="needs git")


@needs_git
def test_git_commits_on_main_with_the_answers_identity(project: Path) -> None:
    write_env_file(project)

    outcome = create_repository(project)

    assert isinstance(outcome, Passed)
    assert "author from .copier-answers.yml" in outcome.message
    log = git(project, "log", "--format=%an|%ae|%s")
    assert log == "Ada Lovelace|ada@example.com|Initial commit from Slipway template"
    assert git(project, "symbolic-ref", "--short", "HEAD") == "main"
    tracked = git(project, "ls-files").splitlines()
    assert "compose.yml" in tracked
    assert ".env" not in tracked


@needs_git
def test_git_identity_from_git_config_wins_over_the_answers(project: Path) -> None:
    git(project.parent, "config", "--global", "user.name", "Configured Dev")
    git(project.parent, "config", "--global", "user.email", "dev@example.org")

    outcome = create_repository(project)

    assert isinstance(outcome, Passed)
    assert "author from" not in outcome.message
    assert git(project, "log", "--format=%an <%ae>") == "Configured Dev <dev@example.org>"


@needs_git
def test_second_run_leaves_the_repository_alone(project: Path) -> None:
    create_repository(project)
    (project / "later.txt").write_text("edited after generation\n")

    outcome = create_repository(project)

    assert outcome == Skipped("git repository already has commits: left as is")
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert "later.txt" in git(project, "status", "--porcelain")


@needs_git
def test_env_that_is_not_git_ignored_stays_out_of_the_commit(project: Path) -> None:
    (project / ".gitignore").unlink()
    write_env_file(project)

    outcome = create_repository(project)

    assert isinstance(outcome, Passed)
    assert "not git-ignored" in outcome.message
    assert ".env" not in git(project, "ls-files").splitlines()


@needs_git
def test_project_inside_another_work_tree_is_not_committed(project: Path) -> None:
    git(project.parent, "init", "--quiet")

    outcome = create_repository(project)

    assert isinstance(outcome, Skipped)
    assert "inside the git work tree" in outcome.message
    assert not (project / ".git").exists()


@needs_git
def test_old_git_without_initial_branch_still_gets_main(project: Path, tools: FakeTools) -> None:
    tools.remove("git")
    tools.add(
        "git",
        'case "$*" in *--initial-branch*) echo "unknown option" >&2; exit 129;; esac\n'
        f'exec {REAL_GIT} "$@"',
    )

    outcome = create_repository(project)

    assert isinstance(outcome, Passed)
    assert "on branch main" in outcome.message
    assert git(project, "rev-list", "--count", "main") == "1"


def test_missing_git_is_one_line_and_no_repository(project: Path, tools: FakeTools) -> None:
    if REAL_GIT:
        tools.remove("git")

    outcome = create_repository(project)

    assert isinstance(outcome, Skipped)
    assert outcome.message.startswith("git not found")
    assert not (project / ".git").exists()


def test_update_adds_only_the_missing_variables_with_fresh_secrets(project: Path) -> None:
    (project / ".env").write_text("SECRET_KEY=kept-as-it-was\nPORT=9000\n")
    (project / ".env.example").write_text(
        "# Settings\nSECRET_KEY=change-me\nPORT=8000\nREDIS_PASSWORD=change-me\nTTL=300\n"
    )

    outcome = add_missing_env_variables(project)

    assert outcome == Passed(".env: added REDIS_PASSWORD, TTL")
    values = env_values(project / ".env")
    assert values["SECRET_KEY"] == "kept-as-it-was"
    assert values["PORT"] == "9000"
    assert len(values["REDIS_PASSWORD"]) >= 64
    assert values["TTL"] == "300"
    # Run again: nothing more to add, nothing changed.
    before = (project / ".env").read_text()
    assert isinstance(add_missing_env_variables(project), Skipped)
    assert (project / ".env").read_text() == before


def test_update_without_an_env_file_adds_nothing(project: Path) -> None:
    (project / ".env.example").write_text("SECRET_KEY=change-me\n")
    assert isinstance(add_missing_env_variables(project), Skipped)
    assert not (project / ".env").exists()


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ("ENVIRONMENT=production\nTRUSTED_HOSTS=*\n", True),
        ("TRUSTED_HOSTS=api.example.com, *\n", True),  # compose's ENVIRONMENT is production
        ("ENVIRONMENT=production\nTRUSTED_HOSTS=localhost,127.0.0.1\n", False),
        ("ENVIRONMENT=development\nTRUSTED_HOSTS=*\n", False),
        ("ENVIRONMENT=production\n", False),  # compose's own default is used
    ],
)
def test_update_warns_of_trusted_hosts_refused_in_production(
    project: Path, env: str, warned: bool
) -> None:
    (project / ".env").write_text(env)
    outcome = check_env_hosts(project)
    if not warned:
        assert outcome is None
        return
    assert isinstance(outcome, Failure)
    assert not outcome.fatal
    assert "TRUSTED_HOSTS" in outcome.reason
    assert (project / ".env").read_text() == env  # reported, never changed


def test_no_env_file_no_host_warning(project: Path) -> None:
    assert check_env_hosts(project) is None
