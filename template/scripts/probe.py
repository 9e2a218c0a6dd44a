"""Probe a running service from outside: `make probe` (SERVICE_URL=https://...).

After a deploy, before anyone else is sent there: the service is alive, every dependency
is ready (retried for READY_WITHIN_SECONDS, while new pods join the endpoints), and a
request for a path that does not exist gets 404 in the error envelope, with the request
id the service sends back. Prints one line per check; exit code 1 names the check that
failed and what it got.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

READY_WITHIN_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 10.0


class ProbeError(Exception):
    """A check failed: what it expected, and what it got."""


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """Status, headers and JSON body; an HTTP error status is an answer, not a failure."""
    # main() lets only http:// and https:// URLs through (ruff's S310)
    accept = {"Accept": "application/json", **(headers or {})}
    request = urllib.request.Request(url, headers=accept)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            status, answer_headers, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, body = error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise ProbeError(f"GET {url}: no answer ({error})") from None
    try:
        return status, answer_headers, json.loads(body)
    except ValueError:
        raise ProbeError(f"GET {url}: {status}, and the body is not JSON: {body[:200]!r}") from None


def check_alive(base: str) -> str:
    status, _, body = get(f"{base}/health/live")
    if status != 200 or body.get("status") != "alive":
        raise ProbeError(f"GET /health/live: expected 200 alive, got {status} {body}")
    return "GET /health/live: 200 alive"


def check_ready(base: str, within: float) -> str:
    deadline = time.monotonic() + within
    while True:
        try:
            status, _, body = get(f"{base}/health/ready")
        except ProbeError as no_answer:  # a balancer's HTML 502, a refused connection
            status, body = 0, str(no_answer)
        if status == 200 and isinstance(body, dict) and body.get("status") == "ready":
            return "GET /health/ready: 200 ready"
        if time.monotonic() >= deadline:
            raise ProbeError(
                f"GET /health/ready: not ready within {within:g} s; last answer {status} {body}"
            )
        time.sleep(1)


def check_error_envelope(base: str) -> str:
    request_id = uuid.uuid4().hex
    path = f"/probe-{request_id}"
    status, headers, body = get(f"{base}{path}", {"X-Request-ID": request_id})
    error = body.get("error") if isinstance(body, dict) else None
    if status != 404 or not isinstance(error, dict) or error.get("code") != "not_found":
        raise ProbeError(
            f"GET {path}: expected 404 not_found in the error envelope, got {status} {body}"
        )
    echoed = {name.lower(): value for name, value in headers.items()}.get("x-request-id")
    if error.get("request_id") != request_id or echoed != request_id:
        raise ProbeError(
            f"GET {path}: the request id {request_id} did not come back (body {error}, header {echoed})"
        )
    return f"GET {path}: 404 not_found, in the envelope, request id sent back"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "url", nargs="?", default=os.environ.get("SERVICE_URL"), help="default: SERVICE_URL"
    )
    parser.add_argument(
        "--ready-within", type=float, default=READY_WITHIN_SECONDS, metavar="SECONDS"
    )
    arguments = parser.parse_args(argv)
    if not arguments.url:
        parser.error("give the service's URL, or set SERVICE_URL (https://api.example.com)")
    base = arguments.url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        parser.error(f"the URL must start with http:// or https://; got {arguments.url!r}")
    try:
        print(check_alive(base), flush=True)
        print(check_ready(base, arguments.ready_within), flush=True)
        print(check_error_envelope(base), flush=True)
    except ProbeError as failure:
        print(f"probe of {base} failed: {failure}", file=sys.stderr)
        return 1
    print(f"probe of {base}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
