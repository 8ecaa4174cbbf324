"""The course as a whole: its map (order, titles, data, logged figures), slides, the site, badges, renumbering.

The course map lives in ONE file, ``medtutor/course.json``; everything else (README's table, notebook 00's
map, the tests, exercise 00.1, benchmarks/, the site) is generated from it or tested against it.
The command line is ``medtutor course ...`` (in :mod:`medtutor.cli`):

    medtutor course slides  [-o build/slides]      # one reveal.js deck per notebook
    medtutor course site    [-o build/site]        # executes every notebook, then renders HTML with navigation
    medtutor course tag-slides notebooks/*.ipynb   # (re)write slide metadata from the headings
    medtutor course sync    [--check]              # README's course table from the map
    medtutor course colab-cell [--check|--write] NOTEBOOK...
    medtutor course renumber [--dry-run]           # files, titles, exercise ids, references: map order

Slides come from the same notebooks: a cell that opens a ``## `` section starts a new slide, a ``### ``
heading a sub-slide, plotting boilerplate is skipped, everything else is a fragment-free continuation.
Builds need no network (reveal.js is loaded by the browser when the deck is opened).
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

__all__ = [
    "build_site", "build_slides", "colab_cell", "course_map", "course_notebooks", "logged_figures", "readme_table",
    "renumber", "slide_type", "sync_readme", "tag_slides", "title_of", "welcome_table",
]  # fmt: skip


def course_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The course notebooks in course order: the course map's files, or ``NN_*.ipynb`` sorted in another folder."""
    if folder is None:
        paths = [NOTEBOOKS / e["file"] for e in course_map()]
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            raise FileNotFoundError(
                f"the course map lists notebooks that do not exist: {missing}; fix medtutor/course.json."
            )
        return paths
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
    if cell["cell_type"] == "code" and src.startswith(("# Plotting boilerplate", "# Google Colab only")):
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


def build_slides(out_dir: str | Path, folder: str | Path | None = None) -> list[Path]:
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


def _execute(nb: Any, path: Path, timeout: int = 900) -> None:
    """Run a notebook in a fresh kernel in its own folder, keeping widget state for the static page."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )  # fmt: skip
    client.execute()


def build_site(
    out_dir: str | Path, folder: str | Path | None = None, execute: bool = False, progress: bool = False
) -> list[Path]:
    """The whole course as static HTML: an index (the course table with launch badges) and one page per notebook.

    ``execute=True`` (``make site``) runs every notebook first in a fresh kernel (nbclient, minutes per notebook,
    the real data of ``MEDTUTOR_DATA_DIR``) so that pages show figures, printed results and static copies of the
    widgets; the default renders the committed (cleared) notebooks, which needs no data and no network.
    """
    import time

    import nbformat

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = course_notebooks(folder)
    nbs = [nbformat.read(p, as_version=4) for p in paths]
    titles = [title_of(nb) for nb in nbs]
    pages = [f"{p.stem}.html" for p in paths]
    from medtutor import plots

    exporter = plots.html_exporter()  # the lab template, keeping each figure's alt text
    written = []
    for i, (path, nb) in enumerate(zip(paths, nbs)):
        if execute:
            start = time.perf_counter()
            _execute(nb, path)
            if progress:
                print(f"executed {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
        body, _ = exporter.from_notebook_node(nb)
        prev = (pages[i - 1], titles[i - 1]) if i else None
        nxt = (pages[i + 1], titles[i + 1]) if i + 1 < len(paths) else None
        nav = _NAV_CSS + _nav(prev, nxt).replace("</nav>", " " + _launch_links(path.name) + "</nav>")
        body = re.sub(r"(<body[^>]*>)", lambda m, nav=nav: m.group(1) + nav, body, count=1)
        # links to the repository (glossary, dataset cards, instructors/) point at GitHub from the site
        body = body.replace('href="../', f'href="https://github.com/{REPO}/blob/{BRANCH}/')
        (out / pages[i]).write_text(body, encoding="utf-8")
        written.append(out / pages[i])
    rows = "\n".join(
        f'<tr><td>{p.name[:2]}</td><td><a href="{page}">{html.escape(t)}</a></td><td>{_launch_links(p.name)}</td></tr>'
        for p, page, t in zip(paths, pages, titles)
    )
    state = "executed on the real data when the site was built" if execute else "not executed (outputs cleared)"
    index = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>medtutor: AI for medical image diagnosis</title>"
        "</head><body style='font:16px sans-serif;max-width:60em;margin:2em auto'>"
        "<h1>medtutor: AI for medical image diagnosis</h1>"
        "<p>An interactive course in Jupyter notebooks. Work through them in order; each runs in at most "
        f"3 minutes on one CPU core. The pages below were {state}.</p>"
        f"<table><tr><th>nb</th><th>notebook</th><th>run it</th></tr>\n{rows}</table></body></html>"
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve the files as they are
    return [out / "index.html", *written]


# ---------------------------------------------------------------- the course map (one source of truth)

MAP_FILE = Path(__file__).with_name("course.json")
REPO = "medtutor/medtutor"  # GitHub owner/name the launch badges point at (a fork changes this one value)
BRANCH = "main"
_FIELDS = ("file", "title", "learn", "data", "figures")


def course_map(path: str | Path = MAP_FILE) -> list[dict[str, Any]]:
    """The course map: one dict per notebook (file, title, learn, data, figures), in course order.

    Raises a ValueError naming the entry when a field is missing or a number is out of order.
    """
    entries = json.loads(Path(path).read_text(encoding="utf-8"))["notebooks"]
    for i, entry in enumerate(entries):
        missing = [f for f in _FIELDS if f not in entry]
        if missing:
            raise ValueError(f"{path}: entry {i} lacks {missing}; every entry needs {list(_FIELDS)}.")
        if not re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", entry["file"]):
            raise ValueError(f"{path}: {entry['file']!r} is not named NN_snake_case.ipynb.")
    return entries


def course_numbers_in_order(entries: list[dict[str, Any]]) -> bool:
    """True when entry i is file ``{i:02d}_...``; after reordering the map, ``medtutor course renumber`` fixes it."""
    return all(e["file"][:2] == f"{i:02d}" for i, e in enumerate(entries))


def colab_url(file: str) -> str:
    """The 'Open in Colab' link of a course notebook on GitHub."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{file}"


