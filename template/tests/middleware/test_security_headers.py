"""Security headers on every response; HSTS only in production."""

from fastapi.testclient import TestClient

from ..conftest import ClientFactory


def test_api_responses_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/health/live").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "strict-transport-security" not in headers


def test_error_responses_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/missing").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("default-src 'none'")


def test_production_adds_hsts(make_client: ClientFactory) -> None:
    client = make_client(environment="production")
    assert client.get("/health/live").headers["strict-transport-security"].startswith("max-age=")


def test_docs_get_a_policy_that_lets_them_load(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "script-src" in response.headers["content-security-policy"]
