"""Every static figure renders with alt text and without matplotlib warnings (issues 16 and 17).

It renders each executed notebook with nbconvert's HTML exporter (:func:`medtutor.plots.html_exporter`) and
reads the matplotlib warnings in its stderr outputs. It does not execute notebooks itself unless asked:

- ``MEDTUTOR_EXECUTED_DIR=DIR``: check the executed copies ``DIR/<notebook file name>``; a notebook without
  a copy fails (unless ``MEDTUTOR_RUN_SLOW=1``, which executes it here). ``make test`` (so CI) writes the
  copies during its nbval run (``MEDTUTOR_SAVE_EXECUTED``, see the root ``conftest.py``) and then runs this
  file on them, so every notebook is executed once; ``jupyter nbconvert --to notebook --execute
  --output-dir DIR`` makes copies by hand;
- ``MEDTUTOR_RUN_SLOW=1`` alone: execute each notebook here (minutes per notebook on one core);
- neither: the notebook checks skip (e.g. in ``make unit``, or inside the nbval run that writes the copies).

``FIGURE_NOTEBOOKS`` is every notebook of the course map (``medtutor/course.json``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from medtutor import plots
from medtutor.course import course_map

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FIGURE_NOTEBOOKS = tuple(entry["file"][:2] for entry in course_map())  # every notebook of the course map
# what matplotlib says when a figure will not read: overlapping layout, a character the font lacks
MATPLOTLIB_WARNING = re.compile(
    r"tight_layout|tight layout|constrained_layout|layout has changed|Glyph \d+ .*missing|missing from font|"
    r"MatplotlibDeprecationWarning|matplotlib\S*\.py:\d+: \w*Warning",
    re.IGNORECASE,
)


def _notebook_path(number: str) -> Path:
    """The notebook file whose name starts with ``number``; a clear error when there is none."""
    found = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one notebooks/{number}_*.ipynb, found {len(found)}; fix FIGURE_NOTEBOOKS.")
    return found[0]


def _executed(path: Path) -> nbformat.NotebookNode:
    """An executed copy from ``MEDTUTOR_EXECUTED_DIR`` or, with ``MEDTUTOR_RUN_SLOW=1``, a fresh execution."""
    copies = os.environ.get("MEDTUTOR_EXECUTED_DIR")
    slow = os.environ.get("MEDTUTOR_RUN_SLOW") == "1"
    if copies and (Path(copies) / path.name).is_file():
        nb = nbformat.read(Path(copies) / path.name, as_version=4)
        if nb.metadata.get("medtutor_executed", {}).get("failed"):
            pytest.skip(f"{path.name} failed under nbval (that run reports it); its figures are not checked")
        return nb
    if copies and not slow:
        pytest.fail(
            f"no executed copy {Path(copies) / path.name}: run the notebooks with MEDTUTOR_SAVE_EXECUTED={copies} "
            "(as `make test` does) or set MEDTUTOR_RUN_SLOW=1 to execute it here."
        )
    if not slow:
        pytest.skip("slow: set MEDTUTOR_EXECUTED_DIR (executed copies) or MEDTUTOR_RUN_SLOW=1 (execute)")
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def matplotlib_warnings(nb: nbformat.NotebookNode) -> list[str]:
    """Lines of stderr outputs that are matplotlib warnings (layout, missing glyph, deprecation)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found += [
                    f"cell {i}: {line.strip()}" for line in out["text"].splitlines() if MATPLOTLIB_WARNING.search(line)
                ]
    return found


def test_warning_detector_catches_known_matplotlib_warnings():
    cell = nbformat.v4.new_code_cell(
        "",
        outputs=[
            nbformat.v4.new_output(
                "stream",
                name="stderr",
                text=(
                    "/tmp/ipykernel_1/2.py:9: UserWarning: The figure layout has changed to tight\n"
                    "  plt.tight_layout()\n"
                    "/x/IPython/core/pylabtools.py:170: UserWarning: "
                    "Glyph 8722 (\\N{MINUS SIGN}) missing from font(s) X.\n"
                    "epoch 1/3 loss 0.5\n"
                ),
            )
        ],
    )
    assert len(matplotlib_warnings(nbformat.v4.new_notebook(cells=[cell]))) == 3


@pytest.mark.slow
@pytest.mark.parametrize("number", FIGURE_NOTEBOOKS)
def test_static_figures_have_alt_text_and_no_matplotlib_warnings(number):
    nb = _executed(_notebook_path(number))
    html, _ = plots.html_exporter().from_notebook_node(nb)
    assert "<img" in html, f"notebook {number} rendered no figure: is it executed?"
    missing = plots.images_without_alt(html)
    assert not missing, f"notebook {number}: {len(missing)} image(s) without alt text; use plots.show(fig, alt=...)"
    warned = matplotlib_warnings(nb)
    assert not warned, f"notebook {number}: matplotlib warned:\n" + "\n".join(warned)


@pytest.mark.slow
def test_nbval_run_saves_executed_copies_that_the_render_check_reads(tmp_path):
    """`make test`'s one execution feeds this check: conftest.py writes what nbval ran, with its outputs."""
    import subprocess
    import sys

    cells = [
        "import warnings\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "from medtutor import plots",
        "fig, ax = plt.subplots()\nax.plot([0, 1])\nplots.show(fig, alt='A rising straight line from zero to one.')",
        "fig, ax = plt.subplots()\nax.plot([1, 0])\nfrom IPython.display import Image, display\n"
        "display(Image(data=plots.png_bytes(fig), format='png'))",
        "warnings.warn_explicit('The figure layout has changed to tight', UserWarning, 'matplotlib/figure.py', 1)",
    ]
    notebook = tmp_path / "nb" / "99_tiny.ipynb"
    notebook.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), notebook)
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "MEDTUTOR_SAVE_EXECUTED": str(tmp_path / "executed"), "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "conftest", "-p", "no:cacheprovider"]
    run = subprocess.run([*command, str(notebook)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    nb = nbformat.read(tmp_path / "executed" / notebook.name, as_version=4)
    assert nb.metadata["medtutor_executed"] == {"by": "nbval", "failed": False, "cells_run": len(cells)}
    html, _ = plots.html_exporter().from_notebook_node(nb)
    assert html.count("<img") == 2 and len(plots.images_without_alt(html)) == 1  # the plain display lacks alt
    assert len(matplotlib_warnings(nb)) == 1
