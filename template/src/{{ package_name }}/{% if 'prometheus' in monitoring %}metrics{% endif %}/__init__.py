"""Prometheus metrics: requests, errors, dependency checks and processes, served on a port
of their own (METRICS_PORT), never on the public one."""

import os
from pathlib import Path

# With PROMETHEUS_MULTIPROC_DIR set, prometheus_client writes to files there as soon as
# the first instrument exists: the directory (on a fresh tmpfs, say) must exist by then.
if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(directory).mkdir(parents=True, exist_ok=True)
