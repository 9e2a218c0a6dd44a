"""Output and subprocess helpers shared by the post-copy steps and checks."""

import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeAlias

PREFIX = "slipway: "
TAIL_LINES = 60
# Continuation lines line up under the message, after the status column.
INDENT = " " * 6


@dataclass(frozen=True)
class Passed:
    """A step or check that succeeded."""

    message: str


@dataclass(frozen=True)
class Skipped:
    """A step or check that did not run, with what to do instead."""

    message: str


@dataclass(frozen=True)
class Failure:
    """A step or check that failed, with its evidence and the way out."""

    name: str
    reason: str
    fix: str
    skip: str
    output: str = ""
    fatal: bool = True
    """A non-fatal failure is reported in full but keeps the project (exit 0)."""


Outcome: TypeAlias = Passed | Skipped | Failure


@dataclass(frozen=True)
class CommandResult:
    """What a finished (or abandoned) external command left behind."""

    returncode: int
    output: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the command ran to completion and exited with 0."""
        return self.error is None and self.returncode == 0


def say(message: str) -> None:
    """Print one prefixed line; flushed so it interleaves with copier's output."""
    print(f"{PREFIX}{message}", flush=True)


def show(outcome: Outcome) -> None:
    """Print an outcome: one line, or a block for a failure."""
    if isinstance(outcome, Passed):
        say(f"ok    {outcome.message}")
    elif isinstance(outcome, Skipped):
        say(f"skip  {outcome.message}")
    else:
        say(f"{'FAIL' if outcome.fatal else 'WARN'}  {outcome.name}: {outcome.reason}")
        for line in outcome.output.splitlines():
            say(f"{INDENT}| {line}".rstrip())
        say(f"{INDENT}fix:  {outcome.fix}")
        say(f"{INDENT}{'skip' if outcome.fatal else 'note'}: {outcome.skip}")


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """Return the last lines of a command's output, noting what was cut."""
    kept = text.rstrip().splitlines()
    if len(kept) <= lines:
        return "\n".join(kept)
    return "\n".join([f"... ({len(kept) - lines} earlier lines omitted)", *kept[-lines:]])


def _as_text(output: str | bytes | None) -> str:
    # TimeoutExpired may carry bytes even in text mode.
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def run_command(
    args: Sequence[str],
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run a command with stdout and stderr merged; never raise for a missing tool."""
    try:
        completed = subprocess.run(
            list(args),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return CommandResult(-1, _as_text(exc.output), f"timed out after {timeout:g} s")
    except OSError as exc:
        return CommandResult(-1, "", f"could not start: {exc.strerror or exc}")
    return CommandResult(completed.returncode, completed.stdout)


def stream_command(
    args: Sequence[str],
    cwd: Path,
    timeout: float,
    relay: Callable[[str], None],
    relayed_prefix: str,
) -> CommandResult:
    """Like run_command, but hand each line that starts with `relayed_prefix` to `relay`
    as soon as it is printed, so that a long command says what it is doing."""
    try:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        return CommandResult(-1, "", f"could not start: {exc.strerror or exc}")
    output: list[str] = []

    def read_everything(stream: IO[str]) -> None:
        for line in stream:
            output.append(line)
            # A step may share its line with pytest's progress dots: relay from the prefix on.
            if (start := line.find(relayed_prefix)) >= 0:
                relay(line[start:].rstrip())

    assert process.stdout is not None
    reader = threading.Thread(target=read_everything, args=(process.stdout,), daemon=True)
    reader.start()
    try:
        returncode = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        reader.join(5)
        return CommandResult(-1, "".join(output), f"timed out after {timeout:g} s")
    reader.join()
    return CommandResult(returncode, "".join(output))


def command_failure(
    name: str,
    args: Sequence[str],
    result: CommandResult,
    fix: str,
    skip: str,
) -> Failure:
    """Describe a failed command as a Failure with its output tail."""
    command = " ".join(args)
    if result.error:
        reason = f"`{command}` {result.error}"
    else:
        reason = f"`{command}` exited with {result.returncode}"
    return Failure(name, reason, fix, skip, tail(result.output))