def binder_url(file: str) -> str:
    """The mybinder.org link that opens a course notebook, in the student working copy (no solutions)."""
    return f"https://mybinder.org/v2/gh/{REPO}/HEAD?urlpath=lab/tree/my-notebooks/{file}"


COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def _launch_links(file: str) -> str:
    """HTML badges for one notebook (the site)."""
    return (
        f'<a href="{colab_url(file)}"><img src="{COLAB_BADGE}" alt="Open {file} in Colab"></a> '
        f'<a href="{binder_url(file)}"><img src="{BINDER_BADGE}" alt="Launch {file} on Binder"></a>'
    )


def runtimes(results: str | Path | None = None) -> dict[str, str]:
    """Wall time in seconds per notebook file, read from ``benchmarks/RESULTS.md`` (empty when absent)."""
    path = Path(results) if results else ROOT / "benchmarks" / "RESULTS.md"
    if not path.is_file():
        return {}
    found = re.findall(r"^\| (\d\d_\w+\.ipynb) \| (\d+) \|", path.read_text(encoding="utf-8"), re.M)
    return dict(found)


def readme_table(entries: list[dict[str, Any]] | None = None, times: dict[str, str] | None = None) -> str:
    """README's course table (markdown) from the map, with launch badges and measured run times."""
    entries = course_map() if entries is None else entries
    times = runtimes() if times is None else times
    lines = [
        "| nb | notebook | what you learn | run it | run time on 1 core (s) |",
        "|---|---|---|---|---|",
    ]
    for e in entries:
        f = e["file"]
        badges = f"[![Open in Colab]({COLAB_BADGE})]({colab_url(f)}) [![Binder]({BINDER_BADGE})]({binder_url(f)})"
        lines.append(f"| {f[:2]} | [{e['title']}](notebooks/{f}) | {e['learn']} | {badges} | {times.get(f, '-')} |")
    return "\n".join(lines)


def welcome_table(entries: list[dict[str, Any]] | None = None) -> str:
    """Notebook 00's course map (markdown): number, title, what you learn, data."""
    entries = course_map() if entries is None else entries
    lines = ["| nb | notebook | you learn | data |", "|---|---|---|---|"]
    lines += [f"| {e['file'][:2]} | {e['title']} | {e['learn']} | {e['data']} |" for e in entries]
    return "\n".join(lines)


_BEGIN = "<!-- course-table:begin (generated from medtutor/course.json by `medtutor course sync`) -->"
_END = "<!-- course-table:end -->"


def _replace_between(text: str, table: str, where: str) -> str:
    """``text`` with ``table`` between the course-table markers; a ValueError naming ``where`` when they are absent."""
    if _BEGIN not in text or _END not in text:
        raise ValueError(f"{where} lacks the markers {_BEGIN!r} ... {_END!r}: add them where the course table goes.")
    head, rest = text.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    return f"{head}{_BEGIN}\n{table}\n{_END}{tail}"


