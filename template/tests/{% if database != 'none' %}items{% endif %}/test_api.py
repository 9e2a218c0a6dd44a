"""The items resource through HTTP: each operation, and the envelope for each failure."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

ITEMS = "/api/v1/items"


def create(client: TestClient, name: str = "Blue widget", **fields: Any) -> dict[str, Any]:
    response = client.post(ITEMS, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def test_create_then_read(client: TestClient) -> None:
    # A path only: a forged Host header cannot make it point elsewhere.
    body = {"name": "  Blue widget ", "description": "In blue."}
    response = client.post(ITEMS, json=body, headers={"host": "evil.example"})
    assert response.status_code == 201
    item = response.json()
    assert item["name"] == "Blue widget"
    assert item["description"] == "In blue."
    assert item["created_at"].endswith(("Z", "+00:00"))
    assert response.headers["Location"] == f"{ITEMS}/{item['id']}"
    assert client.get(f"{ITEMS}/{item['id']}").json() == item


def test_list_pages_through_items_oldest_first(client: TestClient) -> None:
    names = [create(client, f"Widget {number}")["name"] for number in range(5)]
    first = client.get(ITEMS, params={"limit": 2}).json()
    assert [item["name"] for item in first["items"]] == names[:2]
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    last = client.get(ITEMS, params={"limit": 2, "offset": 4}).json()
    assert [item["name"] for item in last["items"]] == names[4:]


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}]
)
def test_page_bounds_are_enforced(client: TestClient, params: dict[str, Any]) -> None:
    error = error_of(client.get(ITEMS, params=params), 422, "validation_failed")
    assert error["details"][0]["location"][0] == "query"


def test_update_changes_only_what_is_sent(client: TestClient) -> None:
    item = create(client, description="Old.")
    response = client.patch(f"{ITEMS}/{item['id']}", json={"description": "New."})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["name"], updated["description"]) == (item["name"], "New.")
    assert updated["updated_at"] >= item["updated_at"]


def test_delete_then_it_is_gone(client: TestClient) -> None:
    item = create(client)
    assert client.delete(f"{ITEMS}/{item['id']}").status_code == 204
    error_of(client.get(f"{ITEMS}/{item['id']}"), 404, "not_found")
    error_of(client.delete(f"{ITEMS}/{item['id']}"), 404, "not_found")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_missing_item_is_404_in_the_envelope(client: TestClient, method: str) -> None:
    response = client.request(method, f"{ITEMS}/999999", json={"name": "x"})
    error = error_of(response, 404, "not_found")
    assert "999999" in error["message"]


def test_a_taken_name_is_a_409_conflict(client: TestClient) -> None:
    create(client, "Unique")
    error = error_of(client.post(ITEMS, json={"name": "Unique"}), 409, "conflict")
    assert error["details"] == {"field": "name"}
    other = create(client, "Other")
    renamed = client.patch(f"{ITEMS}/{other['id']}", json={"name": "Unique"})
    error_of(renamed, 409, "conflict")
    assert client.get(f"{ITEMS}/{other['id']}").json()["name"] == "Other"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "ok", "description": "x" * 2001},
        {"name": "ok", "colour": "blue"},
        {"name": 42},
    ],
)
def test_invalid_payloads_are_422_before_the_database(
    client: TestClient, payload: dict[str, Any]
) -> None:
    error_of(client.post(ITEMS, json=payload), 422, "validation_failed")
    assert client.get(ITEMS).json()["total"] == 0


@pytest.mark.parametrize("item_id", ["0", "-1", "2147483648", "abc", str(10**30)])
def test_ids_outside_the_column_range_are_422(client: TestClient, item_id: str) -> None:
    error_of(client.get(f"{ITEMS}/{item_id}"), 422, "validation_failed")


def test_every_test_starts_with_no_items(client: TestClient) -> None:
    """Together with the tests above: nothing one test wrote is seen by another."""
    assert client.get(ITEMS).json() == {"items": [], "total": 0, "limit": 20, "offset": 0}
