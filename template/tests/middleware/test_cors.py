"""CORS is off unless origins are configured, and then only for those origins."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ..conftest import ClientFactory

PREFLIGHT = {"Access-Control-Request-Method": "POST"}


def test_no_cors_headers_by_default(client: TestClient) -> None:
    response = client.get("/health/live", headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in response.headers


def test_configured_origin_is_allowed(make_client: ClientFactory) -> None:
    client = make_client(cors_origins="https://app.example.com")
    response = client.options(
        "/api/v1/greetings", headers={"Origin": "https://app.example.com", **PREFLIGHT}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"


def test_refused_preflight_answers_in_the_envelope(make_client: ClientFactory) -> None:
    client = make_client(cors_origins="https://app.example.com")
    response = client.options(
        "/api/v1/greetings", headers={"Origin": "https://evil.example.net", **PREFLIGHT}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert error["details"] == {"reason": "Disallowed CORS origin"}
    assert error["request_id"] == response.headers["x-request-id"]


def _add_failing_route(app: FastAPI) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")


def test_unexpected_errors_carry_cors_headers(make_client: ClientFactory) -> None:
    client = make_client(customize=_add_failing_route, cors_origins="https://app.example.com")
    response = client.get("/boom", headers={"Origin": "https://app.example.com"})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"


def test_other_origins_are_not_allowed(make_client: ClientFactory) -> None:
    client = make_client(cors_origins="https://app.example.com")
    response = client.get("/health/live", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in response.headers


def test_every_answer_varies_on_origin(make_client: ClientFactory) -> None:
    """Caches must not hand one origin's answer to another: all of them name Origin in Vary."""
    client = make_client(cors_origins="https://app.example.com")
    refused = {"Origin": "https://evil.example.net", **PREFLIGHT}
    answers = [
        client.options("/api/v1/greetings", headers=refused),
        client.options(
            "/api/v1/greetings", headers={**refused, "Origin": "https://app.example.com"}
        ),
        client.get("/health/live", headers={"Origin": "https://app.example.com"}),
        client.get("/health/live", headers={"Origin": "https://evil.example.net"}),
        client.get("/health/live"),
    ]
    for response in answers:
        vary = {name.strip().lower() for name in response.headers.get("vary", "").split(",")}
        assert "origin" in vary, (response.request.method, response.request.headers)
