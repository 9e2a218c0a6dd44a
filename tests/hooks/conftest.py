"""Fixtures for the post-copy hook's unit tests: a small project and fake tools on PATH."""

import sys
import tempfile
from pathlib import Path

import pytest

from .fakes import REAL_GIT, FakeTools

HOOKS_DIR = Path(__file__).resolve().parents[2] / "hooks"
# post_copy.py runs as a script and imports its siblings as top-level modules.
if str(HOOKS_DIR) not in sys.path:
    sys.path.insert(0, str(HOOKS_DIR))

GIT_IDENTITY_VARIABLES = (
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
)
ENV_EXAMPLE = "# Settings\nSECRET_KEY=change-me\nPORT=8000\nDB_PASSWORD=change-me\n"
ANSWERS = (
    "# Changes here will be overwritten by Copier\n"
    "_src_path: gh:example/slipway\n"
    "author_name: Ada Lovelace\n"
    "author_email: ada@example.com\n"
    "post_copy_validation: static\n"
)
PROJECT_FILES = {
    ".env.example": ENV_EXAMPLE,
    ".copier-answers.yml": ANSWERS,
    ".gitignore": ".env\n.venv/\n",
    "pyproject.toml": '[project]\nname = "service"\nversion = "0.1.0"\n',
    "src/service/__init__.py": '"""Service."""\n\nVERSION = "0.1.0"\n',
    "compose.yml": "services:\n  app:\n    environment:\n      SECRET_KEY: ${SECRET_KEY:?set}\n",
    ".github/workflows/ci.yml": "on: [push]\njobs: {}\n",
    "Dockerfile": 'FROM python:3.13-slim\nCMD ["python"]\n',
}


@pytest.fixture(autouse=True)
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTools:
    """Isolate every test from the machine's tools, git identity, secrets and temp dir."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if REAL_GIT:
        (bin_dir / "git").symlink_to(REAL_GIT)
    monkeypatch.setenv("PATH", str(bin_dir))
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").touch()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # git falls back on these for an identity, and compose checks read SECRET_KEY.
    for name in (*GIT_IDENTITY_VARIABLES, "EMAIL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    answers_dir = tmp_path / "tmp"
    answers_dir.mkdir()
    monkeypatch.setenv("TMPDIR", str(answers_dir))
    monkeypatch.setattr(tempfile, "tempdir", str(answers_dir))
    return FakeTools(bin_dir, tmp_path / "calls.log")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small generated project that passes every static check."""
    root = tmp_path / "service"
    for relative, content in PROJECT_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root
