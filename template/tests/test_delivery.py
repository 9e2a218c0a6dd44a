"""What the delivery workflow's steps do, run here: the SBOM, the audit's verdict, the
deploy and rollback commands (dry: no cluster), and the probe of a running service."""

import datetime
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI

from .serving import serving

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
OVERLAYS = sorted(
    path.parent.name for path in ROOT.glob("deploy/kubernetes/overlays/*/kustomization.yaml")
)
IMAGE = "ghcr.io/acme/service@sha256:" + "0123456789abcdef" * 4


def script(
    name: str, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *arguments],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_runtime_packages() -> dict[str, str]:
    """Name and version of every package the service needs, read from uv.lock: its
    dependencies, with their extras, and theirs, whatever the platform; not the dev group."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {package["name"]: package for package in lock["package"]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    found: dict[str, str] = {}
    pending = list(packages[project].get("dependencies", []))
    while pending:
        dependency = pending.pop()
        package = packages[dependency["name"]]
        for extra in dependency.get("extra", []):
            pending.extend(package.get("optional-dependencies", {}).get(extra, []))
        if package["name"] not in found:
            found[package["name"]] = package["version"]
            pending.extend(package.get("dependencies", []))
    return {normalized(name): version for name, version in found.items()}


def test_make_sbom_lists_every_locked_runtime_dependency_and_nothing_else() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "sbom"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr
    sbom = json.loads((ROOT / "build" / "sbom.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    root = sbom["metadata"]["component"]
    assert (root["name"], root["version"]) == (project["name"], project["version"])
    components = {normalized(component["name"]): component for component in sbom["components"]}
    expected = locked_runtime_packages()
    assert {name: component["version"] for name, component in components.items()} == expected
    for name, component in components.items():
        assert component["purl"].startswith(f"pkg:pypi/{name}@{expected[name]}"), component["purl"]
    assert "pytest" not in components  # the dev group stays out of the image, and the SBOM


def dry_run(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return script("deploy.py", "--dry-run", *arguments, env=env)


def kubectl_commands(output: str) -> list[str]:
    return [line.removeprefix("+ ") for line in output.splitlines() if line.startswith("+ ")]


def example_secrets(overlay: str) -> str:
    return (ROOT / "deploy/kubernetes/overlays" / overlay / "secrets.env.example").read_text()


def containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    pod = manifest["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_deploy_runs_every_container_from_the_digest_migrations_first(overlay: str) -> None:
    result = dry_run("deploy", overlay, IMAGE, env={"SECRETS_ENV": example_secrets(overlay)})
    assert result.returncode == 0, result.stderr
    commands = kubectl_commands(result.stdout)
    output = ROOT / "build" / "deploy"
    first = list(yaml.safe_load_all((output / f"{overlay}-first.yaml").read_text()))
    deployments = list(yaml.safe_load_all((output / f"{overlay}-deployments.yaml").read_text()))
    assert deployments
    assert {manifest["kind"] for manifest in deployments} == {"Deployment"}
    workloads = [manifest for manifest in first if manifest["kind"] == "Job"] + deployments
    for manifest in workloads:
        assert {container["image"] for container in containers(manifest)} == {IMAGE}, manifest[
            "metadata"
        ]["name"]
    assert "Deployment" not in {manifest["kind"] for manifest in first}
    apply_first = commands.index(f"kubectl apply --filename -  # {overlay}-first")
    apply_deployments = commands.index(f"kubectl apply --filename -  # {overlay}-deployments")
    assert apply_first < apply_deployments
    for job in (manifest for manifest in first if manifest["kind"] == "Job"):
        name = job["metadata"]["name"]
        deleted = next(
            i
            for i, command in enumerate(commands)
            if command.startswith(f"kubectl delete job {name} ")
        )
        waited = next(
            i for i, command in enumerate(commands) if command.startswith(f"wait for job/{name} ")
        )
        assert deleted < apply_first < waited < apply_deployments
    rollouts = [
        command
        for command in commands[apply_deployments:]
        if command.startswith("kubectl rollout status")
    ]
    assert [command.split()[3] for command in rollouts] == [
        f"deployment/{manifest['metadata']['name']}" for manifest in deployments
    ]


def test_the_readmes_deploy_without_a_cluster_runs_as_written() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme.split("Without a cluster,", 1)[1], re.DOTALL)
    assert block, "no sh block after 'Without a cluster,' in README.md"
    result = subprocess.run(
        ["bash", "-c", block[1]], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "+ kubectl apply --filename -  # staging-deployments" in result.stdout
    assert (ROOT / "build/deploy/staging-deployments.yaml").is_file()


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("ghcr.io/acme/service:1.2.3", "IMAGE must name a digest"),
        ("ghcr.io/acme/service@sha256:abc", "IMAGE must name a digest"),
        ("", "IMAGE must name a digest"),
    ],
)
def test_a_deploy_refuses_an_image_without_a_digest_before_it_runs_anything(
    image: str, problem: str
) -> None:
    result = dry_run("deploy", "staging", image, env={"SECRETS_ENV": example_secrets("staging")})
    assert result.returncode == 1
    assert problem in result.stderr
    assert kubectl_commands(result.stdout) == []


def test_a_deploy_without_secrets_says_where_they_come_from() -> None:
    environment = {name: value for name, value in os.environ.items() if name != "SECRETS_ENV"}
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "deploy.py"), "--dry-run", "deploy", "production", IMAGE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if (ROOT / "deploy/kubernetes/overlays/production/secrets.env").exists():
        pytest.fail(
            "overlays/production/secrets.env exists in the checkout: this test needs it absent"
        )
    assert result.returncode == 1
    assert "secrets.env.example" in result.stderr
    assert "SECRETS_ENV" in result.stderr


def test_an_unknown_overlay_is_refused_with_the_known_ones() -> None:
    result = dry_run("rollback", "prod")
    assert result.returncode == 1
    assert f"(there are: {', '.join(OVERLAYS)})" in result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_rollback_undoes_then_waits_for_every_deployment(overlay: str) -> None:
    result = dry_run("rollback", overlay)
    assert result.returncode == 0, result.stderr
    commands = kubectl_commands(result.stdout)
    undone = [
        command.split()[3] for command in commands if command.startswith("kubectl rollout undo")
    ]
    waited = [
        command.split()[3] for command in commands if command.startswith("kubectl rollout status")
    ]
    assert undone
    assert undone == waited
    assert all(command.startswith("kubectl rollout undo") for command in commands[: len(undone)])


def audit_report(*vulnerabilities: dict[str, Any], skipped: bool = False) -> dict[str, Any]:
    """pip-audit's JSON report (`--format json`) for one dependency."""
    dependency: dict[str, Any] = {"name": "somepackage", "version": "1.0"}
    if skipped:
        dependency["skip_reason"] = (
            "Dependency not found on PyPI and could not be audited: somepackage (1.0)"
        )
    else:
        dependency["vulns"] = list(vulnerabilities)
    return {"dependencies": [dependency], "fixes": []}


