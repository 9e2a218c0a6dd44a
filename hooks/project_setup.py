"""Setup steps after `copier copy`: the .env secrets, `uv lock`, the first git commit."""

import os
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import yaml
from console import (
    CommandResult,
    Failure,
    Outcome,
    Passed,
    Skipped,
    command_failure,
    run_command,
)

ANSWERS_FILE = ".copier-answers.yml"
SECRET_PLACEHOLDER = "change-me"
INITIAL_COMMIT_MESSAGE = "Initial commit from Slipway template"
UV_INSTALL_URL = "https://docs.astral.sh/uv/"
UV_LOCK_TIMEOUT = 300.0
GIT_TIMEOUT = 60.0

_PLACEHOLDER_LINE = re.compile(rf"([A-Za-z_][A-Za-z0-9_]*)={re.escape(SECRET_PLACEHOLDER)}")
# A failed step cannot be turned off on its own: keep the project and finish by hand.
_KEEP_AND_FINISH = "keep the project with `copier copy --no-cleanup ...` and run `{}` yourself"


def read_answers(project: Path) -> dict[str, object]:
    """Return the copier answers, or an empty mapping when absent or unreadable."""
    try:
        loaded = yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _with_fresh_secret(body: str) -> tuple[str, str | None]:
    """`NAME=change-me` becomes `NAME=<fresh secret>`; the line, and NAME if it changed."""
    match = _PLACEHOLDER_LINE.fullmatch(body)
    if match is None:
        return body, None
    return f"{match[1]}={secrets.token_urlsafe(48)}", match[1]


