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
