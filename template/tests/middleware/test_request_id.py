"""X-Request-ID: accepted when well formed, replaced when not, echoed on every response."""

import re

import pytest
from fastapi.testclient import TestClient

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def test_generates_an_id_when_none_is_sent(client: TestClient) -> None:
    response = client.get("/health/live")
    assert GENERATED.fullmatch(response.headers["x-request-id"])


def test_echoes_a_well_formed_incoming_id(client: TestClient) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "req-2024.abc_DEF:42"})
    assert response.headers["x-request-id"] == "req-2024.abc_DEF:42"


@pytest.mark.parametrize(
    "malformed",
    ["short", "x" * 129, "has space inside", "semi;colon-1234", "<script>alert(1)</script>", ""],
)
def test_replaces_a_malformed_incoming_id(client: TestClient, malformed: str) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": malformed})
    assert GENERATED.fullmatch(response.headers["x-request-id"])


def test_echoes_the_id_on_error_responses(client: TestClient) -> None:
    response = client.get("/missing", headers={"X-Request-ID": "trace-0123456789"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "trace-0123456789"
    assert response.json()["error"]["request_id"] == "trace-0123456789"