def sync_readme(
    readme: str | Path = ROOT / "README.md",
    write: bool = True,
    map_path: str | Path = MAP_FILE,
    results: str | Path | None = None,
) -> bool:
    """Put the generated course table between README's markers; return True when README was (or would be) changed."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    new = _replace_between(text, readme_table(course_map(map_path), runtimes(results)), str(path))
    if new != text and write:
        path.write_text(new, encoding="utf-8")
    return new != text


def sync_welcome(notebook: str | Path | None = None, write: bool = True, map_path: str | Path = MAP_FILE) -> bool:
    """Put the generated course map into notebook 00's markdown cell that holds the markers; True when changed."""
    path = Path(notebook) if notebook else NOTEBOOKS / course_map(map_path)[0]["file"]
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown" and _BEGIN in _source(c)]
    if len(cells) != 1:
        raise ValueError(f"{path}: exactly one markdown cell must hold the course-table markers, found {len(cells)}.")
    old = _source(cells[0])
    new = _replace_between(old, welcome_table(course_map(map_path)), str(path))
    if new != old and write:
        cells[0]["source"] = new.splitlines(keepends=True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return new != old


def logged_figures(path: str | Path) -> list[str]:
    """Names a notebook logs with ``log_metric``; an f-string name comes back as a pattern, e.g. ``pcg_loso_macc_*``."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    names = re.findall(r"""log_metric\(\s*(f?)(?:"([^"]+)"|'([^']+)')""", code)
    return sorted({re.sub(r"\{[^}]*\}", "*", a or b) if f else a or b for f, a, b in names})


# ---------------------------------------------------------------- Colab: a first cell that installs medtutor

COLAB_MARK = "# Google Colab only: install the course package when it is missing (elsewhere this cell does nothing)."
COLAB_CELL = f"""{COLAB_MARK}
import importlib
import importlib.util
import subprocess
import sys

if "google.colab" in sys.modules and importlib.util.find_spec("medtutor") is None:
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", "git+https://github.com/{REPO}"], check=True)
    importlib.invalidate_caches()
    from medtutor.course import colab_requirements

    subprocess.run([*pip, *colab_requirements()], check=True)  # keeps Colab's own TensorFlow and Keras"""


def colab_requirements() -> list[str]:
    """medtutor's runtime requirements minus TensorFlow and Keras (Colab ships both; reinstalling would clash)."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    keep = []
    for line in requires("medtutor") or []:
        req = Requirement(line)
        if req.marker is not None and "extra" in str(req.marker):
            continue
        if req.name.lower() in {"tensorflow", "tensorflow-cpu", "keras"}:
            continue
        if req.marker is None or req.marker.evaluate():
            keep.append(f"{req.name}{req.specifier}")
    return keep


def colab_cell(path: str | Path, write: bool = False) -> bool:
    """Ensure the Colab install cell sits right after the title cell; return True when it was missing or stale.

    Idempotent: a second call changes nothing. ``write=False`` only reports (``--check``).
    """
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    wanted = {
        "cell_type": "code", "execution_count": None, "id": "colab-install",
        "metadata": {"slideshow": {"slide_type": "skip"}, "tags": ["colab"]}, "outputs": [],
        "source": COLAB_CELL.splitlines(keepends=True),
    }  # fmt: skip
    found = [
        i for i, c in enumerate(cells)
        if _source(c).startswith("# Google Colab only") or "colab" in c.get("metadata", {}).get("tags", [])
    ]  # fmt: skip
    if found == [1] and cells[1] == wanted:
        return False
    if write:
        for i in reversed(found):
            del cells[i]
        cells.insert(1, wanted)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


# ---------------------------------------------------------------- renumbering from the map

_TEXT_SUFFIXES = {".ipynb", ".md", ".py", ".json", ".txt", ".toml", ".yml", ".yaml", ".cfg"}
_SKIP_DIRS = {".git", ".venv", "build", "__pycache__", ".ruff_cache", ".pytest_cache", "node_modules"}


def renumber_plan(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Old number -> new number for every notebook whose position in the map differs from its file's number."""
    plan = {e["file"][:2]: f"{i:02d}" for i, e in enumerate(entries) if e["file"][:2] != f"{i:02d}"}
    olds = [e["file"][:2] for e in entries]
    dup = sorted({n for n in olds if olds.count(n) > 1})
    if dup and not all(n in plan or olds.count(n) == 1 for n in dup):
        raise ValueError(f"the course map holds two notebooks numbered {dup} that keep their number.")
    return plan


