"""The student build: solutions replaced by ``raise NotImplementedError()``, outputs cleared."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["build_student_dir", "make_student_notebook", "strip_solutions"]

_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S)


def strip_solutions(source: str) -> str:
    """Replace every solution block with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise ValueError("unbalanced ### BEGIN SOLUTION / ### END SOLUTION markers:\n" + source[:200])
    return _SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()", source)


def make_student_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """The student version of a notebook (a JSON dict): solutions removed, outputs cleared."""
    out = json.loads(json.dumps(nb))
    for cell in out.get("cells", []):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell.get("cell_type") == "code":
            cell["source"] = strip_solutions(src)
            cell["outputs"] = []
            cell["execution_count"] = None
    return out


def build_student_dir(src_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the student build of every ``*.ipynb`` in ``src_dir`` into ``out_dir``; return the files."""
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder of notebooks.")
    if src.resolve() == out.resolve():
        raise ValueError("OUT_DIR must differ from SRC_DIR: the student build would overwrite the solutions.")
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no .ipynb files in {src}.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = make_student_notebook(json.loads(path.read_text(encoding="utf-8")))
        target = out / path.name
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written
