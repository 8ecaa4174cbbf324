"""Check the figures a test run logged against the floors in ``benchmarks/expected.json``.

    python benchmarks/check_floors.py [RESULTS.jsonl] [--expected benchmarks/expected.json]

RESULTS defaults to ``$MEDTUTOR_RESULTS`` (what ``.ci/run`` sets). Every logged figure is looked up in the section
of its ``source`` ("real" or "synthetic"): a value below its ``min`` or above its ``max`` fails, and so does a
figure the file does not know (add it with a floor) or an expected figure nobody logged (a notebook stopped
logging it). The last value of a figure counts. Exit 1 names every problem; this is a benchmark check of the
results, not a timed unit test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "benchmarks" / "expected.json"
SOURCES = ("real", "synthetic")


def load_expected(path: str | Path = EXPECTED) -> dict[str, dict[str, dict[str, Any]]]:
    """The floors file as {source: {name: {"min"|"max": bound, ...}}}; a ValueError names a malformed entry."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for source in SOURCES:
        for name, rule in data.get(source, {}).items():
            if not isinstance(rule, dict) or not ({"min", "max"} & rule.keys()):
                raise ValueError(f"{path}: {source}/{name} needs a 'min' (floor) or a 'max' (ceiling).")
    return {source: data.get(source, {}) for source in SOURCES}


def read_results(path: str | Path) -> dict[tuple[str, str], float]:
    """The last logged value of each (source, name) in a JSON-lines results file."""
    latest: dict[tuple[str, str], float] = {}
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        source = record.get("source")
        if source not in SOURCES:
            raise ValueError(f"{path}:{i}: figure {record.get('name')!r} has source {source!r}; log it with "
                             "source='real' or source='synthetic'.")  # fmt: skip
        latest[(source, record["name"])] = float(record["value"])
    return latest


def check(results: dict[tuple[str, str], float], expected: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Every problem, one line each: fell short (below min / above max), unknown, or missing."""
    problems = []
    for (source, name), value in sorted(results.items()):
        rule = expected[source].get(name)
        if rule is None:
            problems.append(f"UNKNOWN  {name} ({source}) = {value:.4f}: add a floor to benchmarks/expected.json")
        elif "min" in rule and value < rule["min"]:
            problems.append(f"SHORT    {name} ({source}) = {value:.4f} < floor {rule['min']}")
        elif "max" in rule and value > rule["max"]:
            problems.append(f"OVER     {name} ({source}) = {value:.4f} > ceiling {rule['max']}")
    logged = {name for _, name in results}
    alternatives = {n: rule.get("or") for section in expected.values() for n, rule in section.items()}
    for name in sorted(set(alternatives) - logged):
        if alternatives[name] in logged:  # e.g. nodule3d_test_auc online, adrenal3d_test_auc offline
            continue
        problems.append(f"MISSING  {name}: expected in benchmarks/expected.json but not logged by this run")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: print one line per figure problem; exit 1 when there is any."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", default=os.environ.get("MEDTUTOR_RESULTS"))
    parser.add_argument("--expected", default=str(EXPECTED))
    args = parser.parse_args(argv)
    if not args.results or not Path(args.results).is_file():
        print(f"no results file ({args.results or 'MEDTUTOR_RESULTS unset'}): run the notebooks with "
              "MEDTUTOR_RESULTS=build/results.jsonl first.", file=sys.stderr)  # fmt: skip
        return 2
    results = read_results(args.results)
    problems = check(results, load_expected(args.expected))
    for line in problems:
        print(line)
    print(f"{len(results)} figure(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