def _rewriters(plan: dict[str, str], stems: dict[str, str]) -> list[tuple[re.Pattern[str], Any]]:
    """The substitutions a renumber makes, each applied once (simultaneously) so that 03->04, 04->05 cannot chain."""
    nums = "|".join(sorted(plan))

    def num(m: re.Match[str]) -> str:
        return plan.get(m.group(0), m.group(0))

    def listed(m: re.Match[str]) -> str:  # "notebooks 07, 12, 13 and 14"
        return m.group(1) + re.sub(r"\d\d", num, m.group(2))

    return [
        (re.compile(r"\b(" + "|".join(map(re.escape, sorted(stems))) + r")\b"), lambda m: stems[m.group(1)]),
        (re.compile(rf"\bnb({nums})\b"), lambda m: "nb" + plan[m.group(1)]),
        (re.compile(rf"(?<=[\"'])({nums})(?=\.\d+[\"'])"), num),  # exercise ids "07.1"
        (
            re.compile(rf"(\b[Ee]xercises? |^\s*[-*] )({nums})(?=\.\d+\b)", re.M),
            lambda m: m.group(1) + plan[m.group(2)],
        ),
        (re.compile(rf"^(#+ )({nums})(?= · )", re.M), lambda m: m.group(1) + plan[m.group(2)]),  # titles, sections
        (re.compile(r"(\b[Nn]otebooks? |\bnb )(\d\d(?:(?:, | and | or | to |-|–)\d\d)*)\b"), listed),
    ]


def _rewrite_text(text: str, rules: list[tuple[re.Pattern[str], Any]]) -> tuple[str, int]:
    total = 0
    for pattern, repl in rules:
        text, n = pattern.subn(repl, text)
        total += n
    return text, total


def _rewrite_file(path: Path, rules: list[tuple[re.Pattern[str], Any]], write: bool) -> int:
    """Apply the rules to one text file (a notebook cell by cell, keeping its JSON layout); return the count."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix != ".ipynb":
        new, count = _rewrite_text(raw, rules)
    else:
        nb = json.loads(raw)
        count = 0
        for cell in nb["cells"]:
            src, n = _rewrite_text(_source(cell), rules)
            if n:
                cell["source"] = src.splitlines(keepends=True)
                count += n
        new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if count and write:
        path.write_text(new, encoding="utf-8")
    return count


def renumber(root: str | Path = ROOT, dry_run: bool = True) -> dict[str, Any]:
    """Renumber the course so that files follow the map's order: rename notebooks and ``nbNN`` modules, and
    rewrite titles, exercise ids, ``notebook NN`` references and file names in every text file.

    Reorder ``medtutor/course.json`` first (e.g. move the new notebook to position 03), then run with
    ``dry_run=True`` to see the plan. Returns {"plan", "renames", "edits"}. A no-op when numbers already match.
    """
    root = Path(root)
    map_path = root / "medtutor" / "course.json"
    entries = course_map(map_path)
    plan = renumber_plan(entries)
    if not plan:
        return {"plan": {}, "renames": [], "edits": {}}
    stems = {e["file"][:-6]: plan[e["file"][:2]] + e["file"][2:-6] for e in entries if e["file"][:2] in plan}
    rules = _rewriters(plan, stems)
    files = [
        p for p in sorted(root.rglob("*"))
        if p.is_file() and not (_SKIP_DIRS & set(p.relative_to(root).parts))
        and (p.suffix in _TEXT_SUFFIXES or p.name in {"Makefile", "run"})
        and p.relative_to(root).as_posix() != "medtutor/course.py"  # this tool's own examples stay as written
    ]  # fmt: skip
    edits = {str(p.relative_to(root)): n for p in files if (n := _rewrite_file(p, rules, write=not dry_run))}
    renames = []
    for p in files:
        new_name, n = _rewrite_text(p.name, rules[:2])
        if n:
            renames.append((p, p.with_name(new_name)))
    if not dry_run:  # two steps through temporary names: 03->04 and 04->05 may swap places
        for i, (old, _) in enumerate(renames):
            old.rename(old.with_name(f".renumber-{i}-{old.name}"))
        for i, (old, new) in enumerate(renames):
            old.with_name(f".renumber-{i}-{old.name}").rename(new)
    readme = root / "README.md"
    if not dry_run and readme.is_file() and _BEGIN in readme.read_text(encoding="utf-8"):
        sync_readme(readme, map_path=map_path, results=root / "benchmarks" / "RESULTS.md")
        sync_welcome(root / "notebooks" / entries[0]["file"], map_path=map_path)
    return {
        "plan": plan,
        "renames": [(str(a.relative_to(root)), str(b.relative_to(root))) for a, b in renames],
        "edits": edits,
    }


if __name__ == "__main__":  # pragma: no cover
    from medtutor.cli import main

    sys.exit(main(["course", *sys.argv[1:]]))
