"""The generated workflows take every action from one list of pins, includes/workflows.jinja.
What the workflows do is checked in each generated project (its tests/test_workflows.py,
run by the render matrix); this checks the list, without rendering."""

import re

from .conftest import TEMPLATE_DIR

PINS = TEMPLATE_DIR / "includes" / "workflows.jinja"
WORKFLOWS = sorted((TEMPLATE_DIR / "template" / ".github" / "workflows").glob("*"))
PIN = re.compile(r"\{%- set (\w+) = '([\w.-]+/[\w.-]+)@([0-9a-f]+) # (v\d+\.\d+\.\d+)' -%\}")


def pins() -> dict[str, tuple[str, str, str]]:
    found = {
        name: (action, commit, version)
        for name, action, commit, version in PIN.findall(PINS.read_text())
    }
    assert found, f"no pins found in {PINS}"
    return found


def test_every_pin_is_a_full_commit_with_its_release_tag() -> None:
    sets = re.findall(r"\{%- set (\w+) =", PINS.read_text())
    assert sorted(sets) == sorted(pins()), "a `set` line in includes/workflows.jinja is not a pin"
    for name, (_, commit, _) in pins().items():
        assert len(commit) == 40, name
    actions = [action for action, _, _ in pins().values()]
    assert len(actions) == len(set(actions)), "an action is pinned twice"


def test_the_workflows_take_every_action_from_the_pins_and_use_every_pin() -> None:
    used: set[str] = set()
    for workflow in WORKFLOWS:
        for line in workflow.read_text().splitlines():
            if "uses:" not in line:
                continue
            reference = line.split("uses:", 1)[1].strip()
            local = reference.startswith("$/")
            pinned = re.fullmatch(r"\{\{ actions\.(\w+) \}\}", reference)
            assert local or pinned, f"{workflow.name}: {line.strip()} does not come from the pins"
            if pinned:
                assert pinned[1] in pins(), f"{workflow.name}: no pin named {pinned[1]}"
                used.add(pinned[1])
        if "{{ actions." in workflow.read_text():
            assert "{%- import 'includes/workflows.jinja' as actions -%}" in workflow.read_text()
    assert used == set(pins()), f"pins no workflow uses: {sorted(set(pins()) - used)}"


def test_no_workflow_writes_a_github_expression_by_hand() -> None:
    """`${{ ... }}` would be Jinja to copier; actions.expr() writes it."""
    for workflow in WORKFLOWS:
        assert "${{" not in workflow.read_text(), workflow.name
