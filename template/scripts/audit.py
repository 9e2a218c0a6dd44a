"""Known vulnerabilities in the locked runtime dependencies: `make audit`.

Exports uv.lock's runtime dependencies (`uv export`, with their hashes), asks pip-audit
(run by uvx, pinned here) about each, and fails on:
- a vulnerability that has a fixed release, unless .trivyignore.yaml accepts it;
- a dependency pip-audit could not look up (no answer is not a pass);
- an entry of .trivyignore.yaml past its `expired_at`, or without a `statement`.
A vulnerability with no fixed release is printed and does not fail. The same file holds
the image scan's (Trivy's) accepted findings: docs/OPERATIONS.md, "Supply chain".
"""

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = ROOT / ".trivyignore.yaml"
# pip-audit runs as a tool (uvx), outside the project's lock: this is its one pin.
PIP_AUDIT = "pip-audit==2.10.1"
AUDIT_TIMEOUT = 600


class AuditError(Exception):
    """The audit could not be made, or its input is wrong: printed, exit code 1."""


@dataclass(frozen=True)
class Acceptance:
    id: str
    statement: str
    expires: datetime.date


@dataclass(frozen=True)
class Verdict:
    failures: list[str]
    notes: list[str]


def accepted_findings(text: str, today: datetime.date) -> dict[str, Acceptance]:
    """The entries of .trivyignore.yaml by id; every problem with them at once."""
    content = yaml.safe_load(text) or {}
    problems, found = [], {}
    for index, entry in enumerate(content.get("vulnerabilities") or [], start=1):
        if not isinstance(entry, dict):
            problems.append(f"entry {index}: expected id, statement and expired_at; got {entry!r}")
            continue
        name = entry.get("id") or f"entry {index}"
        identifier, statement, expires = (
            entry.get("id"),
            entry.get("statement"),
            entry.get("expired_at"),
        )
        wrong = []
        if not isinstance(identifier, str):
            wrong.append(f"{name}: no id (CVE-..., GHSA-..., PYSEC-...)")
        if not isinstance(statement, str) or not statement.strip():
            wrong.append(f"{name}: no statement: say why the finding does not apply")
        if not isinstance(expires, datetime.date):
            wrong.append(f"{name}: expired_at must be a date (2027-03-01); got {expires!r}")
        elif expires < today:
            wrong.append(
                f"{name}: accepted until {expires}, which has passed: fix it, or look again and set a new date"
            )
        elif not wrong:
            found[str(identifier)] = Acceptance(str(identifier), str(statement), expires)
        problems.extend(wrong)
    if problems:
        raise AuditError("in .trivyignore.yaml:\n  " + "\n  ".join(problems))
    return found


def verdict(report: dict[str, Any], accepted: dict[str, Acceptance]) -> Verdict:
    """What pip-audit's JSON report means, with the accepted findings applied."""
    failures, notes = [], []
    for dependency in report.get("dependencies", []):
        package = f"{dependency['name']} {dependency.get('version', '?')}"
        if "skip_reason" in dependency:
            failures.append(f"{package}: not audited ({dependency['skip_reason']})")
            continue
        for vulnerability in dependency.get("vulns", []):
            names = [vulnerability["id"], *vulnerability.get("aliases", [])]
            fixes = vulnerability.get("fix_versions", [])
            acceptance = next((accepted[name] for name in names if name in accepted), None)
            finding = f"{package}: {', '.join(names)}"
            if acceptance is not None:
                notes.append(
                    f"{finding}: accepted until {acceptance.expires}: {acceptance.statement}"
                )
            elif fixes:
                failures.append(
                    f"{finding}: fixed in {', '.join(fixes)}; upgrade it (`uv lock --upgrade-package {dependency['name']}`)"
                )
            else:
                notes.append(f"{finding}: no fixed release yet")
    return Verdict(failures, notes)


def run_pip_audit() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="audit-") as scratch:
        requirements, report = Path(scratch) / "requirements.txt", Path(scratch) / "report.json"
        export = ["uv", "export", "--frozen", "--no-dev", "--no-emit-project", "--quiet"]
        subprocess.run([*export, "--output-file", str(requirements)], cwd=ROOT, check=True)
        audit = ["uvx", PIP_AUDIT, "--requirement", str(requirements), "--disable-pip"]
        command = [*audit, "--format", "json", "--output", str(report), "--progress-spinner", "off"]
        # Exit code 1 means "found something": the report says what.
        result = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=AUDIT_TIMEOUT, check=False
        )
        if not report.is_file() or not report.read_text().strip():
            raise AuditError(
                f"pip-audit wrote no report (exit code {result.returncode}):\n{result.stderr.strip()}"
            )
        loaded: dict[str, Any] = json.loads(report.read_text())
        return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--report", type=Path, help="read this pip-audit JSON report instead of running pip-audit"
    )
    arguments = parser.parse_args(argv)
    try:
        accepted = accepted_findings(ACCEPTED.read_text(), datetime.date.today())
        report = json.loads(arguments.report.read_text()) if arguments.report else run_pip_audit()
    except AuditError as error:
        print(f"audit: {error}", file=sys.stderr)
        return 1
    result = verdict(report, accepted)
    for note in result.notes:
        print(f"note: {note}")
    for failure in result.failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    audited = len(report.get("dependencies", []))
    if result.failures:
        print(
            f"audit: {len(result.failures)} problem(s) in {audited} dependencies", file=sys.stderr
        )
        return 1
    print(f"audit: {audited} dependencies, no known vulnerability with a fix")
    return 0


if __name__ == "__main__":
    sys.exit(main())
