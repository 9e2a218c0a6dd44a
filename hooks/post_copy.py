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

READY = """
{name} is ready in {project}.

Next steps:
  cd {project}
  make install        # uv sync: the virtual environment with dev tools
  make check          # lint, types and tests
  make up             # build the image and start the stack on port {port}

Secrets live in .env (generated, git-ignored). Pull template fixes later with
`copier update --trust`; see README.md, "Updating from the template".
"""

NOT_FINISHED = """
{name} was generated in {project}, but its set-up is not finished:
it has no uv.lock (`uv lock` failed or could not run; see above), and
`make install` and the image build need one. Once the cause is fixed, run:

  cd {project} && uv lock && make install

then `make check` and `make up`, as the project's README says.
"""


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


def closing_message(project: Path) -> str:
    """What to do next: the usual steps, or the one command that finishes the set-up."""
    answers = read_answers(project)
    message = READY if (project / "uv.lock").is_file() else NOT_FINISHED
    return message.format(
        name=answers.get("project_name", project.name),
        project=project,
        port=answers.get("http_port", 8000),
    )


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
        print(closing_message(project), flush=True)
        return 0
    names = ", ".join(failure.name for failure in failures)
    say(f"{len(failures)} failed: {names}")
    keep_answers(project)
    return 1


if __name__ == "__main__":
    sys.exit(main())
