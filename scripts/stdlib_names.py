"""The standard-library names a generated package must not take, asked of each interpreter.

`python scripts/stdlib_names.py` prints them for every Python version copier.yml offers,
as the YAML list that `reserved_package_names` holds; tests/test_questions.py checks that
the list there is exactly this one.

`sys.stdlib_module_names` leaves out the `test` package (and a few others) that every
installed interpreter still imports, so the names found in the standard library's own
folder are added to it.
"""

import os
import subprocess
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

ASK_THE_INTERPRETER = """
import pkgutil, re, sys, sysconfig
names = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
names |= {module.name for module in pkgutil.iter_modules([sysconfig.get_path("stdlib")])}
print("\\n".join(sorted(name for name in names if re.fullmatch("[a-z][a-z0-9_]*", name))))
"""


def offered_python_versions() -> list[str]:
    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    versions: list[str] = questions["python_version"]["choices"]
    return versions


def stdlib_names(version: str) -> set[str]:
    """Public top-level standard-library names of `python<version>` on this machine."""
    # PYENV_VERSION lets pyenv's shims answer for a version that is not the global one.
    env = {**os.environ, "PYENV_VERSION": version}
    try:
        result = subprocess.run(
            [f"python{version}", "-c", ASK_THE_INTERPRETER],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        message = f"python{version} is needed to list its standard library: {error}"
        raise RuntimeError(message) from None
    return set(result.stdout.split())


def all_stdlib_names() -> list[str]:
    names: set[str] = set()
    for version in offered_python_versions():
        names |= stdlib_names(version)
    return sorted(names)


def main() -> None:
    names = ", ".join(all_stdlib_names())
    print(textwrap.fill(names, width=82, initial_indent=" " * 6, subsequent_indent=" " * 6))


if __name__ == "__main__":
    main()
