"""The hook's entry point: step order, exit codes, kept answers, and running it as a script."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import post_copy
import pytest
import yaml
from console import run_command, tail

from ..conftest import TEMPLATE_DIR
from .conftest import ANSWERS, HOOKS_DIR
from .fakes import FakeTools

pytestmark = pytest.mark.usefixtures("tools")


def run_hook(project: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.chdir(project)
    return post_copy.main(list(argv))


def kept_answers() -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob("slipway-answers-*.yml"))


def test_clean_project_exits_0_and_keeps_no_answers(
    project: Path,
    tools: FakeTools,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tools.add("uv", ": > uv.lock")  # what `uv lock` leaves behind
    assert run_hook(project, monkeypatch, "--validation", "static") == 0

    steps, _, closing = capsys.readouterr().out.partition("\n\n")
    assert steps.splitlines()[-1] == "slipway: post-copy steps done"
    assert all(line.startswith("slipway: ") for line in steps.splitlines())
    assert "is ready in" in closing
    assert "make install" in closing
    assert (project / ".env").exists()
    assert kept_answers() == []


def test_failed_check_exits_1_and_keeps_the_answers(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".github/workflows/ci.yml").write_text("on: [push\n")

    assert run_hook(project, monkeypatch, "--validation", "static") == 1

    [kept] = kept_answers()
    assert kept.read_text() == ANSWERS
    printed = capsys.readouterr().out
    assert "slipway: 1 failed: yaml parses" in printed
    assert f"your answers are kept in {kept}" in printed
    assert f"--data-file {kept} gh:example/slipway {project}" in printed
    assert "--no-cleanup" in printed


def test_failed_uv_lock_warns_and_keeps_the_project(
    project: Path,
    tools: FakeTools,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tools.add("uv", 'echo "error: no index reachable"; exit 2')

    assert run_hook(project, monkeypatch, "--validation", "none") == 0

    printed = capsys.readouterr().out
    assert "WARN  uv lock" in printed
    assert "| error: no index reachable" in printed
    assert "the project is kept: run `uv lock`" in printed
    closing = printed.rsplit("post-copy steps done", 1)[-1]
    assert "is ready" not in closing
    assert "its set-up is not finished" in closing
    assert "it has no uv.lock" in closing
    assert f"cd {project} && uv lock && make install" in closing
    assert "Initial commit from Slipway template" in printed
    assert kept_answers() == []


def test_a_crash_in_a_step_still_keeps_the_answers(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(project: Path) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(post_copy, "SETUP_STEPS", (explode,))

    assert run_hook(project, monkeypatch, "--validation", "none") == 1
    assert "the post-copy hook crashed" in capsys.readouterr().out
    assert len(kept_answers()) == 1


def test_unknown_validation_level_is_a_usage_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_hook(project, monkeypatch, "--validation", "thorough")

    assert exit_info.value.code == 2


def test_missing_tool_is_reported_not_raised(tmp_path: Path) -> None:
    result = run_command(["no-such-tool", "--version"], tmp_path, timeout=5)

    assert not result.ok
    assert result.error is not None
    assert result.error.startswith("could not start")


def test_tail_keeps_the_last_lines_and_says_what_it_cut() -> None:
    text = "\n".join(f"line {number}" for number in range(1, 11))

    assert tail(text, lines=3) == "... (7 earlier lines omitted)\nline 8\nline 9\nline 10"
    assert tail("short\n") == "short"


@pytest.mark.parametrize(
    ("broken_file", "exit_code", "expected"),
    [
        (None, 0, "slipway: skip  docker not found: skipped `docker compose config`"),
        ("pyproject.toml", 1, "slipway: FAIL  toml parses: 1 file of 1 failed"),
    ],
)
def test_hook_runs_as_a_script(
    project: Path, broken_file: str | None, exit_code: int, expected: str
) -> None:
    if broken_file:
        (project / broken_file).write_text("[unclosed\n")

    completed = subprocess.run(
        [sys.executable, str(HOOKS_DIR / "post_copy.py"), "--validation", "static"],
        cwd=project,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == exit_code, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert expected in completed.stdout.splitlines()
    assert "slipway: skip  uv not found" in completed.stdout


def test_copier_prints_no_closing_message_of_its_own() -> None:
    # Only the task knows whether the set-up worked; a static message would claim it did.
    questions = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
    assert "_message_after_copy" not in questions
