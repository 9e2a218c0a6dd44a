"""Copier migration: carry answers across renamed questions and choices, and answer
questions added after a project was created.

Run by `_migrations` in copier.yml, before an update, in the project being updated:
    python migrate_answers.py --answers-file .copier-answers.yml \
        --rename-question old_name=new_name --rename-choice question:old=new \
        --add-missing database=none --add-missing monitoring=[]
An --add-missing value is read as YAML, so `[]` is an empty list (a multiselect
question answered with nothing) and `none` stays the string "none".
Idempotent: an answer already renamed, or already given, is left alone.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

PREFIX = "slipway migration: "
HEADER = "# Changes here will be overwritten by Copier; do not edit by hand.\n"


def pair(text: str, separator: str) -> tuple[str, str]:
    old, found, new = text.partition(separator)
    if not (found and old and new):
        raise argparse.ArgumentTypeError(f"expected OLD{separator}NEW, got {text!r}")
    return old, new


def missing_answer(text: str) -> tuple[str, Any]:
    question, value = pair(text, "=")
    try:
        return question, yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a YAML value: {error}") from None


def choice_rename(text: str) -> tuple[str, str, str]:
    question, found, rest = text.partition(":")
    if not (found and question):
        raise argparse.ArgumentTypeError(f"expected QUESTION:OLD=NEW, got {text!r}")
    old, new = pair(rest, "=")
    return question, old, new


def migrate(
    answers: dict[str, Any],
    questions: list[tuple[str, str]],
    choices: list[tuple[str, str, str]],
    missing: Sequence[tuple[str, Any]] = (),
) -> list[str]:
    """Rename and fill in place; return what changed, one line each."""
    changes = []
    for question, value in missing:
        if question not in answers:
            answers[question] = value
            changes.append(f"{question}: {value} (the project predates the question)")
    for old, new in questions:
        if old in answers and new not in answers:
            answers[new] = answers.pop(old)
            changes.append(f"question {old} is now {new}")
    for question, old, new in choices:
        if answers.get(question) == old:
            answers[question] = new
            changes.append(f"{question}: choice {old!r} is now {new!r}")
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers-file", type=Path, default=Path(".copier-answers.yml"))
    parser.add_argument(
        "--rename-question", type=lambda t: pair(t, "="), action="append", default=[]
    )
    parser.add_argument("--rename-choice", type=choice_rename, action="append", default=[])
    parser.add_argument("--add-missing", type=missing_answer, action="append", default=[])
    options = parser.parse_args(argv)
    if not options.answers_file.is_file():
        print(f"{PREFIX}{options.answers_file} not found: nothing to migrate")
        return 1
    answers = yaml.safe_load(options.answers_file.read_text()) or {}
    changes = migrate(answers, options.rename_question, options.rename_choice, options.add_missing)
    if changes:
        body = yaml.safe_dump(dict(sorted(answers.items())), allow_unicode=True, sort_keys=False)
        options.answers_file.write_text(HEADER + body)
    for change in changes:
        print(f"{PREFIX}{change}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
