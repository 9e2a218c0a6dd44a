"""Every request's id: a well-formed incoming X-Request-ID, or a fresh one."""

import re
import secrets

HEADER = "X-Request-ID"
RAW_HEADER = HEADER.lower().encode("latin-1")
# Letters, digits and a few separators, so that ids are safe to log and echo.
WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def accepted_request_id(incoming: str | None) -> str:
    """The incoming id when it is well formed; otherwise a new one."""
    if incoming is not None and WELL_FORMED.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)
