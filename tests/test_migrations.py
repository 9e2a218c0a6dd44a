"""Renamed questions and choices: `_migrations` carries old answers across an update.

The rename is real, made in a constructed release: 0.2.0 renames the question
`http_port` to `listen_port` throughout the template and declares the migration the
way CONTRIBUTING.md says to.
"""

from pathlib import Path

import pytest
import yaml
from migrate_answers import main as migrate_main

from .conftest import require_tool
from .history import build_history, generate, git, update

OLD, NEW = "0.1.0", "0.2.0"
MIGRATION = """_migrations:
  - version: "0.2.0"
    when: "{{ _stage == 'before' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/migrate_answers.py",
              "--answers-file", "{{ _copier_conf.answers_file }}",
              "--rename-question", "http_port=listen_port"]
"""


def rename_http_port(repo: Path) -> None:
    """The 0.2.0 change: `http_port` becomes `listen_port` everywhere it is named."""
    renamed = 0
    for path in [repo / "copier.yml", *(repo / "template").rglob("*")]:
        if path.is_file() and "http_port" in (text := path.read_text()):
            path.write_text(text.replace("http_port", "listen_port"))
            renamed += 1
    assert renamed > 3, "http_port is no longer used by the template: update this test"
    config = repo / "copier.yml"
    text = config.read_text()
    assert "\n_migrations:\n" in text
    config.write_text(text.replace("\n_migrations:\n", "\n" + MIGRATION, 1))


@pytest.fixture(scope="module")
def renamed_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("git")
    repo = tmp_path_factory.mktemp("history") / "slipway"
    return build_history(repo, [(OLD, []), (NEW, [rename_http_port])])


def test_update_carries_the_answer_to_the_renamed_question(
    renamed_history: Path, tmp_path: Path
) -> None:
    project = generate(renamed_history, tmp_path / "orders-service", OLD, http_port=9090)
    output = update(project.path, f"--vcs-ref={NEW}")
    assert "slipway migration: question http_port is now listen_port" in output
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text())
    assert answers["listen_port"] == 9090
    assert "http_port" not in answers
    assert answers["_commit"] == NEW
    assert '"${HTTP_PORT:-9090}:9090"' in (project.path / "compose.yaml").read_text()
    assert git(project.path, "status", "--porcelain").strip() != ""  # the update is left for review


def test_question_and_choice_renames_are_idempotent(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text("_commit: 0.1.0\nhttp_port: 9090\nlicense: BSD-3\n")
    arguments = [
        "--answers-file",
        str(answers_file),
        "--rename-question",
        "http_port=listen_port",
        "--rename-choice",
        "license:BSD-3=BSD-3-Clause",
    ]
    assert migrate_main(arguments) == 0
    first = answers_file.read_text()
    assert yaml.safe_load(first) == {
        "_commit": "0.1.0",
        "listen_port": 9090,
        "license": "BSD-3-Clause",
    }
    assert first.startswith("# Changes here will be overwritten by Copier")
    assert migrate_main(arguments) == 0
    assert answers_file.read_text() == first


def test_questions_added_later_are_answered_for_older_projects(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text("_commit: 0.1.0\nhttp_port: 9090\n")
    arguments = ["--answers-file", str(answers_file), "--add-missing", "database=none"]
    assert migrate_main(arguments) == 0
    assert yaml.safe_load(answers_file.read_text())["database"] == "none"
    answers_file.write_text("_commit: 0.2.0\ndatabase: mysql\n")
    assert migrate_main(arguments) == 0
    assert yaml.safe_load(answers_file.read_text())["database"] == "mysql"


def test_a_missing_answers_file_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrate_main(["--answers-file", str(tmp_path / "absent.yml")]) == 1
    assert "not found: nothing to migrate" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["http_port", "=new", "old="])
def test_malformed_renames_are_refused(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        migrate_main(["--rename-question", bad])
    assert "expected OLD=NEW" in capsys.readouterr().err
