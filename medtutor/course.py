"""The course as a whole: its notebooks in order, slide metadata, and the offline HTML site and slides.

    python -m medtutor.course slides  [-o build/slides]   # one reveal.js deck per notebook
    python -m medtutor.course site    [-o build/site]     # the whole course as HTML, navigation in order
    python -m medtutor.course tag-slides notebooks/*.ipynb # (re)write slide metadata from the headings

Slides come from the same notebooks: a cell that opens a ``## `` section starts a new slide, a ``### ``
heading a sub-slide, plotting boilerplate is skipped, everything else is a fragment-free continuation.
Builds need no network (reveal.js is loaded by the browser when the deck is opened).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

__all__ = ["build_site", "build_slides", "course_notebooks", "slide_type", "tag_slides", "title_of"]


def course_notebooks(folder: str | Path = NOTEBOOKS) -> list[Path]:
    """The course notebooks (``NN_name.ipynb``) in course order."""
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no NN_name.ipynb notebooks in {folder}.")
    return paths


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def title_of(nb: dict[str, Any]) -> str:
    """The notebook's title: the text of its first ``# `` heading."""
    for cell in nb["cells"]:
        for line in _source(cell).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    raise ValueError("notebook has no '# ' title heading.")


def slide_type(cell: dict[str, Any], first: bool = False) -> str:
    """The reveal.js slide type a cell should have, from its content."""
    src = _source(cell).lstrip()
    if first or (cell["cell_type"] == "markdown" and src.startswith("## ")):
        return "slide"
    if cell["cell_type"] == "markdown" and src.startswith("### "):
        return "subslide"
    if cell["cell_type"] == "code" and src.startswith("# Plotting boilerplate"):
        return "skip"
    return "-"


def tag_slides(path: str | Path) -> bool:
    """Write slide metadata into a notebook file; return True when something changed."""
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for i, cell in enumerate(nb["cells"]):
        wanted = slide_type(cell, first=i == 0)
        meta = cell.setdefault("metadata", {})
        if meta.get("slideshow", {}).get("slide_type") != wanted:
            meta["slideshow"] = {"slide_type": wanted}
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def build_slides(out_dir: str | Path, folder: str | Path = NOTEBOOKS) -> list[Path]:
    """One reveal.js HTML deck per notebook (``jupyter nbconvert --to slides``), without executing."""
    import nbformat
    from nbconvert import SlidesExporter

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exporter = SlidesExporter()
    written = []
    for path in course_notebooks(folder):
        body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
        target = out / f"{path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


_NAV_CSS = """
<style>
 .medtutor-nav{position:sticky;top:0;z-index:10;background:#f5f7fa;border-bottom:1px solid #d0d7de;
   padding:6px 12px;font:14px sans-serif}
 .medtutor-nav a{margin-right:14px}
</style>
"""


def _nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    parts = ['<nav class="medtutor-nav"><a href="index.html">&#8962; Course contents</a>']
    if prev:
        parts.append(f'<a href="{prev[0]}">&larr; {html.escape(prev[1])}</a>')
    if nxt:
        parts.append(f'<a href="{nxt[0]}">{html.escape(nxt[1])} &rarr;</a>')
    return "".join(parts) + "</nav>"


def build_site(out_dir: str | Path, folder: str | Path = NOTEBOOKS, execute: bool = False) -> list[Path]:
    """The whole course as static HTML: an index in course order and one page per notebook.

    ``execute=True`` runs each notebook first (minutes per notebook) so that pages show outputs;
    the default renders the committed (cleared) notebooks, which needs no data and no network.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = course_notebooks(folder)
    nbs = [nbformat.read(p, as_version=4) for p in paths]
    titles = [title_of(nb) for nb in nbs]
    pages = [f"{p.stem}.html" for p in paths]
    exporter = HTMLExporter(template_name="lab")
    written = []
    for i, (path, nb) in enumerate(zip(paths, nbs)):
        if execute:
            ExecutePreprocessor(timeout=900).preprocess(nb, {"metadata": {"path": str(path.parent)}})
        body, _ = exporter.from_notebook_node(nb)
        prev = (pages[i - 1], titles[i - 1]) if i else None
        nxt = (pages[i + 1], titles[i + 1]) if i + 1 < len(paths) else None
        nav = _NAV_CSS + _nav(prev, nxt)
        body = re.sub(r"(<body[^>]*>)", lambda m, nav=nav: m.group(1) + nav, body, count=1)
        (out / pages[i]).write_text(body, encoding="utf-8")
        written.append(out / pages[i])
    items = "\n".join(f'<li><a href="{p}">{html.escape(t)}</a></li>' for p, t in zip(pages, titles))
    index = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>medtutor: AI for medical image diagnosis</title>"
        "</head><body style='font:16px sans-serif;max-width:52em;margin:2em auto'>"
        "<h1>medtutor: AI for medical image diagnosis</h1>"
        "<p>An interactive course in Jupyter notebooks. Work through them in order; each runs in at most "
        "3 minutes on one CPU core. Slides: <code>python -m medtutor.course slides</code>.</p>"
        f"<ol start='0'>{items}</ol></body></html>"
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    return [out / "index.html", *written]


def main(argv: list[str] | None = None) -> int:
    """Command line: ``slides``, ``site`` or ``tag-slides``."""
    parser = argparse.ArgumentParser(prog="python -m medtutor.course", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_slides = sub.add_parser("slides", help="reveal.js decks, one per notebook")
    p_slides.add_argument("-o", "--out", default="build/slides")
    p_site = sub.add_parser("site", help="the whole course as static HTML")
    p_site.add_argument("-o", "--out", default="build/site")
    p_site.add_argument("--execute", action="store_true", help="run the notebooks first (slow)")
    p_tag = sub.add_parser("tag-slides", help="write slide metadata into notebooks")
    p_tag.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "slides":
        print(f"wrote {len(build_slides(args.out))} decks to {args.out}")
    elif args.cmd == "site":
        print(f"wrote {len(build_site(args.out, execute=args.execute))} pages to {args.out}")
    else:
        changed = [p for p in args.paths if tag_slides(p)]
        print(f"slide metadata updated in {len(changed)} notebook(s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
