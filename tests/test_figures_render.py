"""Every static figure renders with alt text and without matplotlib warnings (issues 16 and 17).

Slow: it executes each notebook (nbclient) unless executed copies already exist, then renders it with
nbconvert's HTML exporter (:func:`medtutor.plots.html_exporter`). It runs only when asked:

- ``MEDTUTOR_EXECUTED_DIR=DIR``: reuse executed copies ``DIR/<notebook file name>`` (e.g. from
  ``jupyter nbconvert --to notebook --execute --output-dir DIR``); a notebook without a copy is executed
  only when ``MEDTUTOR_RUN_SLOW=1``, else skipped;
- ``MEDTUTOR_RUN_SLOW=1``: execute each notebook here (minutes per notebook on one core).

``FIGURE_NOTEBOOKS`` is the one list of notebooks whose figures follow the course style; extend it when a
notebook adopts :func:`medtutor.plots.show` for all its figures.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from medtutor import plots

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FIGURE_NOTEBOOKS = tuple(f"{i:02d}" for i in range(17))  # every notebook of the course map
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
    if copies and (Path(copies) / path.name).is_file():
        return nbformat.read(Path(copies) / path.name, as_version=4)
    if os.environ.get("MEDTUTOR_RUN_SLOW") != "1":
        pytest.skip("slow: set MEDTUTOR_RUN_SLOW=1 (execute) or MEDTUTOR_EXECUTED_DIR (executed copies)")
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
