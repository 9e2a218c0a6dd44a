"""The pre-commit hook that refuses unresolved template-update conflicts."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_update_leftovers.py"


def run_hook(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_clean_files_pass(tmp_path: Path) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text('separator = "=" * 7\nprint("<" * 7)\n')
    assert run_hook(clean).returncode == 0


def test_conflict_markers_are_refused(tmp_path: Path) -> None:
    conflicted = tmp_path / "README.md"
    conflicted.write_text(
        "<<<<<<< before updating\nours\n=======\ntheirs\n>>>>>>> after updating\n"
    )
    result = run_hook(conflicted)
    assert result.returncode == 1
    assert f"{conflicted}: unresolved conflict" in result.stdout


def test_rejected_hunks_are_refused(tmp_path: Path) -> None:
    rejected = tmp_path / "settings.py.rej"
    rejected.write_text("@@ -1 +1 @@\n")
    result = run_hook(rejected)
    assert result.returncode == 1
    assert "settings.py.rej" in result.stdout
