"""The GitHub workflows: hardened, well formed, and naming what this project has.

No workflow can run outside GitHub; each of their steps is a make target that the tests
here run (`make workflow-check`, `make sbom`, scripts/deploy.py, scripts/probe.py).
"""

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
VERSION_COMMENT = re.compile(r"uses: \S+ # v\d+\.\d+\.\d+$")
# The only jobs that may write, and what: the image's push and its attestations.
IMAGE_WRITES = {"packages", "id-token", "attestations"}
WRITES = {("delivery.yml", "image"): IMAGE_WRITES}

Workflow = dict[Any, Any]  # YAML 1.1 reads a bare `on` key as True


def workflows() -> dict[str, Workflow]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(WORKFLOWS.glob("*.yml"))}


def triggers(workflow: Workflow) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True


def steps() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, workflow in workflows().items():
        for job_name, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                yield name, job_name, step


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z0-9-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def test_there_are_the_ci_delivery_rollback_and_template_update_workflows() -> None:
    assert set(workflows()) == {"ci.yml", "delivery.yml", "rollback.yml", "template-update.yml"}


def test_every_action_is_pinned_to_a_full_commit_with_its_version_beside_it() -> None:
    lines = [
        line.strip()
        for path in WORKFLOWS.glob("*.yml")
        for line in path.read_text().splitlines()
        if line.strip().startswith(("uses:", "- uses:"))
    ]
    assert lines
    for line in lines:
        reference = line.removeprefix("- ").split()[1]
        if reference.startswith("$/"):  # a workflow of this repository
            continue
        assert PINNED.fullmatch(reference), line
        assert VERSION_COMMENT.search(line), f"{line}: no `# vX.Y.Z` after the commit"


def test_every_workflow_grants_nothing_and_each_job_only_what_it_needs() -> None:
    for name, workflow in workflows().items():
        assert workflow["permissions"] == {}, name
        for job_name, job in workflow["jobs"].items():
            permissions = job["permissions"]
            assert isinstance(permissions, dict), (name, job_name)
            writes = {scope for scope, level in permissions.items() if level == "write"}
            assert writes == WRITES.get((name, job_name), set()), (name, job_name)


