"""The template's own code (hooks, tests, scripts) is held to the standard it generates."""

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
