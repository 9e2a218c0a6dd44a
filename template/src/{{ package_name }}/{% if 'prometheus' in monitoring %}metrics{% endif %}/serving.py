"""Start the metrics server on METRICS_PORT, before uvicorn starts serving.

prometheus_client picks where it keeps values when it is first imported: in memory, or,
when PROMETHEUS_MULTIPROC_DIR is set, in files that each worker process writes and the
metrics server adds up. Several workers need the files, so this module imports nothing
from prometheus_client itself until the mode is set.
"""

import os
import tempfile
from pathlib import Path

from ..settings import Settings

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_directory() -> Path:
    """Set PROMETHEUS_MULTIPROC_DIR (a new temporary directory unless given), emptied."""
    given = os.environ.get(MULTIPROCESS_DIRECTORY)
    directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="prometheus-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # a previous run's values would be added in
        stale.unlink()
    os.environ[MULTIPROCESS_DIRECTORY] = str(directory)
    return directory


def serve_metrics(settings: Settings) -> None:
    """Serve the metrics from this process; worker processes inherit the mode."""
    if settings.web_concurrency > 1 or settings.reload or MULTIPROCESS_DIRECTORY in os.environ:
        use_multiprocess_directory()
    # Imported here: the line above must run before prometheus_client is first imported.
    from .exposition import start_metrics_server

    start_metrics_server(settings.host, settings.metrics_port)
