"""A registry of dependency checks, run concurrently, each under its own timeout."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

HealthCheck = Callable[[], Awaitable[None]]
"""A check raises (or times out) when its dependency is unusable; returning means healthy."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Literal["pass", "fail"]
    latency_ms: float
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"


class HealthRegistry:
    def __init__(self, *, default_timeout: float) -> None:
        self.default_timeout = default_timeout
        self._checks: dict[str, tuple[HealthCheck, float]] = {}
        self._observers: list[Callable[[Sequence[CheckResult]], None]] = []

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
        for observer in self._observers:
            observer(results)
        return results

    @staticmethod
    async def _run(name: str, check: HealthCheck, limit: float) -> CheckResult:
        started = time.perf_counter()
        error: str | None = None
        try:
            await asyncio.wait_for(check(), limit)
        except TimeoutError:
            error = f"timed out after {limit:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
            error = type(exc).__name__
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return CheckResult(name, "fail" if error else "pass", latency_ms, error)
