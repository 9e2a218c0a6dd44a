"""hooks/migrate_answers.py: answers added for questions a project predates, of any type."""

from pathlib import Path

import pytest
import yaml
from migrate_answers import main as migrate_main


def test_a_multiselect_question_added_later_is_answered_with_an_empty_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text("_commit: 0.1.0\ndatabase: postgresql\n")
    arguments = ["--answers-file", str(answers_file), "--add-missing", "monitoring=[]"]
    assert migrate_main([*arguments, "--add-missing", "cache=none"]) == 0
    answers = yaml.safe_load(answers_file.read_text())
    assert answers["monitoring"] == []
    assert answers["cache"] == "none"  # a plain word stays a string
    assert "monitoring: [] (the project predates the question)" in capsys.readouterr().out


def test_a_given_multiselect_answer_is_kept(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text("_commit: 0.2.0\nmonitoring:\n- prometheus\n")
    arguments = ["--answers-file", str(answers_file), "--add-missing", "monitoring=[]"]
    assert migrate_main(arguments) == 0
    assert yaml.safe_load(answers_file.read_text())["monitoring"] == ["prometheus"]


def test_a_value_that_is_not_yaml_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        migrate_main(["--add-missing", "monitoring=[unclosed"])
    assert "is not a YAML value" in capsys.readouterr().err
