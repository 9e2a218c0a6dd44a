"""A registry of dependency checks, run concurrently, each under its own timeout."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..left_behind import leave_behind

HealthCheck = Callable[[], Awaitable[Mapping[str, Any] | None]]
"""A check raises (or times out) when its dependency is unusable; returning means healthy.
It may return details for GET /health (the age of a cache, say)."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Literal["pass", "fail"]
    latency_ms: float
    error: str | None = None
    details: Mapping[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"


class HealthRegistry:
    def __init__(self, *, default_timeout: float) -> None:
        self.default_timeout = default_timeout
        self._checks: dict[str, tuple[HealthCheck, float]] = {}
        self._observers: list[Callable[[Sequence[CheckResult]], None]] = []
        self._latest: list[CheckResult] | None = None

    def register(self, name: str, check: HealthCheck, *, timeout: float | None = None) -> None:
        if name in self._checks:
            raise ValueError(f"a health check named {name!r} is already registered")
        self._checks[name] = (check, timeout or self.default_timeout)

    def observe(self, observer: Callable[[Sequence[CheckResult]], None]) -> None:
        """Have `observer` see the results of every run (metrics record them)."""
        self._observers.append(observer)

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def run_all(self) -> list[CheckResult]:
        """Run every check at once; a slow dependency costs at most its own timeout."""
        results = list(
            await asyncio.gather(
                *(self._run(name, check, limit) for name, (check, limit) in self._checks.items())
            )
        )
        self._latest = results
        for observer in self._observers:
            observer(results)
        return results

    async def latest(self) -> list[CheckResult]:
        """The results of the last run (the sampler's); a run of its own before the first."""
        if self._latest is None:
            return await self.run_all()
        return self._latest

    @staticmethod
    async def _run(name: str, check: HealthCheck, limit: float) -> CheckResult:
        started = time.perf_counter()
        error: str | None = None
        details: Mapping[str, Any] | None = None
        # Not asyncio.wait_for: it waits for the cancelled check to finish cleaning up
        # (a client closing a socket to a peer that does not answer), which can take as
        # long again. The check is left to finish in the background instead.
        task = asyncio.ensure_future(check())
        try:
            await asyncio.wait({task}, timeout=limit)
        except asyncio.CancelledError:
            leave_behind(task)
            raise
        if not task.done():
            leave_behind(task)
            error = f"timed out after {limit:g} s"
        elif task.cancelled():
            error = "cancelled"
        elif (exc := task.exception()) is not None:
            error = type(exc).__name__  # any failure means "not healthy"
        else:
            details = task.result()
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return CheckResult(name, "fail" if error else "pass", latency_ms, error, details)
