"""The template's own code (hooks, tests, scripts) is held to the standard it generates."""

import sys
from pathlib import Path

import pytest

from .conftest import TEMPLATE_DIR, require_tool, run_in


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "format", "--check", "."),
        ("ruff", "check", "."),
        ("mypy",),  # files and strictness from pyproject.toml
    ],
    ids=["ruff-format", "ruff-check", "mypy-strict"],
)
def test_repository_code_is_clean(command: tuple[str, ...]) -> None:
    tool = require_tool(command[0])
    result = run_in(TEMPLATE_DIR, [tool, *command[1:]])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (TEMPLATE_DIR / "README.md").read_text()
    ci = (TEMPLATE_DIR / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in readme
    assert "bash scripts/test.sh" in ci


def test_xdist_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    # The render and e2e modules build each project or stack once per group (conftest.py);
    # a pytest that ignored the groups would build each of them once per worker.
    (tmp_path / "test_grouped.py").write_text(
        "import os, pytest\n"
        "@pytest.mark.xdist_group('one')\n"
        "@pytest.mark.parametrize('n', range(6))\n"
        "def test_worker(n):\n"
        "    with open(f'worker-{n}', 'w') as out:\n"
        "        out.write(os.environ['PYTEST_XDIST_WORKER'])\n"
    )
    result = run_in(
        tmp_path,
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
        ],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workers = {path.read_text() for path in tmp_path.glob("worker-*")}
    assert len(list(tmp_path.glob("worker-*"))) == 6
    assert len(workers) == 1, workers
