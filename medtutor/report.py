"""Log the figures the course promises, one JSON line each, for CI and instructors to collect.

``log_metric("pneumonia_test_auc", 0.97, source="real")`` appends ``{"name": ..., "value": ..., "source": ...}``
(plus any extra keys) to the file named by ``MEDTUTOR_RESULTS``; with the variable unset nothing is written.
It prints nothing: the lesson shows its numbers with its own ``print``, and CI reads the file.
``source`` is required: it says whether the figure came from real data ("real") or a stand-in ("synthetic").
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

__all__ = ["log_metric", "read_metrics", "latest_metric"]


SOURCES = ("real", "synthetic")


def log_metric(name: str, value: float, *, source: str, **extra: Any) -> None:
    """Append ``name = value`` (and where it came from) as a JSON line to ``$MEDTUTOR_RESULTS`` when that is set.

    Silent on purpose: a logged figure is for CI's floors check, not for the student's screen.
    """
    if source not in SOURCES:
        raise ValueError(f"metric {name!r}: source must be one of {SOURCES}, got {source!r}.")
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ValueError(f"metric name must be a snake_case string, got {name!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"metric {name!r} must be a number, got {type(value).__name__}.") from err
    if math.isnan(number):
        raise ValueError(f"metric {name!r} is NaN: check the computation before logging it.")
    record = {"name": name, "value": number, "source": source, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
    target = os.environ.get("MEDTUTOR_RESULTS", "").strip()
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        # one write() of one line in append mode: lines from parallel kernels never interleave
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


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
