"""Who a request is from, once its credentials have been checked."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Method = Literal["oidc", "api_key"]


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    """The token's `sub`; for an API key, the client it was made for."""
    client_id: str
    """The OAuth client the token was issued to (`azp` or `client_id`), or the key's client."""
    scopes: frozenset[str]
    method: Method

    @property
    def name(self) -> str:
        """How logs and the rate limiter name it: `oidc:<sub>` or `api_key:<client>`."""
        return f"{self.method}:{self.subject}"

    def missing(self, required: Iterable[str]) -> list[str]:
        return sorted(set(required) - self.scopes)

    def log_fields(self) -> dict[str, str]:
        return {
            "principal": self.name,
            "client_id": self.client_id,
            "scopes": " ".join(sorted(self.scopes)),
        }
