"""Template histories for update tests: temporary git repositories whose tagged
releases are this template with some changes undone or made."""

import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from .answers import BASE
from .conftest import TEMPLATE_DIR, Rendered, run_in

COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"
)

Edit = Callable[[Path], None]


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Slipway Tests", "-c", "user.email=tests@example.com"]
    result = run_in(cwd, ["git", *identity, *args])
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def replace_text(relative: str, current: str, replacement: str) -> Edit:
    """An edit replacing text that must be there: a changed template fails loudly."""

    def edit(repo: Path) -> None:
        path = repo / relative
        text = path.read_text()
        assert current in text, f"{relative} no longer holds {current!r}: update the test"
        path.write_text(text.replace(current, replacement))

    return edit


def build_history(repo: Path, releases: list[tuple[str, list[Edit]]]) -> Path:
    """Commit and tag each release: the current template with that release's edits."""
    git(repo.parent, "init", "--quiet", "--initial-branch=main", str(repo))
    for tag, edits in releases:
        shutil.copytree(TEMPLATE_DIR, repo, ignore=COPY_IGNORE, dirs_exist_ok=True)
        for edit in edits:
            edit(repo)
        git(repo, "add", "-A")
        git(repo, "commit", "--quiet", "--allow-empty", "-m", f"Slipway {tag}")
        git(repo, "tag", tag)
    return repo


def clone_with_releases(repo: Path, releases: Mapping[str, str]) -> Path:
    """This repository's history with every recorded release tagged, and the working tree
    committed on top: what users update to once the next release is out."""
    git(repo.parent, "clone", "--quiet", "--no-local", str(TEMPLATE_DIR), str(repo))
    for version, commit in releases.items():
        git(repo, "tag", "--force", version, commit)
    git(repo, "rm", "-r", "--quiet", "--ignore-unmatch", ".")
    shutil.copytree(TEMPLATE_DIR, repo, ignore=COPY_IGNORE, dirs_exist_ok=True)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "The working tree")
    return repo


def copier(project: Path, *args: str) -> str:
    """Run the copier CLI next to `project`; fail the test with its output if it fails."""
    result = run_in(project.parent, ["copier", *args], timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def generate(template: Path, destination: Path, tag: str, **answers: object) -> Rendered:
    """`copier copy` of release `tag`, with the post-copy task but no validation."""
    chosen = {**BASE, "post_copy_validation": "none", **answers}
    data = [f"--data={key}={value}" for key, value in chosen.items()]
    copier(
        destination,
        "copy",
        "--trust",
        "--defaults",
        f"--vcs-ref={tag}",
        *data,
        str(template),
        str(destination),
    )
    return Rendered(destination, chosen)


def update(project: Path, *args: str) -> str:
    return copier(project, "update", "--trust", "--defaults", *args, str(project))


def conflict_leftovers(project: Path) -> list[str]:
    """Files holding conflict markers, and .rej files."""
    found = []
    for path in project.rglob("*"):
        if ".git" in path.parts or ".venv" in path.parts or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".rej" or re.search(r"^(<{7}|>{7})( |$)", text, re.MULTILINE):
            found.append(str(path.relative_to(project)))
    return found
