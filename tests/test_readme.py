"""The README's commands work exactly as written, one after the other, from a clean clone.

They are read out of README.md and run by bash in an 80-column pseudo-terminal, as a
newcomer types them; copier's questions are answered as they appear (the project name,
then Enter for every default).
"""

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
import yaml

from .conftest import TEMPLATE_DIR, TOOL_ENV, require_tool, shell_block_after

pytestmark = pytest.mark.render

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r")
QUESTIONS = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
PROMPTS = {
    name: spec["help"]
    for name, spec in QUESTIONS.items()
    if isinstance(spec, dict) and spec.get("help") and spec.get("when") is not False
}


def run_in_terminal(command: str, cwd: Path, answers: dict[str, str], timeout: float) -> str:
    """Run `command` in an 80x24 pseudo-terminal, answering each copier question once."""
    env = {**os.environ, **TOOL_ENV, "COLUMNS": "80", "LINES": "24", "TERM": "xterm"}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: bash on the terminal's other end
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.chdir(cwd)
        os.execvpe("bash", ["bash", "-c", command], env)
    printed, answered = "", set()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([terminal], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(terminal, 65536)
                except OSError:  # the command ended and closed the terminal
                    break
                if not chunk:
                    break
                printed += chunk.decode(errors="replace")
            visible = ANSI.sub("", printed)
            for name, help_text in PROMPTS.items():
                if name not in answered and help_text in visible:
                    answered.add(name)
                    os.write(terminal, answers.get(name, "").encode() + b"\r")
        else:
            os.kill(pid, 9)
            pytest.fail(f"`{command}` ran over {timeout} s:\n{ANSI.sub('', printed)}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    output = ANSI.sub("", printed)
    assert os.waitstatus_to_exitcode(status) == 0, f"`{command}` failed:\n{output}"
    return output


def test_the_readme_commands_work_as_written_from_a_clean_clone(tmp_path: Path) -> None:
    require_tool("uvx")
    clone = tmp_path / "slipway"
    subprocess.run(["git", "clone", "--quiet", str(TEMPLATE_DIR), str(clone)], check=True)
    readme = (clone / "README.md").read_text()
    generate = shell_block_after(readme, "## The two commands")
    update = shell_block_after(readme, "## Updating a generated project")

    generated = run_in_terminal(generate, clone, {"project_name": "Orders Service"}, timeout=900)
    updated = run_in_terminal(update, clone, {}, timeout=900)

    project = tmp_path / "orders-service"
    assert "Orders Service is ready in" in generated
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(clone)  # not ".", which later means the project
    assert answers["post_copy_validation"] == "static"
    assert "Traceback" not in updated
    branch = subprocess.run(
        ["git", "branch", "--show-current"], cwd=project, capture_output=True, text=True
    )
    assert branch.stdout.strip() == "template-update"
