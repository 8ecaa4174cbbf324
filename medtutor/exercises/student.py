"""The student build: solutions replaced by ``raise NotImplementedError()``, outputs cleared."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["build_student_dir", "has_solutions", "make_student_notebook", "strip_solutions"]

_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S)


_BEGIN, _END = "### BEGIN SOLUTION", "### END SOLUTION"


def strip_solutions(source: str) -> str:
    """Replace every solution block with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``.

    Raises ValueError when the markers are unbalanced or out of order: a marker left behind would leak
    the solution into the student build.
    """
    if source.count(_BEGIN) != source.count(_END):
        raise ValueError("unbalanced ### BEGIN SOLUTION / ### END SOLUTION markers:\n" + source[:200])
    out = _SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()", source)
    if _BEGIN in out or _END in out:
        raise ValueError("### BEGIN SOLUTION / ### END SOLUTION markers out of order or nested:\n" + source[:200])
    return out


def has_solutions(nb: dict[str, Any]) -> bool:
    """True when any code cell of a notebook (a JSON dict) holds a solution marker."""
    return any(_BEGIN in _source(cell) for cell in nb.get("cells", []) if cell.get("cell_type") == "code")


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


MODEL_ANSWER_TAG = "model-answer"


def _is_model_answer(cell: dict[str, Any]) -> bool:
    """A markdown cell holding an open question's model answer (tagged for the instructor's edition only)."""
    return MODEL_ANSWER_TAG in cell.get("metadata", {}).get("tags", [])


def make_student_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """The student version of a notebook (a JSON dict): solutions and model answers removed, outputs cleared."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a Jupyter notebook: the JSON has no list of 'cells'.")
    out = json.loads(json.dumps(nb))
    for index, cell in enumerate(out["cells"]):
        if not isinstance(cell, dict) or "cell_type" not in cell or "source" not in cell:
            raise ValueError(f"cell {index} is not a notebook cell (it needs 'cell_type' and 'source').")
        if cell.get("cell_type") == "code":
            try:
                cell["source"] = strip_solutions(_source(cell))
            except ValueError as err:
                raise ValueError(f"cell {index}: {err}") from err
            cell["outputs"] = []
            cell["execution_count"] = None
    out["cells"] = [cell for cell in out["cells"] if not _is_model_answer(cell)]
    return out


def _read_notebook(path: Path) -> dict[str, Any]:
    """Parse one notebook file; every error names the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text, so not a notebook ({err.reason}).") from err
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid notebook JSON (line {err.lineno}: {err.msg}).") from err
    except OSError as err:
        raise OSError(f"{path}: cannot be read ({err.strerror or err}).") from err


def build_student_dir(src_dir: str | Path, out_dir: str | Path, keep_existing: bool = False) -> list[Path]:
    """Write the student build of every ``*.ipynb`` in ``src_dir`` into ``out_dir``; return the files written.

    All-or-nothing and never destructive: every input notebook is read, validated and converted before
    anything is written, every error names its file, and a notebook in ``out_dir`` that holds solution
    markers (for instance SRC and OUT swapped) is never overwritten. With ``keep_existing`` (the student's
    working copy that ``make lab`` and Binder open) a notebook already in ``out_dir`` is left as it is, so a
    student's answers and outputs survive every restart; only notebooks new to the course are added.
    """
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder of notebooks.")
    if src.resolve() == out.resolve():
        raise ValueError("OUT_DIR must differ from SRC_DIR: the student build would overwrite the solutions.")
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no .ipynb files in {src}.")
    built = {}
    for path in notebooks:  # 1. validate and convert everything in memory
        try:
            built[path.name] = make_student_notebook(_read_notebook(path))
        except ValueError as err:
            raise ValueError(err if str(err).startswith(str(path)) else f"{path}: {err}") from err
    if keep_existing:
        built = {name: nb for name, nb in built.items() if not (out / name).exists()}
    for name in built:  # 2. refuse to overwrite solutions
        target = out / name
        if target.is_file():
            try:
                existing = json.loads(target.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                existing = None
            if existing is None or has_solutions(existing):
                what = "holds solution markers" if existing is not None else "is not a readable notebook"
                raise ValueError(
                    f"{target} {what}: refusing to overwrite it (are SRC_DIR and -o OUT_DIR swapped?). "
                    "Fix: choose an empty OUT_DIR, e.g. `medtutor student notebooks -o student`."
                )
    from medtutor._validate import writable_dir

    writable_dir(out, "OUT_DIR (-o)")  # 3. write, each file atomically
    written = []
    for name, nb in built.items():
        target = out / name
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, target)
        written.append(target)
    return written
