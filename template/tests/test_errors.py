"""Every kind of error answers with the one envelope."""

import json
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import ClientFactory


def assert_envelope(body: dict[str, Any], code: str) -> dict[str, Any]:
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details", "request_id", "error_id"}
    assert error["code"] == code
    assert error["message"]
    assert len(error["error_id"]) == 32
    return error


def test_unknown_path_is_not_found(client: TestClient) -> None:
    response = client.get("/no/such/path")
    assert response.status_code == 404
    error = assert_envelope(response.json(), "not_found")
    assert error["request_id"] == response.headers["x-request-id"]


def test_wrong_method_is_method_not_allowed(client: TestClient) -> None:
    response = client.delete("/health/live")
    assert response.status_code == 405
    assert_envelope(response.json(), "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_invalid_body_lists_problems_without_echoing_input(client: TestClient) -> None:
    response = client.post("/api/v1/greetings", json={"name": "x" * 101})
    assert response.status_code == 422
    error = assert_envelope(response.json(), "validation_failed")
    assert error["details"] == [
        {
            "location": ["body", "name"],
            "message": "String should have at most 100 characters",
            "type": "string_too_long",
        }
    ]
    assert "x" * 101 not in response.text


def test_malformed_json_is_a_validation_error(client: TestClient) -> None:
    response = client.post(
        "/api/v1/greetings", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert_envelope(response.json(), "validation_failed")


def _add_failing_route(app: FastAPI) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")


def test_unhandled_error_hides_its_text_outside_development(make_client: ClientFactory) -> None:
    client = make_client(customize=_add_failing_route, environment="production")
    response = client.get("/boom")
    assert response.status_code == 500
    error = assert_envelope(response.json(), "internal_error")
    assert error["details"] is None
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] == error["request_id"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_unhandled_error_shows_its_text_in_development(make_client: ClientFactory) -> None:
    client = make_client(customize=_add_failing_route, environment="development")
    response = client.get("/boom")
    error = assert_envelope(response.json(), "internal_error")
    assert error["details"] == {"exception": "RuntimeError: database password is hunter2"}


def test_unhandled_error_is_logged_with_its_error_id_and_request(
    make_client: ClientFactory, capsys: Any
) -> None:
    client = make_client(customize=_add_failing_route, environment="production")
    capsys.readouterr()
    response = client.get("/boom", headers={"X-Request-ID": "boom-request-1"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [logged] = [line for line in lines if line["event"] == "unhandled_exception"]
    assert logged["error_id"] == response.json()["error"]["error_id"]
    assert (logged["request_id"], logged["method"], logged["path"]) == (
        "boom-request-1",
        "GET",
        "/boom",
    )
    assert "RuntimeError: database password is hunter2" in logged["exception"]
    assert logged["level"] == "error"


def test_openapi_declares_the_envelope_for_error_responses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/api/v1/greetings"]["post"]["responses"]
    for status in ("413", "422"):
        reference = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert reference == "#/components/schemas/ErrorEnvelope"
    assert "HTTPValidationError" not in schema["components"]["schemas"]
