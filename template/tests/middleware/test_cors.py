"""CORS is off unless origins are configured, and then only for those origins."""

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


def test_other_origins_are_not_allowed(make_client: ClientFactory) -> None:
    client = make_client(cors_origins="https://app.example.com")
    response = client.get("/health/live", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in response.headers