def test_no_checkout_keeps_its_credentials() -> None:
    checkouts = [
        step for _, _, step in steps() if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False, step


def test_no_run_line_expands_an_expression() -> None:
    """Expressions reach a shell through `env:` only: one in `run:` is injection."""
    for name, job, step in steps():
        assert not re.search(r"\$\{\{", step.get("run", "")), (name, job, step["run"])


def test_every_make_target_a_workflow_runs_exists() -> None:
    called = {
        target
        for _, _, step in steps()
        for target in re.findall(r"\bmake ([a-z0-9-]+)", step.get("run", ""))
    }
    assert {"lint", "typecheck", "test", "smoke", "deploy", "probe", "rollback", "sbom"} <= called
    assert called <= make_targets()


def test_pull_requests_run_ci_and_the_default_branch_delivers_after_it() -> None:
    every = workflows()
    assert set(triggers(every["ci.yml"])) == {"pull_request", "workflow_call"}
    delivery = every["delivery.yml"]
    assert set(triggers(delivery)) == {"push"}
    assert triggers(delivery)["push"] == {"branches": ["main"]}
    assert delivery["jobs"]["checks"]["uses"] == "$/.github/workflows/ci.yml"
    assert delivery["jobs"]["image"]["needs"] == "checks"
    # No workflow-wide group: a production deploy waiting for its approval must not hold
    # the next push's way to staging. Each environment's deploys queue on their own.
    assert "concurrency" not in delivery


def test_staging_then_an_approved_production_get_the_scanned_digest() -> None:
    jobs = workflows()["delivery.yml"]["jobs"]
    overlays = {
        path.parent.name for path in ROOT.glob("deploy/kubernetes/overlays/*/kustomization.yaml")
    }
    assert overlays == {"staging", "production"}
    image = "${{ needs.image.outputs.name }}@${{ needs.image.outputs.digest }}"
    assert jobs["scan"]["steps"][-1]["with"]["image-ref"] == image
    assert set(jobs["deploy-staging"]["needs"]) == {"image", "scan"}
    assert set(jobs["deploy-production"]["needs"]) == {"image", "deploy-staging"}
    for overlay in overlays:
        job = jobs[f"deploy-{overlay}"]
        assert job["environment"]["name"] == overlay
        assert job["env"]["IMAGE"] == image  # a digest, never a rebuild or a tag
        assert job["concurrency"] == {"group": f"deploy-{overlay}", "cancel-in-progress": False}
        runs = [step.get("run", "") for step in job["steps"]]
        assert f"make deploy OVERLAY={overlay}" in runs
        assert runs.index(f"make deploy OVERLAY={overlay}") < runs.index("make probe")


def test_a_rollback_shares_the_deploys_concurrency_group_and_offers_each_environment() -> None:
    rollback = workflows()["rollback.yml"]
    environment = triggers(rollback)["workflow_dispatch"]["inputs"]["environment"]
    assert set(environment["options"]) == {"staging", "production"}
    job = rollback["jobs"]["rollback"]
    assert job["concurrency"]["group"] == "deploy-${{ inputs.environment }}"
    assert "make rollback" in [step.get("run") for step in job["steps"]]


def test_the_attested_sbom_is_the_one_make_sbom_writes() -> None:
    image_steps = workflows()["delivery.yml"]["jobs"]["image"]["steps"]
    attested = next(
        step for step in image_steps if step.get("uses", "").startswith("actions/attest-sbom@")
    )
    assert "--output-file " + attested["with"]["sbom-path"] in (ROOT / "Makefile").read_text()
    scan = workflows()["delivery.yml"]["jobs"]["scan"]["steps"][-1]
    assert (ROOT / scan["with"]["trivyignores"]).is_file()


def test_dependabot_updates_the_lock_the_actions_and_the_compose_images_grouped() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"uv", "github-actions", "docker-compose"}
    for update in ecosystems.values():
        groups = list(update["groups"].values())
        assert [group["update-types"] for group in groups] == [["minor", "patch"]], update
        assert update["cooldown"]["default-days"] >= 7, update


def zizmor(workflows: Path) -> subprocess.CompletedProcess[str]:
    """zizmor's offline audits of the workflow files in `workflows`."""
    found = shutil.which("zizmor")
    assert found, "zizmor not found: run `uv sync`"
    files = [str(path) for path in sorted(workflows.glob("*.yml"))]
    return subprocess.run([found, "--offline", *files], capture_output=True, text=True, check=False)


def make(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [shutil.which("make") or "make", "--no-print-directory", *arguments]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_make_workflow_check_passes() -> None:
    """zizmor (offline audits) finds nothing, and every file matches its schema."""
    result = make("workflow-check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr
    assert (result.stdout + result.stderr).count("ok -- validation done") == 3
    assert "zizmor --offline --quiet .github/" in result.stdout  # dependabot.yml too


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        (("\n        with:\n          persist-credentials: false", ""), "artipacked"),
        (("run: make sbom", "run: echo ${{ github.head_ref }}"), "template-injection"),
    ],
)
def test_zizmor_finds_a_weakened_workflow(
    tmp_path: Path, change: tuple[str, str], finding: str
) -> None:
    """The check can fail: the same audits, on a copy with one hardening undone."""
    copy = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    delivery = copy / "delivery.yml"
    delivery.write_text(delivery.read_text().replace(*change))
    result = zizmor(copy)
    assert result.returncode != 0
    assert finding in result.stdout + result.stderr


def test_an_action_pinned_by_tag_is_a_finding(tmp_path: Path) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    ci = copy / "ci.yml"
    ci.write_text(
        re.sub(r"actions/checkout@[0-9a-f]{40} # (v\d+)\S*", r"actions/checkout@\1", ci.read_text())
    )
    result = zizmor(copy)
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout + result.stderr
