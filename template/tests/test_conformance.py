"""HTTP conformance of every operation: what the OpenAPI declares and what 405 allows."""

import re
from typing import Any

from fastapi.testclient import TestClient

from .test_errors import assert_envelope

# What any request body can be answered with, besides what the operation itself declares.
BODY_STATUSES = {"400": "bad_request", "413": "payload_too_large", "422": "validation_failed"}
UNPARSABLE_JSON = b'{"name": "\xff"}'  # not UTF-8: the JSON decoder cannot even start
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, path_item in schema["paths"].items()
        for method, operation in path_item.items()
    ]


def concrete(path: str) -> str:
    """The path with each parameter filled in by a value every parameter accepts."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_operation_with_a_body_declares_the_errors_of_a_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    with_body = [entry for entry in operations(schema) if "requestBody" in entry[2]]
    assert with_body
    for path, method, operation in with_body:
        for status, code in BODY_STATUSES.items():
            declared = operation["responses"].get(status)
            assert declared, f"{method.upper()} {path} does not declare its {status}"
            reference = declared["content"]["application/json"]["schema"]["$ref"]
            assert reference == "#/components/schemas/ErrorEnvelope"
            assert code in declared["description"]


def test_an_unparsable_body_is_a_bad_request(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path, method, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        response = client.request(
            method,
            concrete(path),
            content=UNPARSABLE_JSON,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 400, f"{method.upper()} {path}: {response.text}"
        assert_envelope(response.json(), "bad_request")


def test_method_not_allowed_lists_every_method_of_the_path(client: TestClient) -> None:
    for path in client.get("/openapi.json").json()["paths"]:
        answers = {method: client.request(method, concrete(path)) for method in METHODS}
        served = {method for method, response in answers.items() if response.status_code != 405}
        refused = [response for response in answers.values() if response.status_code == 405]
        assert served, path
        assert refused, path
        for response in refused:
            if response.request.method != "HEAD":  # a HEAD answer has no body
                assert_envelope(response.json(), "method_not_allowed")
            allowed = {method.strip() for method in response.headers["allow"].split(",")}
            assert allowed == served, f"{response.request.method} {path}"
