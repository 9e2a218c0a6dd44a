"""Bodies above MAX_BODY_BYTES get 413 in the envelope, whether declared or streamed."""

from collections.abc import Iterator

from ..conftest import ClientFactory


def test_declared_oversized_body_is_refused(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=64)
    response = client.post("/api/v1/greetings", json={"name": "x" * 100})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["request_id"] == response.headers["x-request-id"]


def test_streamed_oversized_body_is_refused(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=64)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"name": "'
        yield b"x" * 100
        yield b'"}'

    response = client.post(
        "/api/v1/greetings", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_body_within_the_limit_is_accepted(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=64)
    response = client.post("/api/v1/greetings", json={"name": "Ada"})
    assert response.status_code == 200
