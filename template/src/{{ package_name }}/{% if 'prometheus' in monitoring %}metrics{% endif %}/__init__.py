"""Prometheus metrics: requests, errors, dependency checks and processes, served on a port
of their own (METRICS_PORT), never on the public one."""
