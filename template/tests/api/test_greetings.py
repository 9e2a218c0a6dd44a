"""POST /api/v1/greetings, the example endpoint."""

from fastapi.testclient import TestClient


def test_greets_by_name(client: TestClient) -> None:
    response = client.post("/api/v1/greetings", json={"name": "  Ada "})
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, Ada!"}


def test_empty_name_is_rejected(client: TestClient) -> None:
    response = client.post("/api/v1/greetings", json={"name": "   "})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["location"] == ["body", "name"]


def test_missing_body_is_rejected(client: TestClient) -> None:
    response = client.post("/api/v1/greetings")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
