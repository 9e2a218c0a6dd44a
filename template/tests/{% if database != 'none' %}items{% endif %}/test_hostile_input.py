"""Hostile input in every string and id field of the items API: a 4xx envelope, never a 5xx."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

ITEMS = "/api/v1/items"
TEXT_FIELDS = ["name", "description"]
# Valid JSON that no database stores: NUL (PostgreSQL refuses it), lone surrogates
# (they cannot be encoded as UTF-8 for any driver).
UNSTORABLE_TEXT = ["a\u0000b", "\u0000", "\ud800", "x\udfffy", "\udc00\ud800"]
HUGE_NUMBERS = [str(2**31), str(2**63), str(-(2**63) - 1), str(10**100), "9" * 5000]
# As sent in a URL (percent-encoded): for every id and every page bound.
HOSTILE_INTEGERS = [*HUGE_NUMBERS, "%00", "1%00", "1.5", "1e3", "0x10", "%ED%A0%80", "%FF"]


def send(client: TestClient, method: str, url: str, body: bytes) -> Any:
    """Send raw JSON bytes: httpx would refuse to encode a lone surrogate itself."""
    return client.request(method, url, content=body, headers={"Content-Type": "application/json"})


def assert_refused(response: Any, *statuses: int) -> dict[str, Any]:
    """A 4xx in the envelope, carrying the request's id."""
    assert response.status_code in statuses, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def existing_item(client: TestClient) -> str:
    response = client.post(ITEMS, json={"name": "Target"})
    assert response.status_code == 201, response.text
    return f"{ITEMS}/{response.json()['id']}"


@pytest.mark.parametrize("text", UNSTORABLE_TEXT)
@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_text_no_database_stores_is_422(
    client: TestClient, method: str, field: str, text: str
) -> None:
    url = ITEMS if method == "POST" else existing_item(client)
    payload = {"name": "Widget", field: text}
    error = assert_refused(send(client, method, url, json.dumps(payload).encode()), 422)
    assert error["code"] == "validation_failed"
    assert [problem["location"] for problem in error["details"]] == [["body", field]]
    assert text not in json.dumps(error)


@pytest.mark.parametrize(
    "body",
    [b'{"name": "\xff\xfe"}', b'{"name": "a\xc0\x80b"}', b'{"name": "\xed\xa0\x80"}', b"\xff"],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_body_that_is_not_utf8_is_refused(client: TestClient, method: str, body: bytes) -> None:
    url = ITEMS if method == "POST" else existing_item(client)
    error = assert_refused(send(client, method, url, body), 400, 422)
    assert error["code"] in ("bad_request", "validation_failed")


@pytest.mark.parametrize("item_id", HOSTILE_INTEGERS)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_hostile_ids_are_422(client: TestClient, method: str, item_id: str) -> None:
    response = send(client, method, f"{ITEMS}/{item_id}", b'{"name": "Widget"}')
    assert assert_refused(response, 422)["code"] == "validation_failed"


@pytest.mark.parametrize("value", HOSTILE_INTEGERS)
@pytest.mark.parametrize("parameter", ["limit", "offset"])
def test_hostile_page_bounds_are_422(client: TestClient, parameter: str, value: str) -> None:
    response = client.get(f"{ITEMS}?{parameter}={value}")
    assert assert_refused(response, 422)["code"] == "validation_failed"


@pytest.mark.parametrize("value", [10**100, 2**63, -(2**63), 1.5, True, None, [], {}])
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_text_fields_refuse_other_json_types(client: TestClient, field: str, value: Any) -> None:
    response = send(client, "POST", ITEMS, json.dumps({"name": "Widget", field: value}).encode())
    assert assert_refused(response, 422)["code"] == "validation_failed"


@pytest.mark.parametrize("length", [10_000, 200_000])
@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_very_long_text_is_refused(
    client: TestClient, method: str, field: str, length: int
) -> None:
    url = ITEMS if method == "POST" else existing_item(client)
    payload = {"name": "Widget", field: "\U0001f600" * length}
    error = assert_refused(send(client, method, url, json.dumps(payload).encode()), 413, 422)
    assert error["code"] in ("payload_too_large", "validation_failed")


@pytest.mark.parametrize("text", ["\U0001f600 emoji", "naïve café", "\u200b\ufeff", "\t tab"])
def test_unusual_but_storable_text_round_trips(client: TestClient, text: str) -> None:
    """The refusal is narrow: any text a database can store is accepted as sent."""
    created = client.post(ITEMS, json={"name": "Widget", "description": text})
    assert created.status_code == 201, created.text
    assert client.get(f"{ITEMS}/{created.json()['id']}").json()["description"] == text
