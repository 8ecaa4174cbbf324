"""When may a cached trained model be reused? One rule for every load-or-train cache of the package.

A cached model is reused only when it was trained with the same recipe, on the same kind of data
("real" or "synthetic") and by the same medtutor version as the caller would train it now. Otherwise
it is retrained, announced by a banner: a model trained on the synthetic stand-in must never be reused
silently on real data (its numbers would be reported as real results).

The key is stored in the model's JSON sidecar under ``"cache_key"``; :func:`reuse_problem` compares it.
:func:`atomic_write` is the one way the package writes a model or its sidecar.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "cache_key", "retrain_banner", "reuse_problem"]


def cache_key(recipe: dict[str, Any], source: str) -> dict[str, Any]:
    """The facts a cached model must share with the caller: recipe, data source and package version."""
    from medtutor import __version__

    if source not in ("real", "synthetic"):
        raise ValueError(f"source must be 'real' or 'synthetic' (Dataset.source), got {source!r}.")
    return {
        "recipe": json.loads(json.dumps(recipe, sort_keys=True, default=float)),
        "source": source,
        "medtutor_version": __version__,
    }


def reuse_problem(sidecar: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """None when a model whose sidecar is ``sidecar`` may be reused under ``expected``, else why not."""
    saved = sidecar.get("cache_key")
    if not isinstance(saved, dict):
        return "it records no cache key (saved by an older medtutor, or without its data source)"
    if saved.get("source") != expected["source"]:
        return f"it was trained on {saved.get('source')!r} data and this run uses {expected['source']!r} data"
    if saved.get("recipe") != expected["recipe"]:
        changed = sorted(
            k
            for k in set(saved.get("recipe") or {}) | set(expected["recipe"])
            if (saved.get("recipe") or {}).get(k) != expected["recipe"].get(k)
        )
        return f"it was trained with another recipe (changed: {', '.join(changed) or 'format'})"
    if saved.get("medtutor_version") != expected["medtutor_version"]:
        return f"it was trained by medtutor {saved.get('medtutor_version')}, this is {expected['medtutor_version']}"
    return None


def retrain_banner(path: Any, problem: str) -> str:
    """The banner printed when a cached model is not reused: what, why, and what happens instead."""
    line = "=" * 78
    return f"{line}\nNOT reusing the cached model {path}:\n  {problem}.\nRetraining it now.\n{line}"


def atomic_write(path: Path, write: Any, suffix: str) -> None:
    """Write through a temporary file in the same folder, then ``os.replace``: readers never see half a file.

    ``write(tmp)`` writes the content to the temporary path ``tmp`` (which ends in ``suffix``, e.g. ``.keras``,
    because Keras picks the format from the file name); the parent folder is created first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
