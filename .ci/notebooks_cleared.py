"""Fail when a notebook is committed with outputs, execution counts or saved widget state (pre-commit hook).

    python .ci/notebooks_cleared.py notebooks/*.ipynb

Standard library only, so pre-commit can run it in its own environment. The fix it names:
``jupyter nbconvert --clear-output --inplace FILE``.
"""

from __future__ import annotations

import json
import sys


def problems(path: str) -> list[str]:
    """What keeps one notebook from being 'cleared'."""
    nb = json.load(open(path, encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            found.append(f"cell {i} has outputs or an execution count")
    if "widgets" in nb.get("metadata", {}):
        found.append("saved widget state in the notebook metadata")
    return found


def main(paths: list[str]) -> int:
    """Print one line per notebook that is not cleared; exit 1 when there is any."""
    bad = 0
    for path in paths:
        found = problems(path)
        if found:
            bad += 1
            print(f"{path}: {'; '.join(found[:3])}. Fix: jupyter nbconvert --clear-output --inplace {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
