"""What GET /metrics on METRICS_PORT answers, from one process or from every worker."""

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from .serving import MULTIPROCESS_DIRECTORY


def live_pids(directory: Path) -> list[int]:
    """Processes that wrote values there (files are named `<kind>_<pid>.db`) and still run."""
    pids = {int(path.stem.rpartition("_")[2]) for path in directory.glob("*.db")}
    return sorted(pid for pid in pids if Path(f"/proc/{pid}").exists())


def _fixed(pid: int) -> Callable[[], int]:
    return lambda: pid


class LiveProcessesCollector(Collector):
    """The process_* metrics of every live worker, one series each, labelled by pid.

    prometheus_client's multiprocess mode has no process metrics of its own: the
    process that answers a scrape would describe only itself.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for pid in live_pids(self.directory):
            for family in ProcessCollector(pid=_fixed(pid), registry=None).collect():
                merged = families.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                merged.samples.extend(
                    sample._replace(labels={**sample.labels, "pid": str(pid)})
                    for sample in family.samples
                )
        return families.values()


def exposition_registry() -> CollectorRegistry:
    """The service's registry; under several workers, the sum of every worker's files."""
    directory = os.environ.get(MULTIPROCESS_DIRECTORY)
    if not directory:
        # Imported here: under several workers the parent process serves the metrics,
        # and must not count itself as a worker by creating the instruments.
        from .instruments import REGISTRY

        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    registry.register(LiveProcessesCollector(Path(directory)))
    return registry


def start_metrics_server(host: str, port: int) -> WSGIServer:
    """Serve the exposition from a daemon thread; the server is returned so it can stop."""
    server, _ = start_http_server(port, addr=host, registry=exposition_registry())
    return server
