"""Which limit a request counts against, and whose count it is: decided in this one place.

A policy is a class of routes with a limit of its own (RATE_LIMIT_READS,
RATE_LIMIT_WRITES). A client's requests share one count per policy across all the
routes of that policy; the path is not part of the key, or a client could spread its
requests over /items/1, /items/2 ... and never be limited.
"""

import ipaddress
from collections.abc import Callable
from enum import StrEnum

from starlette.types import Scope

# Orchestrators probe these; the metrics are served on a port of their own.
EXEMPT_PREFIX = "/health"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# One host commonly holds a whole IPv6 /64, so it is counted as one client.
IPV6_CLIENT_PREFIX = 64

ClientKey = Callable[[Scope], str]
"""Whose count a request is. An authentication option keys by principal instead: its
middleware, installed outside the limiter, puts the principal in the scope and a key
function returns e.g. f"user:{principal}", falling back to `client_address`."""


class Policy(StrEnum):
    READS = "reads"
    WRITES = "writes"


def policy_for(method: str) -> Policy:
    """Writes change state and cost more, so they have the stricter limit."""
    return Policy.READS if method in READ_METHODS else Policy.WRITES


def is_exempt(path: str) -> bool:
    return path == EXEMPT_PREFIX or path.startswith(EXEMPT_PREFIX + "/")


def client_address(scope: Scope) -> str:
    """The client's address as uvicorn reports it, after the proxy headers of the hosts
    in FORWARDED_ALLOW_IPS; IPv6 addresses by their /64."""
    client = scope.get("client")
    if not client:
        return "address:unknown"
    host: str = client[0]
    if ":" in host:
        try:
            network = ipaddress.ip_network(f"{host}/{IPV6_CLIENT_PREFIX}", strict=False)
        except ValueError:
            return f"address:{host}"
        return f"address:{network}"
    return f"address:{host}"