def write_env_file(project: Path) -> Outcome:
    """Create .env from .env.example, with a fresh secret for every `change-me`."""
    target = project / ".env"
    example = project / ".env.example"
    if target.exists():
        return Skipped(".env already exists: left untouched")
    if not example.is_file():
        return Skipped(".env.example not found: no .env written")
    # newline="" keeps the example's line endings byte for byte.
    with example.open(encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    generated: list[str] = []
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        replaced, name = _with_fresh_secret(body)
        if name is not None:
            generated.append(name)
            lines[index] = replaced + line[len(body) :]
    # Created as 0600 so the secrets are never readable by others, even briefly.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.writelines(lines)
    target.chmod(0o600)  # the umask may have narrowed the mode given to os.open
    secrets_note = f"new {', '.join(generated)}" if generated else "no change-me values"
    return Passed(f".env written from .env.example ({secrets_note}; mode 600)")


def lock_dependencies(project: Path) -> Outcome:
    """Run `uv lock` so the first commit pins every dependency."""
    if (project / "uv.lock").exists():
        return Skipped("uv.lock already exists: skipped `uv lock`")
    if not (project / "pyproject.toml").is_file():
        return Skipped("pyproject.toml not found: skipped `uv lock`")
    if shutil.which("uv") is None:
        return Skipped(
            f"uv not found: install it ({UV_INSTALL_URL}) and run `uv lock` in {project}"
        )
    args = ["uv", "lock"]
    # Locking needs an interpreter that satisfies requires-python, not a particular one:
    # prefer one already installed over downloading uv's managed build (offline machines).
    env = {**os.environ, "UV_PYTHON_PREFERENCE": os.environ.get("UV_PYTHON_PREFERENCE", "system")}
    result = run_command(args, project, UV_LOCK_TIMEOUT, env)
    if result.ok:
        return Passed("uv lock")
    failure = command_failure(
        "uv lock",
        args,
        result,
        fix="the project is kept: run `uv lock` in it once the cause above is fixed "
        "(usually network or index access, or no Python matching .python-version)",
        skip="the image build and `make install` need uv.lock",
    )
    # Not fatal: copier would delete the whole project for a file one command recreates.
    return replace(failure, fatal=False)


def create_repository(project: Path) -> Outcome:
    """Make the first commit, unless the project is already in a repository with one."""
    if shutil.which("git") is None:
        return Skipped("git not found: no repository created; run `git init` later")
    toplevel = _git(project, "rev-parse", "--show-toplevel")
    if not toplevel.ok:
        failure = _init_repository(project)
        if failure:
            return failure
    elif Path(toplevel.output.strip()).resolve() != project.resolve():
        # Committing here would touch someone else's repository (a monorepo, say).
        return Skipped(f"inside the git work tree {toplevel.output.strip()}: left as is")
    elif _git(project, "rev-parse", "--verify", "--quiet", "HEAD").ok:
        return Skipped("git repository already has commits: left as is")
    return _commit_everything(project)


def _git(project: Path, *args: str) -> CommandResult:
    """Run one git command in the project."""
    return run_command(["git", *args], project, GIT_TIMEOUT)


def _git_failure(args: Sequence[str], result: CommandResult) -> Failure:
    """Describe a failed git command."""
    manual = f'git add -A && git commit -m "{INITIAL_COMMIT_MESSAGE}"'
    return command_failure(
        "git",
        ["git", *args],
        result,
        fix="fix the git error above (user.name and user.email must be set)",
        skip=_KEEP_AND_FINISH.format(f"git init -b main && {manual}"),
    )


def _init_repository(project: Path) -> Failure | None:
    """Create a repository whose first branch is main."""
    if _git(project, "init", "--quiet", "--initial-branch=main").ok:
        return None
    # git before 2.28 has no --initial-branch: point the unborn HEAD at main instead.
    for args in (("init", "--quiet"), ("symbolic-ref", "HEAD", "refs/heads/main")):
        result = _git(project, *args)
        if not result.ok:
            return _git_failure(args, result)
    return None


def _identity_options(project: Path) -> list[str]:
    """Return `-c` options taking the author from the answers where git has none."""
    answers = read_answers(project)
    options: list[str] = []
    for key, answer in (("user.name", "author_name"), ("user.email", "author_email")):
        configured = _git(project, "config", "--get", key)
        if configured.ok and configured.output.strip():
            continue
        value = answers.get(answer)
        if isinstance(value, str) and value.strip():
            options += ["-c", f"{key}={value.strip()}"]
    return options


def _commit_everything(project: Path) -> Outcome:
    """Stage the whole project, less a non-ignored .env, and commit it."""
    added = _git(project, "add", "--all")
    if not added.ok:
        return _git_failure(("add", "--all"), added)
    note = ""
    # Should the template ever stop ignoring .env, the secrets must still stay local.
    if _git(project, "ls-files", "--cached", "--", ".env").output.strip():
        unstage = ("rm", "--cached", "--quiet", "--", ".env")
        result = _git(project, *unstage)
        if not result.ok:
            return _git_failure(unstage, result)
        note = "; .env is not git-ignored, so it was left out: add it to .gitignore"
    identity = _identity_options(project)
    commit = (*identity, "commit", "--quiet", "--message", INITIAL_COMMIT_MESSAGE)
    result = _git(project, *commit)
    if not result.ok:
        return _git_failure(commit, result)
    branch = _git(project, "symbolic-ref", "--short", "HEAD").output.strip()
    author = " (author from .copier-answers.yml)" if identity else ""
    return Passed(f'git: "{INITIAL_COMMIT_MESSAGE}" on branch {branch}{author}{note}')


def add_missing_env_variables(project: Path) -> Outcome:
    """Append to .env the variables .env.example has and .env lacks (a component switched
    on by `copier update`), with a fresh secret for every `change-me`. Idempotent."""
    target = project / ".env"
    example = project / ".env.example"
    if not (target.is_file() and example.is_file()):
        return Skipped(".env or .env.example not found: nothing to add")
    existing = target.read_text(encoding="utf-8")
    defined = set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=", existing, re.MULTILINE))
    added: list[str] = []
    for line in example.read_text(encoding="utf-8").splitlines():
        name, found, _ = line.partition("=")
        if found and not line.startswith("#") and name not in defined:
            added.append(_with_fresh_secret(line)[0])
    if not added:
        return Skipped(".env already has every variable of .env.example")
    block = "\n# Added by `copier update` from .env.example\n" + "\n".join(added) + "\n"
    separator = "" if existing.endswith("\n") or not existing else "\n"
    target.write_text(existing + separator + block, encoding="utf-8")
    names = ", ".join(line.partition("=")[0] for line in added)
    return Passed(f".env: added {names}")


def check_env_hosts(project: Path) -> Outcome | None:
    """A warning when .env keeps `TRUSTED_HOSTS=*` in production, which the service now
    refuses (older releases of the template wrote it); None when .env is fine or absent."""
    target = project / ".env"
    if not target.is_file():
        return None
    values = dict(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", target.read_text(), re.MULTILINE))
    hosts = [host.strip() for host in values.get("TRUSTED_HOSTS", "").split(",")]
    if values.get("ENVIRONMENT", "production").strip() != "production" or "*" not in hosts:
        return None
    return Failure(
        ".env",
        "TRUSTED_HOSTS=* is refused in production: the service will not start",
        "set TRUSTED_HOSTS in .env to the host names clients use, e.g. localhost,127.0.0.1",
        "docs/OPERATIONS.md, configuration reference",
        fatal=False,
    )
