"""Answer sets shared by the template's tests: one place to change them."""

from typing import Any

Answers = dict[str, Any]

BASE: Answers = {
    "project_name": "Orders Service",
    "author_name": "Slipway Tests",
    "author_email": "tests@example.com",
    "post_copy_validation": "none",
}

# Every Python version, license and database appears at least once, every valid
# combination of cache, worker and broker (COMPONENTS) exactly once, each monitoring tool
# on in some sets and off in others (one set has all of them, one none), and each auth
# choice (AUTH_CHOICES) with each database; the long-names set also stretches every name
# to its limit, gives the display name every kind of character a name may hold, and puts
# quotes and backslashes in free text.
RENDER_MATRIX: dict[str, Answers] = {
    "defaults": {**BASE},
    "py311-apache-mysql-redis": {
        **BASE,
        "python_version": "3.11",
        "license": "Apache-2.0",
        "database": "mysql",
        "cache": "redis",
        "monitoring": [],
        "auth": ["api_key"],
    },
    "py312-bsd-sqlite-arq": {
        **BASE,
        "python_version": "3.12",
        "license": "BSD-3-Clause",
        "http_port": 9090,
        "database": "sqlite",
        "worker": "arq",
        "monitoring": ["prometheus", "opentelemetry", "sentry"],
        "auth": ["oidc", "api_key"],
    },
    "celery-redis": {**BASE, "worker": "celery", "auth": ["oidc"]},
    "mysql-redis-celery-rabbitmq": {
        **BASE,
        "database": "mysql",
        "cache": "redis",
        "worker": "celery",
        "broker": "rabbitmq",
        "auth": ["oidc"],
    },
    "no-database-celery-rabbitmq": {
        **BASE,
        "database": "none",
        "worker": "celery",
        "broker": "rabbitmq",
        "monitoring": ["opentelemetry"],
        "auth": ["api_key"],
    },
    "sqlite-redis-celery-redis": {
        **BASE,
        "database": "sqlite",
        "cache": "redis",
        "worker": "celery",
        "auth": ["oidc"],
    },
    "py313-proprietary-long-names-no-database-redis-arq": {
        **BASE,
        "database": "none",
        "cache": "redis",
        "worker": "arq",
        # 64 characters: letters outside ASCII (spelled in ASCII, they give a slug and a
        # package of 50), quotes, a backslash (`\N` unescaped ends the parse of a Python
        # string), `#`, `:`, braces, `$`, look-alikes of ASCII letters (an en dash, a curly
        # quote: ruff's RUF001) and East Asian letters (two columns each, for ruff format).
        "project_name": 'Zürich "Ledger" Fulfilment \\N Straße #9: {Payouts} – Øre’s $Ç 東京',  # noqa: RUF001
        # ruff format wraps this one in parentheses: it fits in 100 columns only so
        "description": 'Reconciles "ledger" entries \\ payouts; it\'s long: ' + "x" * 40,
        "author_name": 'O\'Brien & "Sons" Platform Team \\ Payments',
        "license": "proprietary",
        "auth": ["oidc", "api_key"],
    },
    "py311-taskiq-redis": {
        **BASE,
        "python_version": "3.11",
        "worker": "taskiq",
        "auth": ["api_key"],
    },
    "py312-apache-mysql-redis-taskiq-rabbitmq": {
        **BASE,
        "python_version": "3.12",
        "license": "Apache-2.0",
        "database": "mysql",
        "cache": "redis",
        "worker": "taskiq",
        "broker": "rabbitmq",
    },
    "bsd-sqlite-taskiq-rabbitmq": {
        **BASE,
        "license": "BSD-3-Clause",
        "database": "sqlite",
        "worker": "taskiq",
        "broker": "rabbitmq",
        "monitoring": [],
        "auth": ["api_key"],
    },
    "no-database-redis-taskiq-redis": {
        **BASE,
        "database": "none",
        "cache": "redis",
        "worker": "taskiq",
        "auth": ["oidc"],
    },
    "py311-postgresql-dramatiq-redis": {
        **BASE,
        "python_version": "3.11",
        "worker": "dramatiq",
        "auth": ["oidc", "api_key"],
    },
    "py312-apache-no-database-redis-dramatiq-rabbitmq": {
        **BASE,
        "python_version": "3.12",
        "license": "Apache-2.0",
        "database": "none",
        "cache": "redis",
        "worker": "dramatiq",
        "broker": "rabbitmq",
    },
    "py313-bsd-sqlite-redis-dramatiq-redis": {
        **BASE,
        "python_version": "3.13",
        "license": "BSD-3-Clause",
        "database": "sqlite",
        "cache": "redis",
        "worker": "dramatiq",
        "monitoring": [],
    },
    "py313-mysql-dramatiq-rabbitmq": {
        **BASE,
        "python_version": "3.13",
        "database": "mysql",
        "worker": "dramatiq",
        "broker": "rabbitmq",
        "auth": ["oidc", "api_key"],
    },
}

LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "proprietary")
DATABASES = ("postgresql", "mysql", "sqlite", "none")
CACHES = ("redis", "none")
WORKERS = ("celery", "arq", "taskiq", "dramatiq", "none")
BROKERS = ("redis", "rabbitmq")
# What may run together; copier.yml refuses the rest (ARQ takes its jobs from Redis only).
WORKER_BROKERS = {
    "celery": ("redis", "rabbitmq"),
    "arq": ("redis",),
    "taskiq": ("redis", "rabbitmq"),
    "dramatiq": ("redis", "rabbitmq"),
    "none": (None,),
}
COMPONENTS = [
    (cache, worker, broker)
    for cache in CACHES
    for worker, brokers in WORKER_BROKERS.items()
    for broker in brokers
]
MONITORING = ("prometheus", "opentelemetry", "sentry")
AUTH_CHOICES = ((), ("oidc",), ("api_key",), ("api_key", "oidc"))
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")


def components(answers: Answers) -> tuple[str, str, str | None]:
    """(cache, worker, broker) as copier answers them, defaults included."""
    worker = answers.get("worker", "none")
    broker = answers.get("broker", "redis") if worker != "none" else None
    return answers.get("cache", "none"), worker, broker


def uses_rabbitmq(answers: Answers) -> bool:
    return components(answers)[2] == "rabbitmq"


def uses_redis(answers: Answers) -> bool:
    """A cache, or a worker (every worker keeps its jobs' results in Redis); the same rule
    as the derived `uses_redis` question in copier.yml."""
    return bool(answers.get("cache") == "redis" or answers.get("worker", "none") != "none")


def monitors_with(answers: Answers, tool: str) -> bool:
    return tool in answers.get("monitoring", ["prometheus"])
