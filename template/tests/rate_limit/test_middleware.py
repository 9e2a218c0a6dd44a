"""The rate limiter as a client meets it: 429 in the envelope, the RateLimit headers,
a limit per client and per policy, and paths it leaves alone."""

import time

from fastapi.testclient import TestClient

from .conftest import LimitedClientFactory


def statuses(
    client: TestClient, method: str, count: int, headers: dict[str, str] | None = None
) -> list[int]:
    return [client.request(method, "/limited", headers=headers).status_code for _ in range(count)]


def test_requests_over_the_limit_are_refused(limited_client: LimitedClientFactory) -> None:
    client = limited_client(rate_limit_reads="3/minute")
    assert statuses(client, "GET", 5) == [200, 200, 200, 429, 429]


def test_every_counted_response_says_where_the_client_stands(
    limited_client: LimitedClientFactory,
) -> None:
    client = limited_client(rate_limit_reads="3/minute")
    responses = [client.get("/limited") for _ in range(4)]
    assert [r.headers["RateLimit-Limit"] for r in responses] == ["3"] * 4
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert all(0 <= int(r.headers["RateLimit-Reset"]) <= 60 for r in responses)
    assert not any("Retry-After" in r.headers for r in responses[:3])
    refused = responses[3]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]


def test_the_429_is_the_error_envelope_with_the_request_id(
    limited_client: LimitedClientFactory,
) -> None:
    client = limited_client(rate_limit_writes="1/minute")
    assert client.post("/limited").status_code == 200
    response = client.post("/limited", headers={"X-Request-ID": "rate-limited-1"})
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["request_id"] == "rate-limited-1" == response.headers["X-Request-ID"]
    assert error["error_id"]


def test_the_limit_resets_once_its_window_has_passed(limited_client: LimitedClientFactory) -> None:
    client = limited_client(rate_limit_reads="2/second")
    assert statuses(client, "GET", 3) == [200, 200, 429]
    deadline = time.monotonic() + 5  # a sliding window frees a slot within two windows
    while (response := client.get("/limited")).status_code == 429:
        assert time.monotonic() < deadline, "the limit did not reset"
        time.sleep(0.05)
    assert response.status_code == 200


def test_reads_and_writes_are_counted_apart_each_against_its_own_limit(
    limited_client: LimitedClientFactory,
) -> None:
    client = limited_client(rate_limit_reads="3/minute", rate_limit_writes="1/minute")
    assert statuses(client, "POST", 2) == [200, 429]
    assert client.delete("/limited").headers["RateLimit-Limit"] == "1"  # a write too
    read = client.get("/limited")
    assert read.status_code == 200
    assert (read.headers["RateLimit-Limit"], read.headers["RateLimit-Remaining"]) == ("3", "2")


def test_each_client_address_has_a_count_of_its_own(limited_client: LimitedClientFactory) -> None:
    client = limited_client(rate_limit_reads="2/minute")
    first = {"X-Forwarded-For": "203.0.113.7"}
    second = {"X-Forwarded-For": "198.51.100.20"}
    assert statuses(client, "GET", 3, headers=first) == [200, 200, 429]
    assert statuses(client, "GET", 3, headers=second) == [200, 200, 429]


def test_health_paths_are_never_limited(limited_client: LimitedClientFactory) -> None:
    client = limited_client(rate_limit_reads="1/minute")
    for path in ("/health/live", "/health/ready", "/health"):
        responses = [client.get(path) for _ in range(3)]
        assert [r.status_code for r in responses] == [200] * 3, path
        assert not any("RateLimit-Limit" in r.headers for r in responses), path
    assert client.get("/limited").status_code == 200  # the probes used none of the quota


def test_paths_without_a_route_count_too(limited_client: LimitedClientFactory) -> None:
    """A scanner probing for paths is limited like any other client."""
    client = limited_client(rate_limit_reads="1/minute")
    assert client.get("/api/v1/missing").status_code == 404
    assert client.get("/limited").status_code == 429


def test_switched_off_nothing_is_counted(limited_client: LimitedClientFactory) -> None:
    client = limited_client(rate_limit_enabled=False, rate_limit_reads="1/minute")
    responses = [client.get("/limited") for _ in range(3)]
    assert [r.status_code for r in responses] == [200] * 3
    assert not any("RateLimit-Limit" in r.headers for r in responses)


def test_the_service_limits_its_api_routes(client: TestClient) -> None:
    """The app as `create_app` builds it, with its own resources and the default limits."""
    response = client.post("/api/v1/greetings", json={"name": "Ada"})
    assert response.status_code == 200
    limit = int(response.headers["RateLimit-Limit"])
    assert int(response.headers["RateLimit-Remaining"]) == limit - 1


def test_the_openapi_declares_429_on_every_limited_operation(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            declared = "429" in operation["responses"]
            assert declared == (not path.startswith("/health")), (method, path)
