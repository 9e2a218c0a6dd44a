"""The clients the service holds (database, cache, broker ...), in one registry.

Each resource is an async context manager factory: it opens its client, registers the
client's health check, yields what request handlers may use (merged into
`request.state`), and closes the client when the service stops. The lifespan opens them
in order and closes them in reverse. An option such as a database adds one module that
defines its resource, and one line to RESOURCES.
"""

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from .health.registry import HealthRegistry
from .settings import Settings

Resource = Callable[[Settings, HealthRegistry], AbstractAsyncContextManager[Mapping[str, Any]]]

RESOURCES: tuple[Resource, ...] = ()
