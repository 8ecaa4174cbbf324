"""Slides and the rendered site build offline from the notebooks, in course order."""

from __future__ import annotations

import json

import pytest

from medtutor import course

NOTEBOOKS = course.course_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_carry_slide_metadata(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        got = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        assert got == course.slide_type(cell, first=i == 0), (
            f"{path.name} cell {i}: run `python -m medtutor.course tag-slides notebooks/*.ipynb`"
        )


def test_slide_types():
    assert course.slide_type({"cell_type": "markdown", "source": "## 1. Why"}) == "slide"
    assert course.slide_type({"cell_type": "markdown", "source": "### detail"}) == "subslide"
    assert course.slide_type({"cell_type": "code", "source": "# Plotting boilerplate (x)\nplt.plot()"}) == "skip"
    assert course.slide_type({"cell_type": "code", "source": "x = 1"}) == "-"


@pytest.mark.slow  # renders every notebook twice (about a minute)
def test_slides_and_site_build_offline(tmp_path):
    decks = course.build_slides(tmp_path / "slides")
    assert len(decks) == len(NOTEBOOKS)
    assert "reveal" in decks[0].read_text().lower()
    pages = course.build_site(tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    positions = [index.index(f"{p.stem}.html") for p in NOTEBOOKS]
    assert positions == sorted(positions), "the index must list notebooks in course order"
    assert len(pages) == len(NOTEBOOKS) + 1
    if len(NOTEBOOKS) > 1:
        first = (tmp_path / "site" / f"{NOTEBOOKS[0].stem}.html").read_text()
        assert f'href="{NOTEBOOKS[1].stem}.html"' in first and 'href="index.html"' in first


def test_tag_slides_rewrites_missing_metadata(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# 99 · T"},
                    {"cell_type": "markdown", "metadata": {}, "source": "## A"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    path = tmp_path / "99_t.ipynb"
    path.write_text(json.dumps(nb))
    assert course.tag_slides(path) is True
    assert course.tag_slides(path) is False
    assert course.title_of(json.loads(path.read_text())) == "99 · T"
    with pytest.raises(FileNotFoundError):
        course.course_notebooks(tmp_path / "none")


# ---------------------------------------------------------------- the course map, Colab cell, renumbering

ROOT = course.ROOT


def test_course_map_is_valid_and_in_order():
    entries = course.course_map()
    assert [e["file"] for e in entries] == [p.name for p in NOTEBOOKS]
    assert course.course_numbers_in_order(entries)
    assert len({e["file"] for e in entries}) == len(entries)


def test_course_map_rejects_a_bad_entry(tmp_path):
    bad = tmp_path / "course.json"
    bad.write_text(json.dumps({"notebooks": [{"file": "00_a.ipynb", "title": "A"}]}))
    with pytest.raises(ValueError, match="lacks"):
        course.course_map(bad)
    bad.write_text(json.dumps({"notebooks": [{"file": "Intro.ipynb", "title": "A", "learn": "", "data": "",
                                              "figures": []}]}))  # fmt: skip
    with pytest.raises(ValueError, match="NN_snake_case"):
        course.course_map(bad)


def test_readme_table_has_launch_badges_for_every_notebook():
    table = course.readme_table()
    for entry in course.course_map():
        assert course.colab_url(entry["file"]) in table and course.binder_url(entry["file"]) in table
    assert course.colab_url("00_welcome.ipynb").endswith("/blob/main/notebooks/00_welcome.ipynb")


def test_sync_needs_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no table here\n")
    with pytest.raises(ValueError, match="markers"):
        course.sync_readme(readme)


def test_colab_cell_is_inserted_once_after_the_title(tmp_path):
    path = tmp_path / "07_x.ipynb"
    nb = json.loads((ROOT / "notebooks" / "04_cnn_math.ipynb").read_text())
    nb["cells"] = [c for c in nb["cells"] if course.COLAB_MARK not in "".join(c["source"])]  # as before the cell
    path.write_text(json.dumps(nb))
    n_before = len(json.loads(path.read_text())["cells"])
    assert course.colab_cell(path) is True  # check only: missing
    assert len(json.loads(path.read_text())["cells"]) == n_before  # ... and nothing written
    assert course.colab_cell(path, write=True) is True
    assert course.colab_cell(path, write=True) is False  # idempotent
    cells = json.loads(path.read_text())["cells"]
    assert len(cells) == n_before + 1 and cells[0]["source"][0].startswith("# 04 · ")
    assert "".join(cells[1]["source"]) == course.COLAB_CELL
    compile(course.COLAB_CELL, "colab", "exec")  # plain Python: runs (and does nothing) outside Colab
    cells[1]["source"] = ["# Google Colab only: an old version\n"]
    path.write_text(json.dumps({**json.loads(path.read_text()), "cells": cells}))
    assert course.colab_cell(path, write=True) is True  # a stale cell is replaced, not duplicated
    assert sum(c["source"][0].startswith("# Google Colab only") for c in json.loads(path.read_text())["cells"]) == 1


def test_welcome_notebook_has_the_colab_cell():
    assert course.colab_cell(NOTEBOOKS[0]) is False, (
        "run `medtutor course colab-cell --write notebooks/00_welcome.ipynb`"
    )


def test_colab_requirements_keep_colabs_tensorflow():
    reqs = course.colab_requirements()
    names = {r.split("=")[0].split(">")[0].split("<")[0].lower() for r in reqs}
    assert not names & {"tensorflow", "tensorflow-cpu", "keras"}
    assert {"pooch", "pydicom", "nilearn"} <= names
    assert not any("pytest" in r for r in reqs), "test extras are not installed on Colab"


def _mini_course(root):
    """A three-notebook course whose map puts a new notebook (05) at position 01."""
    (root / "notebooks").mkdir(parents=True)
    (root / "medtutor" / "exercises").mkdir(parents=True)

    def nb(title, text):
        return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n", text]}],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)  # fmt: skip

    (root / "notebooks" / "00_welcome.ipynb").write_text(
        nb("00 · Welcome", "Next: notebook 01, then notebooks 01 and 05.")
    )
    (root / "notebooks" / "01_cnn.ipynb").write_text(nb("01 · CNN", 'Builds on notebook 05. check("01.1", x)'))
    (root / "notebooks" / "05_nn.ipynb").write_text(nb("05 · NN", "Exercise 05.2 and 01_cnn.ipynb; 10.5 s"))
    (root / "medtutor" / "exercises" / "nb01.py").write_text('@exercise("01.1", "t")\n')
    (root / "medtutor" / "exercises" / "nb05.py").write_text('@exercise("05.1", "t")\n')
    (root / "medtutor" / "exercises" / "__init__.py").write_text("from . import nb01, nb05\n")
    entry = {"title": "t", "learn": "l", "data": "d", "figures": []}
    files = ["00_welcome.ipynb", "05_nn.ipynb", "01_cnn.ipynb"]
    (root / "medtutor" / "course.json").write_text(json.dumps({"notebooks": [{"file": f, **entry} for f in files]}))


def test_renumber_dry_run_changes_nothing_then_renumbers_simultaneously(tmp_path):
    _mini_course(tmp_path)
    before = {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    report = course.renumber(tmp_path, dry_run=True)
    assert report["plan"] == {"05": "01", "01": "02"}
    assert ("notebooks/05_nn.ipynb", "notebooks/01_nn.ipynb") in report["renames"]
    assert {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file()} == before
    course.renumber(tmp_path, dry_run=False)
    names = sorted(p.name for p in (tmp_path / "notebooks").iterdir())
    assert names == ["00_welcome.ipynb", "01_nn.ipynb", "02_cnn.ipynb"]
    assert sorted(p.name for p in (tmp_path / "medtutor" / "exercises").glob("nb*.py")) == ["nb01.py", "nb02.py"]
    assert (tmp_path / "medtutor" / "exercises" / "nb01.py").read_text() == '@exercise("01.1", "t")\n'  # was nb05
    assert (tmp_path / "medtutor" / "exercises" / "nb02.py").read_text() == '@exercise("02.1", "t")\n'  # was nb01
    welcome = "".join(json.loads((tmp_path / "notebooks" / "00_welcome.ipynb").read_text())["cells"][0]["source"])
    assert "notebook 02, then notebooks 02 and 01." in welcome  # no 01->02->... chain
    nn = "".join(json.loads((tmp_path / "notebooks" / "01_nn.ipynb").read_text())["cells"][0]["source"])
    assert nn.startswith("# 01 · NN") and "Exercise 01.2" in nn and "02_cnn.ipynb" in nn and "10.5 s" in nn
    cnn = "".join(json.loads((tmp_path / "notebooks" / "02_cnn.ipynb").read_text())["cells"][0]["source"])
    assert cnn.startswith("# 02 · CNN") and "notebook 01." in cnn and 'check("02.1", x)' in cnn
    assert course.course_numbers_in_order(course.course_map(tmp_path / "medtutor" / "course.json"))
    assert course.renumber(tmp_path, dry_run=False)["plan"] == {}  # a second run is a no-op


def test_logged_figures_reads_names_and_f_string_patterns(tmp_path):
    path = tmp_path / "01_x.ipynb"
    code = 'report.log_metric("auc", 1, source="real")\nfor s in "ab":\n    log_metric(f"macc_{s}", 1)\n'
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": code, "outputs": []}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))  # fmt: skip
    assert course.logged_figures(path) == ["auc", "macc_*"]


def _tiny_course(folder, code):
    folder.mkdir()
    for i, title in enumerate(["First", "Second"]):
        text = f"# 0{i} · {title}\n[glossary](../instructors/glossary.md)"
        cells = [
            {"cell_type": "markdown", "id": f"m{i}", "metadata": {}, "source": text},
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "source": code,
                "outputs": [],
                "execution_count": None,
            },
        ]
        kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
        (folder / f"0{i}_{title.lower()}.ipynb").write_text(json.dumps(nb))


def test_site_pages_carry_navigation_badges_and_repository_links(tmp_path):
    _tiny_course(tmp_path / "nbs", "print('hello')")
    course.build_site(tmp_path / "site", folder=tmp_path / "nbs")
    first = (tmp_path / "site" / "00_first.html").read_text()
    assert 'href="01_second.html"' in first and 'href="index.html"' in first
    assert course.colab_url("00_first.ipynb") in first and course.binder_url("00_first.ipynb") in first
    assert f"https://github.com/{course.REPO}/blob/{course.BRANCH}/instructors/glossary.md" in first
    assert (tmp_path / "site" / ".nojekyll").is_file()
    assert "not executed" in (tmp_path / "site" / "index.html").read_text()


@pytest.mark.slow  # starts a kernel per notebook
def test_executed_site_shows_outputs_and_widget_state(tmp_path):
    _tiny_course(tmp_path / "nbs", "import ipywidgets\nprint('printed by the kernel')\nipywidgets.IntSlider(value=3)")
    course.build_site(tmp_path / "site", folder=tmp_path / "nbs", execute=True)
    page = (tmp_path / "site" / "00_first.html").read_text()
    assert "printed by the kernel" in page
    assert "application/vnd.jupyter.widget-state+json" in page, "the static page lacks the widgets' state"
    source = json.loads((tmp_path / "nbs" / "00_first.ipynb").read_text())
    assert source["cells"][1]["outputs"] == [], "building the site must not write outputs into the notebooks"
