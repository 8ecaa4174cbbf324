"""Log the figures the course promises, one JSON line each, for CI and instructors to collect.

``log_metric("pneumonia_test_auc", 0.97)`` appends ``{"name": ..., "value": ...}`` (plus any extra keys,
e.g. ``source="real"``) to the file named by ``MEDTUTOR_RESULTS``; with the variable unset nothing is
written, but the value is still printed so the notebook output shows it.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

__all__ = ["log_metric", "read_metrics", "latest_metric"]


def log_metric(name: str, value: float, **extra: Any) -> dict[str, Any]:
    """Print ``name = value`` and append it as a JSON line to ``$MEDTUTOR_RESULTS`` when that is set."""
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ValueError(f"metric name must be a snake_case string, got {name!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"metric {name!r} must be a number, got {type(value).__name__}.") from err
    if math.isnan(number):
        raise ValueError(f"metric {name!r} is NaN: check the computation before logging it.")
    record = {"name": name, "value": number, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
    target = os.environ.get("MEDTUTOR_RESULTS", "").strip()
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        # one write() of one line in append mode: lines from parallel kernels never interleave
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    extras = ", ".join(f"{k}={v}" for k, v in extra.items())
    print(f"logged {name} = {number:.4f}" + (f" ({extras})" if extras else ""))
    return record


def read_metrics(path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """All logged records from ``path`` (default ``$MEDTUTOR_RESULTS``); an empty list when absent."""
    target = path or os.environ.get("MEDTUTOR_RESULTS", "").strip()
    if not target or not Path(target).is_file():
        return []
    records = []
    for line in Path(target).read_text(encoding="utf-8").splitlines():
        if line.strip():
            records.append(json.loads(line))
    return records


def latest_metric(name: str, path: str | os.PathLike[str] | None = None) -> float | None:
    """The most recently logged value of ``name`` (e.g. a baseline from an earlier notebook), or None."""
    values = [r["value"] for r in read_metrics(path) if r.get("name") == name]
    return values[-1] if values else None
