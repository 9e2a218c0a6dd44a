"""Answer sets shared by the template's tests: one place to change them."""

from typing import Any

Answers = dict[str, Any]

BASE: Answers = {
    "project_name": "Orders Service",
    "author_name": "Slipway Tests",
    "author_email": "tests@example.com",
    "post_copy_validation": "none",
}

# Every Python version, license, database, cache and worker appears at least once, the
# cache and the worker both with a database and without, and monitoring on (the default)
# and off; the last set also stretches every name to its limit and puts quotes and
# backslashes in free text.
RENDER_MATRIX: dict[str, Answers] = {
    "defaults": {**BASE},
    "py311-apache-mysql-redis": {
        **BASE,
        "python_version": "3.11",
        "license": "Apache-2.0",
        "database": "mysql",
        "cache": "redis",
        "monitoring": [],
    },
    "py312-bsd-sqlite-arq": {
        **BASE,
        "python_version": "3.12",
        "license": "BSD-3-Clause",
        "http_port": 9090,
        "database": "sqlite",
        "worker": "arq",
    },
    "py313-proprietary-long-names-no-database-redis-arq": {
        **BASE,
        "database": "none",
        "cache": "redis",
        "worker": "arq",
        "project_name": "Zephyr Fulfilment Ledger Reconciliation Platform Service Api X9",
        # ruff format wraps this one in parentheses: it fits in 100 columns only so
        "description": 'Reconciles "ledger" entries \\ payouts; it\'s long: ' + "x" * 40,
        "author_name": 'O\'Brien & "Sons" Platform Team \\ Payments',
        "license": "proprietary",
    },
}

LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "proprietary")
DATABASES = ("postgresql", "mysql", "sqlite", "none")
CACHES = ("redis", "none")
WORKERS = ("arq", "none")
MONITORING = ("prometheus",)
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")


def uses_redis(answers: Answers) -> bool:
    """A cache, or a worker (every worker keeps its jobs' results in Redis); the same rule
    as the derived `uses_redis` question in copier.yml."""
    return bool(answers.get("cache") == "redis" or answers.get("worker", "none") != "none")


def monitors_with(answers: Answers, tool: str) -> bool:
    return tool in answers.get("monitoring", ["prometheus"])
