"""Requests for other hosts are refused in the envelope; health probes are exempt."""

from ..conftest import ClientFactory


def test_unknown_host_is_refused(make_client: ClientFactory) -> None:
    client = make_client(trusted_hosts="api.example.com")
    response = client.get("/api/v1/nothing", headers={"host": "evil.example.net"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_host"


def test_listed_and_wildcard_hosts_are_served(make_client: ClientFactory) -> None:
    client = make_client(trusted_hosts="api.example.com,*.internal.example")
    ok = {"name": "Ada"}
    for host in ("api.example.com", "api.example.com:8443", "orders.internal.example"):
        response = client.post("/api/v1/greetings", json=ok, headers={"host": host})
        assert response.status_code == 200, host


def test_health_probes_by_ip_are_served(make_client: ClientFactory) -> None:
    client = make_client(trusted_hosts="api.example.com")
    response = client.get("/health/live", headers={"host": "10.1.2.3:8000"})
    assert response.status_code == 200


def test_only_the_health_paths_are_exempt(make_client: ClientFactory) -> None:
    client = make_client(trusted_hosts="api.example.com")
    response = client.get("/healthcare/records", headers={"host": "evil.example.net"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_host"
