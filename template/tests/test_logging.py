"""Structured logs: every request logged with its id, method, path, status and duration."""

import io
import json
import logging
import sys
from typing import Any

import pytest
from fastapi import FastAPI

from .conftest import ClientFactory


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_access_line_carries_request_fields(
    make_client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client(log_format="json")
    capsys.readouterr()
    client.post("/api/v1/greetings", json={"name": "Ada"}, headers={"X-Request-ID": "log-test-01"})
    lines = json_lines(capsys.readouterr().out)
    access = [line for line in lines if line["event"] == "request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "log-test-01"
    assert line["method"] == "POST"
    assert line["path"] == "/api/v1/greetings"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"


def test_successful_probes_are_not_logged_but_failures_are(
    make_client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client(log_format="json", access_log_quiet_paths="/health/live,/nope")
    capsys.readouterr()
    client.get("/health/live")
    client.get("/nope")
    access = [line for line in json_lines(capsys.readouterr().out) if line["event"] == "request"]
    assert [(line["path"], line["status"]) for line in access] == [("/nope", 404)]


def test_each_line_is_one_write_so_workers_never_interleave(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[str] = []

    class RecordingStdout(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

    monkeypatch.setattr(sys, "stdout", RecordingStdout())
    client = make_client(log_format="json")
    client.get("/api/v1/missing")
    access = [text for text in writes if '"event": "request"' in text]
    assert len(access) == 1
    assert access[0].endswith("\n")
    assert json.loads(access[0])["status"] == 404


def test_server_logs_go_through_the_same_pipeline(
    make_client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    make_client(log_format="json")
    capsys.readouterr()
    logging.getLogger("uvicorn.error").info(
        "Started server process", extra={"color_message": "\x1b[1mStarted\x1b[0m"}
    )
    lines = json_lines(capsys.readouterr().out)
    assert lines[-1]["event"] == "Started server process"
    assert lines[-1]["logger"] == "uvicorn.error"
    assert "color_message" not in lines[-1]


def test_development_logs_are_readable_text(
    make_client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client(log_format="console")
    capsys.readouterr()
    client.get("/api/v1/nothing")
    output = capsys.readouterr().out
    assert "request" in output
    assert "status=404" in output
    assert not json_lines(output)


def test_development_tracebacks_are_plain_without_locals(
    make_client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even with rich installed (dev tools bring it): its locals are slow and show secrets."""

    def add_failing_route(app: FastAPI) -> None:
        @app.get("/fails")
        async def fails() -> None:
            dsn = "postgresql://app:hunter2@db/app"
            raise RuntimeError(f"failed after {len(dsn)} characters")

    client = make_client(log_format="console", customize=add_failing_route)
    capsys.readouterr()
    assert client.get("/fails").status_code == 500
    output = capsys.readouterr().out
    assert "Traceback (most recent call last):" in output
    assert "RuntimeError: failed after 31 characters" in output
    assert "hunter2" not in output
