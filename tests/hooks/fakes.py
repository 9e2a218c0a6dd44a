"""Fake tools on PATH and a git helper for the post-copy hook's tests."""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Resolved at import, before any test narrows PATH to the fake tools.
REAL_GIT = shutil.which("git")
SLEEP = shutil.which("sleep") or "/bin/sleep"


@dataclass(frozen=True)
class FakeTools:
    """A PATH directory holding the real git and any fake tools a test adds."""

    bin_dir: Path
    log: Path

    def add(self, name: str, body: str = "exit 0") -> None:
        """Install a shell script that logs its arguments, then runs body."""
        script = self.bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.log}"\n{body}\n')
        script.chmod(0o755)

    def remove(self, name: str) -> None:
        """Take a tool (the real git included) off PATH."""
        (self.bin_dir / name).unlink()

    def calls(self) -> list[str]:
        """Return every logged invocation, in order."""
        return self.log.read_text().splitlines() if self.log.exists() else []


def git(project: Path, *args: str) -> str:
    """Run the real git in project and return its stripped output."""
    assert REAL_GIT, "these tests need git"
    completed = subprocess.run(
        [REAL_GIT, *args], cwd=project, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()
