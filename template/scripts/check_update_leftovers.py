"""Pre-commit hook: refuse files that still hold a template update's conflict markers, and .rej files."""

import re
import sys
from pathlib import Path

MARKER = re.compile(rb"^(<{7}|>{7})( |$)", re.MULTILINE)


def leftovers(paths: list[str]) -> list[str]:
    found = []
    for name in paths:
        path = Path(name)
        if path.suffix == ".rej" or (path.is_file() and MARKER.search(path.read_bytes())):
            found.append(name)
    return found


def main() -> int:
    found = leftovers(sys.argv[1:])
    for name in found:
        print(f"{name}: unresolved conflict from a template update (markers or .rej)")
    if found:
        print("Resolve each conflict (keep the lines you want, delete the markers), then commit.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