def run_audit(tmp_path: Path, report: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return script("audit.py", "--report", str(path))


FIXABLE = {
    "id": "PYSEC-2026-1",
    "aliases": ["CVE-2026-1"],
    "fix_versions": ["1.1"],
    "description": "",
}
UNFIXED = {"id": "GHSA-aaaa-bbbb-cccc", "aliases": [], "fix_versions": [], "description": ""}


def test_the_audit_fails_on_a_vulnerability_with_a_fix(tmp_path: Path) -> None:
    result = run_audit(tmp_path, audit_report(FIXABLE))
    assert result.returncode == 1
    assert "somepackage 1.0: PYSEC-2026-1, CVE-2026-1: fixed in 1.1" in result.stderr
    assert "uv lock --upgrade-package somepackage" in result.stderr


def test_the_audit_notes_a_vulnerability_with_no_fix_and_passes(tmp_path: Path) -> None:
    result = run_audit(tmp_path, audit_report(UNFIXED))
    assert result.returncode == 0, result.stderr
    assert "GHSA-aaaa-bbbb-cccc: no fixed release yet" in result.stdout


def test_the_audit_fails_on_a_dependency_it_could_not_look_up(tmp_path: Path) -> None:
    """No answer is not a pass: offline, pip-audit skips every package."""
    result = run_audit(tmp_path, audit_report(skipped=True))
    assert result.returncode == 1
    assert "somepackage 1.0: not audited" in result.stderr


def audit_script() -> Any:
    """scripts/audit.py as a module (scripts/ is not a package)."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        import audit

        return audit
    finally:
        sys.path.remove(str(SCRIPTS))


TODAY = datetime.date(2027, 1, 15)


def test_an_accepted_finding_with_a_reason_and_a_date_to_come_passes() -> None:
    audit = audit_script()
    text = "vulnerabilities:\n  - id: CVE-2026-1\n    statement: never called\n    expired_at: 2027-02-01\n"
    verdict = audit.verdict(audit_report(FIXABLE), audit.accepted_findings(text, TODAY))
    assert verdict.failures == []
    assert verdict.notes == [
        "somepackage 1.0: PYSEC-2026-1, CVE-2026-1: accepted until 2027-02-01: never called"
    ]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (
            "  - id: CVE-2026-1\n    statement: never called\n    expired_at: 2027-01-14\n",
            "which has passed",
        ),
        ("  - id: CVE-2026-1\n    expired_at: 2027-02-01\n", "no statement"),
        ("  - id: CVE-2026-1\n    statement: never called\n", "expired_at must be a date"),
        ("  - statement: never called\n    expired_at: 2027-02-01\n", "no id"),
    ],
)
def test_an_accepted_finding_past_its_date_or_without_its_reason_fails(
    entry: str, problem: str
) -> None:
    audit = audit_script()
    with pytest.raises(audit.AuditError, match=problem):
        audit.accepted_findings("vulnerabilities:\n" + entry, TODAY)


def test_every_accepted_finding_of_the_project_has_its_reason_and_has_not_expired() -> None:
    """Fails once an acceptance in .trivyignore.yaml passes its date, as `make audit` does."""
    audit = audit_script()
    audit.accepted_findings((ROOT / ".trivyignore.yaml").read_text(), datetime.date.today())


def test_the_probe_passes_against_the_service(app: FastAPI) -> None:
    with serving(app) as port:
        result = script("probe.py", f"http://127.0.0.1:{port}", "--ready-within", "10")
    assert result.returncode == 0, result.stderr
    assert "GET /health/ready: 200 ready" in result.stdout
    assert "404 not_found, in the envelope, request id sent back" in result.stdout


class NotTheService(http.server.BaseHTTPRequestHandler):
    """Answers every GET as a bare web framework would: 404, not in the envelope."""

    def do_GET(self) -> None:
        body = b'{"detail": "Not Found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def test_the_probe_fails_against_something_else_and_says_what_it_got() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotTheService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = script("probe.py", f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    assert "GET /health/live: expected 200 alive, got 404 {'detail': 'Not Found'}" in result.stderr


def test_the_probe_without_a_url_says_how_to_give_one() -> None:
    environment = {name: value for name, value in os.environ.items() if name != "SERVICE_URL"}
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "probe.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "set SERVICE_URL" in result.stderr
