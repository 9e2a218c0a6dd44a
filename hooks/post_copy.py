"""Copier task run in the new project after `copier copy`: set it up, then validate it."""

import argparse
import shlex
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from console import Failure, say, show
from project_setup import (
    ANSWERS_FILE,
    create_repository,
    lock_dependencies,
    read_answers,
    write_env_file,
)
from validation import LEVELS, validate

SETUP_STEPS = (write_env_file, lock_dependencies, create_repository)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line copier passes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--validation",
        choices=LEVELS,
        default="static",
        help="how far to check the generated project (default: static)",
    )
    return parser.parse_args(argv)


def run_steps(project: Path, level: str) -> list[Failure]:
    """Run the setup steps and the validation in order; return what failed."""
    failures: list[Failure] = []
    for step in SETUP_STEPS:
        outcome = step(project)
        show(outcome)
        if isinstance(outcome, Failure) and outcome.fatal:
            failures.append(outcome)
    return failures + validate(project, level)


def keep_answers(project: Path) -> None:
    """Copy the answers out of a project that copier is about to delete."""
    source = project / ANSWERS_FILE
    if not source.is_file():
        say(f"{ANSWERS_FILE} not found: there are no answers to keep")
        return
    descriptor, kept = tempfile.mkstemp(prefix="slipway-answers-", suffix=".yml")
    with open(descriptor, "wb") as handle:
        handle.write(source.read_bytes())
    template = read_answers(project).get("_src_path") or "<template>"
    regenerate = shlex.join(
        ["copier", "copy", "--trust", "--data-file", kept, str(template), str(project)]
    )
    say(f"copier deletes a project whose task failed; your answers are kept in {kept}.")
    say(f"Regenerate with `{regenerate}` or keep the failed project with `--no-cleanup`;")
    say("add `-d post_copy_validation=static` (or `none`) to leave out the check that failed.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the hook in the current directory; 1 when a step or check failed."""
    level = parse_args(argv).validation
    project = Path.cwd()
    try:
        failures = run_steps(project, level)
    except Exception:
        # A bug in the hook must not also cost the user their answers.
        traceback.print_exc()
        say("the post-copy hook crashed (traceback above); please report it")
        keep_answers(project)
        return 1
    if not failures:
        say("post-copy steps done")
        return 0
    names = ", ".join(failure.name for failure in failures)
    say(f"{len(failures)} failed: {names}")
    keep_answers(project)
    return 1


if __name__ == "__main__":
    sys.exit(main())
