"""The Chinese edition: translation stores, the generated ``notebooks/zh/`` notebooks, drift checks, feedback in 中文.

The English notebooks are the source. A translation store per notebook, ``notebooks/zh/translations/NN_name.json``::

    {"notebook": "07_training_a_cnn.ipynb",
     "cells": [{"id": "<markdown cell id>", "en_sha256": "<sha256 of the English cell>", "zh": "<中文 markdown>"}]}

holds one entry per English MARKDOWN cell, in notebook order, with the hash of the English text it translates.
``medtutor course translate`` generates ``notebooks/zh/NN_name.ipynb`` from the English notebook and the store:
cells, ids, tags, metadata and code identical, markdown replaced, relative links rewritten for the deeper folder.
Nobody edits a zh notebook by hand: :func:`drift_report` (``medtutor course translate --check``, tests/test_i18n.py)
names the notebook and cell whenever an English cell changed after its translation, a translation is missing,
code or structure differs, or a committed zh notebook is not what the generator writes.

Translator workflow (CONTRIBUTING.md, "Chinese edition")::

    medtutor course zh-status                       # untranslated / stale cells per notebook
    medtutor course zh-extract 07 --todo -o 07.md   # the English cells still to translate
    # translate the text under each "===== id=... sha256=..." line of 07.md, keeping the marker lines
    medtutor course zh-assemble 07 07.md            # writes the store, then checks it
    medtutor course translate                       # regenerates notebooks/zh/*.ipynb; --check in CI

Exercise feedback follows the notebook's language (:func:`language`): ``MEDTUTOR_LANG=zh|en``, else a notebook in a
``zh`` folder (Jupyter's ``JPY_SESSION_NAME``, or the kernel's working directory, which nbval and Jupyter set to the
notebook's folder). Code cells are identical in both editions, so the language cannot come from the code.
The catalog ``medtutor/locale/zh.json`` translates titles, hints and feedback messages; a message is an f-string, so
the catalog holds templates with ``{0}``, ``{1}`` where the English has values (see :func:`translate_message`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from medtutor import course

ROOT = Path(__file__).resolve().parents[1]
EN_DIR = ROOT / "notebooks"
ZH_DIR = EN_DIR / "zh"
STORE_DIR = ZH_DIR / "translations"
CATALOG = Path(__file__).with_name("locale") / "zh.json"
README_ZH = ROOT / "README.zh.md"
LANG_TAG = "zh-CN"
META_KEY = "i18n"  # cell metadata the generator adds: {"lang": ..., "en_sha256": ...}

__all__ = [
    "assemble_store", "build_zh_notebook", "course_text_zh", "drift_report", "extract_text", "language",
    "load_catalog", "load_store", "notebook_status", "readme_zh_table", "store_problems", "sync_readme_zh",
    "translate_all", "translate_message", "zh_feedback",
]  # fmt: skip


# ---------------------------------------------------------------- cells and hashes


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def sha256_text(text: str) -> str:
    """The sha256 hex digest of ``text`` in UTF-8: the key that ties a translation to one English version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def english_hash(text: str) -> str:
    """The ``en_sha256`` of an English markdown cell: the sha256 of its source.

    One exception: in a cell holding the generated course table (notebook 00's map, between the course-table
    markers) the table is left out of the hash, because both editions generate it from ``medtutor/course.json``
    (the Chinese one with the catalog's texts): a new course-map entry must not mark the prose around it stale.
    """
    if course._BEGIN in text and course._END in text:
        text = course._replace_between(text, "", "a course-table cell")
    return sha256_text(text)


def read_notebook(path: str | Path) -> dict[str, Any]:
    """A notebook file as a dict; a clear error naming the file when it is not a readable notebook."""
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a readable notebook ({err}); restore it with `git checkout {path}`.") from err
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path}: not a notebook (no 'cells' list); restore it with `git checkout {path}`.")
    return nb


def markdown_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    """The markdown cells of a notebook, in order: the cells a store translates."""
    return [c for c in nb["cells"] if c["cell_type"] == "markdown"]


def dumps_notebook(nb: dict[str, Any]) -> str:
    """A notebook as the course writes it (indent 1, UTF-8 text, trailing newline)."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- the store


def store_path(notebook: str, store_dir: str | Path = STORE_DIR) -> Path:
    """Where the store of ``NN_name.ipynb`` lives: ``notebooks/zh/translations/NN_name.json``."""
    return Path(store_dir) / (Path(notebook).stem + ".json")


def load_store(path: str | Path) -> dict[str, Any]:
    """Read and validate a store's shape; a ValueError naming the file and the fix when it is malformed."""
    path = Path(path)
    try:
        store = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); fix the file or rebuild it with `zh-assemble`.") from err
    if not isinstance(store, dict) or not isinstance(store.get("notebook"), str):
        raise ValueError(f"{path}: a store is {{'notebook': 'NN_name.ipynb', 'cells': [...]}}; see CONTRIBUTING.md.")
    cells = store.get("cells")
    if not isinstance(cells, list):
        raise ValueError(f"{path}: 'cells' must be a list of {{'id', 'en_sha256', 'zh'}} entries.")
    for i, entry in enumerate(cells):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("id", "en_sha256", "zh")):
            raise ValueError(f"{path}: cell entry {i} needs the string fields 'id', 'en_sha256' and 'zh'.")
    return store


def write_store(path: str | Path, notebook: str, entries: list[dict[str, str]]) -> Path:
    """Write a store in the fixed format (``ensure_ascii=False, indent=1``) so diffs stay readable."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"notebook": notebook, "cells": entries}, ensure_ascii=False, indent=1) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- what a translation must keep byte-identical

_FENCE = re.compile(r"```.*?```", re.S)


def code_spans(text: str) -> Counter[str]:
    """Inline code (which may wrap onto the next line) and fenced code blocks: kept byte-identical."""
    return Counter(re.findall(r"`[^`]+`", _FENCE.sub("", text))) + Counter(_FENCE.findall(text))


def maths(text: str) -> Counter[str]:
    """LaTeX math ($...$ and $$...$$, possibly wrapped) outside inline code: kept byte-identical."""
    return Counter(re.findall(r"\$\$.*?\$\$|\$[^$]+\$", re.sub(r"`[^`\n]+`", "", text), flags=re.S))


def link_targets(text: str) -> Counter[str]:
    """Markdown link targets and HTML src/href values: link TEXT is translated, targets are not."""
    return Counter(re.findall(r"\]\(([^)\s]+)", text)) + Counter(re.findall(r'(?:src|href)="([^"]+)"', text))


def heading_levels(text: str) -> list[int]:
    """The levels of the markdown headings in order (outside code blocks)."""
    return [len(m) for m in re.findall(r"^(#+) ", _FENCE.sub("", text), flags=re.M)]


def _differ(en: Counter[str], zh: Counter[str]) -> list[str]:
    """Up to 4 items that occur a different number of times in the two texts."""
    return list(((en - zh) + (zh - en)).keys())[:4]


def translation_problems(en: str, zh: str) -> list[str]:
    """What a finished translation of one cell gets wrong (empty when it is fine)."""
    if not zh.strip():
        return ["not translated"]
    problems = []
    for what, fn in (("inline code / code blocks", code_spans), ("LaTeX math", maths), ("link targets", link_targets)):
        if fn(en) != fn(zh):
            problems.append(f"{what} differ from the English: {_differ(fn(en), fn(zh))}")
    if heading_levels(en) != heading_levels(zh):
        problems.append(f"heading levels differ: {heading_levels(en)} in English, {heading_levels(zh)} in Chinese")
    if not re.search(r"[\u4e00-\u9fff]", zh) and len(re.findall(r"[A-Za-z]{4,}", en)) > 3:
        problems.append("no Chinese characters in the translation")
    return problems


def store_problems(en_nb: dict[str, Any], store: dict[str, Any], name: str) -> list[str]:
    """Every problem of a store against its English notebook, each naming the notebook and the cell."""
    cells = markdown_cells(en_nb)
    problems = []
    if store.get("notebook") != name:
        problems.append(f"{name}: the store's 'notebook' is {store.get('notebook')!r}, expected {name!r}")
    ids = [e["id"] for e in store["cells"]]
    if ids != [c.get("id") for c in cells]:
        extra = sorted(set(ids) - {c.get("id") for c in cells})
        problems.append(
            f"{name}: the store's cell ids/order differ from the English markdown cells"
            + (f" (not in the English notebook: {extra})" if extra else "")
            + "; rebuild with `medtutor course zh-assemble`"
        )
    by_id = {e["id"]: e for e in store["cells"]}
    for cell in cells:
        entry, en = by_id.get(cell.get("id")), source(cell)
        if entry is None:
            problems.append(f"{name}: cell {cell.get('id')}: translation missing")
        elif entry["en_sha256"] != english_hash(en):
            problems.append(f"{name}: cell {cell['id']}: the English cell changed after it was translated (stale)")
        else:
            problems += [f"{name}: cell {cell['id']}: {p}" for p in translation_problems(en, entry["zh"])]
    return problems


# ---------------------------------------------------------------- generating a zh notebook

_COURSE_FILE = re.compile(r"\d\d_[a-z0-9_]+\.ipynb(#.*)?")


def _relative_target(target: str) -> str:
    """A link target as seen from ``notebooks/zh/``: sibling course notebooks stay siblings, the rest go one up."""
    if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.I) or _COURSE_FILE.fullmatch(target):
        return target
    return "../" + target


def localize_markdown(text: str) -> str:
    """Rewrite a translated cell for ``notebooks/zh/``: relative link targets, and launch badges to the zh notebooks."""
    text = re.sub(r"(\]\()([^)\s]+)", lambda m: m.group(1) + _relative_target(m.group(2)), text)
    text = re.sub(r'((?:src|href)=")([^"]+)', lambda m: m.group(1) + _relative_target(m.group(2)), text)
    text = re.sub(r"(colab\.research\.google\.com/github/[^)\s\"]*?/notebooks/)(?!zh/)", r"\1zh/", text)
    return re.sub(r"(mybinder\.org/v2/gh/[^)\s\"]*?my-notebooks/)(?!zh/)", r"\1zh/", text)


def _split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def build_zh_notebook(en_nb: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    """The Chinese notebook: the English one with each markdown cell replaced by its current translation.

    Code cells, ids, tags and metadata are copied; outputs are cleared. A translated cell records the hash of the
    English cell it translates (metadata ``i18n.en_sha256``); a cell without a current translation keeps its
    English text and is marked ``"lang": "en"`` (drift_report names it). The notebook metadata gets
    ``language: zh-CN``. The course-table cell of notebook 00 gets the Chinese table (:func:`welcome_table_zh`).
    """
    nb = copy.deepcopy(en_nb)
    nb["metadata"]["language"] = LANG_TAG
    entries = {e["id"]: e for e in store["cells"]}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            continue
        if cell["cell_type"] != "markdown":
            continue
        en, entry = source(cell), entries.get(cell.get("id"))
        if entry and entry["zh"].strip() and entry["en_sha256"] == english_hash(en):
            text = localize_markdown(entry["zh"])
            if course._BEGIN in text and course._END in text:
                text = course._replace_between(text, welcome_table_zh(), "the zh course-table cell")
            cell["source"] = _split_lines(text)
            cell["metadata"][META_KEY] = {"lang": LANG_TAG, "en_sha256": entry["en_sha256"]}
        else:
            cell["metadata"][META_KEY] = {"lang": "en", "en_sha256": english_hash(en)}
    return nb


def _english_notebooks(en_dir: Path) -> list[Path]:
    return sorted(Path(en_dir).glob("[0-9][0-9]_*.ipynb"))


def translate_all(en_dir: str | Path = EN_DIR, zh_dir: str | Path = ZH_DIR) -> list[Path]:
    """Write ``zh_dir/NN_name.ipynb`` for every English notebook that has a store; return the files changed."""
    en_dir, zh_dir = Path(en_dir), Path(zh_dir)
    changed = []
    for en_path in _english_notebooks(en_dir):
        spath = store_path(en_path.name, zh_dir / "translations")
        if not spath.is_file():
            continue
        text = dumps_notebook(build_zh_notebook(read_notebook(en_path), load_store(spath)))
        target = zh_dir / en_path.name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


# ---------------------------------------------------------------- drift


def _without_i18n(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k != META_KEY}


def structure_problems(en_nb: dict[str, Any], zh_nb: dict[str, Any], name: str) -> list[str]:
    """Differences between the editions that translation may not cause: cells, ids, types, tags, metadata, code."""
    en_cells, zh_cells = en_nb["cells"], zh_nb["cells"]
    if len(en_cells) != len(zh_cells):
        return [f"zh/{name}: {len(zh_cells)} cells, the English notebook has {len(en_cells)} (structure differs)"]
    problems = []
    for i, (en, zh) in enumerate(zip(en_cells, zh_cells)):
        where = f"zh/{name}: cell {i} ({en.get('id')})"
        if (en["cell_type"], en.get("id")) != (zh["cell_type"], zh.get("id")):
            problems.append(f"{where}: is a {zh['cell_type']} cell with id {zh.get('id')} (structure differs)")
            continue
        if _without_i18n(en.get("metadata", {})) != _without_i18n(zh.get("metadata", {})):
            problems.append(f"{where}: tags/metadata differ from the English cell")
        if en["cell_type"] == "code" and source(en) != source(zh):
            problems.append(f"{where}: the code differs between the editions")
        if en["cell_type"] == "markdown":
            mark = zh.get("metadata", {}).get(META_KEY, {})
            if mark.get("en_sha256") != english_hash(source(en)):
                problems.append(f"{where}: translates an older version of the English cell (hash mismatch)")
            elif mark.get("lang") != LANG_TAG:
                problems.append(f"{where}: still in English (no current translation)")
    if _without_lang(en_nb["metadata"]) != _without_lang(zh_nb["metadata"]):
        problems.append(f"zh/{name}: notebook metadata differs from the English notebook's (besides language)")
    if zh_nb["metadata"].get("language") != LANG_TAG:
        problems.append(f"zh/{name}: notebook metadata lacks language: {LANG_TAG}")
    return problems


def _without_lang(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k != "language"}


def drift_report(en_dir: str | Path = EN_DIR, zh_dir: str | Path = ZH_DIR, require_all: bool = False) -> list[str]:
    """Every way the Chinese edition has drifted from the English one, each line naming notebook and cell.

    Checks each store against its English notebook, each committed zh notebook against the English one
    (structure, code, hashes) and against what :func:`translate_all` would write. A notebook without a store is a
    problem only with ``require_all``; a zh notebook or store without an English notebook always is.
    """
    en_dir, zh_dir = Path(en_dir), Path(zh_dir)
    problems = []
    english = {p.name: p for p in _english_notebooks(en_dir)}
    for name, en_path in english.items():
        spath, zh_path = store_path(name, zh_dir / "translations"), zh_dir / name
        if not spath.is_file():
            if require_all:
                problems.append(f"{name}: no translation store {spath.relative_to(zh_dir.parent)}")
            if zh_path.is_file():
                problems.append(f"zh/{name}: exists without a translation store (hand-made?)")
            continue
        try:
            en_nb, store = read_notebook(en_path), load_store(spath)
        except ValueError as err:
            problems.append(str(err))
            continue
        problems += store_problems(en_nb, store, name)
        if not zh_path.is_file():
            problems.append(f"zh/{name}: missing; run `medtutor course translate`")
            continue
        problems += structure_problems(en_nb, read_notebook(zh_path), name)
        if zh_path.read_text(encoding="utf-8") != dumps_notebook(build_zh_notebook(en_nb, store)):
            problems.append(f"zh/{name}: differs from what `medtutor course translate` generates; run it")
    for path in sorted(zh_dir.glob("[0-9][0-9]_*.ipynb")) + sorted((zh_dir / "translations").glob("*.json")):
        if path.stem + ".ipynb" not in english:
            problems.append(f"{path.relative_to(zh_dir.parent)}: no English notebook {path.stem}.ipynb")
    return problems


def notebook_status(en_path: str | Path, store_dir: str | Path = STORE_DIR) -> dict[str, Any]:
    """What a translator needs for one notebook: translated / stale / missing cell ids, and the store's problems."""
    en_path = Path(en_path)
    en_nb, spath = read_notebook(en_path), store_path(en_path.name, store_dir)
    cells = markdown_cells(en_nb)
    entries = {e["id"]: e for e in load_store(spath)["cells"]} if spath.is_file() else {}
    status: dict[str, Any] = {"notebook": en_path.name, "store": spath.is_file(), "cells": len(cells),
                              "translated": [], "stale": [], "missing": []}  # fmt: skip
    for cell in cells:
        entry = entries.get(cell.get("id"))
        if entry is None or not entry["zh"].strip():
            status["missing"].append(cell.get("id"))
        elif entry["en_sha256"] != english_hash(source(cell)):
            status["stale"].append(cell.get("id"))
        else:
            status["translated"].append(cell.get("id"))
    status["problems"] = store_problems(en_nb, load_store(spath), en_path.name) if spath.is_file() else []
    return status


# ---------------------------------------------------------------- translator workflow: extract -> assemble

_MARK = re.compile(r"^===== id=(\S+) sha256=(\S*)\n", re.M)


def extract_text(en_nb: dict[str, Any], only: set[str] | None = None) -> str:
    """The English markdown cells under ``===== id=... sha256=...`` marker lines (``only``: these ids)."""
    parts = [
        f"===== id={c.get('id')} sha256={english_hash(source(c))[:12]}\n{source(c)}\n"
        for c in markdown_cells(en_nb)
        if only is None or c.get("id") in only
    ]
    return "\n".join(parts)


def assemble_store(en_path: str | Path, text: str, spath: str | Path) -> tuple[Path, int]:
    """Merge translated cells (the extract format, each English text replaced by Chinese) into the store.

    Cells in ``text`` replace those in the store; others keep their translation; ``en_sha256`` is the current
    English hash, and a marker whose short hash no longer matches the English cell is refused (the English
    changed while you translated: extract again). Returns the store path and the number of cells taken.
    """
    en_path, spath = Path(en_path), Path(spath)
    cells = markdown_cells(read_notebook(en_path))
    parts = _MARK.split(text)
    new = {parts[i]: (parts[i + 1], parts[i + 2].rstrip("\n")) for i in range(1, len(parts), 3)}
    by_id = {c.get("id"): c for c in cells}
    unknown = sorted(set(new) - set(by_id))
    if unknown:
        raise ValueError(f"ids not in {en_path.name}: {unknown}; extract again with `medtutor course zh-extract`.")
    moved = sorted(i for i, (short, _) in new.items() if short and not english_hash(source(by_id[i])).startswith(short))
    if moved:
        raise ValueError(f"{en_path.name}: the English of cells {moved} changed since the extract; extract them again.")
    old = {e["id"]: e for e in load_store(spath)["cells"]} if spath.is_file() else {}
    entries = []
    for c in cells:
        h = english_hash(source(c))
        if c.get("id") in new:
            entries.append({"id": c["id"], "en_sha256": h, "zh": new[c["id"]][1]})
        else:
            prev = old.get(c.get("id"), {"en_sha256": h, "zh": ""})
            entries.append({"id": c.get("id"), "en_sha256": prev["en_sha256"], "zh": prev["zh"]})
    return write_store(spath, en_path.name, entries), len(new)


def resolve_notebook(number_or_name: str, en_dir: str | Path = EN_DIR) -> Path:
    """``07``, ``07_training_a_cnn`` or ``07_training_a_cnn.ipynb`` -> the English notebook's path."""
    key = Path(number_or_name).name.removesuffix(".ipynb")
    found = [p for p in _english_notebooks(Path(en_dir)) if p.stem == key or p.name[:2] == key]
    if len(found) != 1:
        raise ValueError(f"no single course notebook matches {number_or_name!r}: give its number, e.g. 07.")
    return found[0]


# ---------------------------------------------------------------- README.zh.md and the zh course table


@functools.lru_cache(maxsize=4)
def load_catalog(path: str | Path = CATALOG) -> dict[str, Any]:
    """The Chinese catalog (exercise titles, hints, feedback templates, frames, course-map texts)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def course_text_zh(entry: dict[str, Any], field: str) -> str:
    """The Chinese ``title``/``learn``/``data`` of a course-map entry; English when the catalog's copy is stale."""
    zh = load_catalog()["course"].get(entry["file"], {})
    return zh[field] if zh.get("en_" + field) == entry[field] else entry[field]


def welcome_table_zh(entries: list[dict[str, Any]] | None = None) -> str:
    """Notebook 00's course map in Chinese (zh/00_welcome.ipynb)."""
    entries = course.course_map() if entries is None else entries
    lines = ["| 编号 | notebook | 你将学到 | 数据 |", "|---|---|---|---|"]
    for e in entries:
        title, learn, data = (course_text_zh(e, field) for field in ("title", "learn", "data"))
        lines.append(f"| {e['file'][:2]} | {title} | {learn} | {data} |")
    return "\n".join(lines)


def readme_zh_table(entries: list[dict[str, Any]] | None = None, zh_dir: Path = ZH_DIR) -> str:
    """README.zh.md's course table: Chinese titles linked to notebooks/zh/, launch badges opening the zh notebooks.

    A notebook whose Chinese edition does not exist yet links to the English one, marked as such.
    """
    entries = course.course_map() if entries is None else entries
    times = course.runtimes()
    lines = ["| 编号 | notebook | 你将学到 | 运行 | 单核运行时间（秒） |", "|---|---|---|---|---|"]
    for e in entries:
        f = e["file"]
        zf = "zh/" + f if (zh_dir / f).is_file() else f  # English until its translation store is merged
        title = course_text_zh(e, "title") + ("" if zf.startswith("zh/") else "（英文版，翻译中）")
        badges = (
            f"[![在 Colab 中打开]({course.COLAB_BADGE})]({course.colab_url(zf)}) "
            f"[![Binder]({course.BINDER_BADGE})]({course.binder_url(zf)})"
        )
        learn = course_text_zh(e, "learn")
        lines.append(f"| {f[:2]} | [{title}](notebooks/{zf}) | {learn} | {badges} | {times.get(f, '-')} |")
    return "\n".join(lines)


def sync_readme_zh(readme: str | Path = README_ZH, write: bool = True) -> bool:
    """Put the generated table between README.zh.md's course-table markers; True when it was (or would be) changed."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    new = course._replace_between(text, readme_zh_table(), str(path))
    if new != text and write:
        path.write_text(new, encoding="utf-8")
    return new != text


# ---------------------------------------------------------------- feedback in Chinese


def language() -> str:
    """The language of exercise feedback, ``"zh"`` or ``"en"`` (the default).

    ``MEDTUTOR_LANG`` (``zh``, ``zh_CN``, ``zh-CN``, ``en``) wins; else a notebook in a ``zh`` folder: the path in
    ``JPY_SESSION_NAME`` (JupyterLab sets it per kernel), else the kernel's working directory (Jupyter and nbval
    start the kernel in the notebook's folder). A bad ``MEDTUTOR_LANG`` is an error naming the fix.
    """
    value = os.environ.get("MEDTUTOR_LANG", "").strip().lower().replace("-", "_")
    if value:
        if value == "zh" or value.startswith(("zh_", "zh.")):
            return "zh"
        if value == "en" or value.startswith(("en_", "en.")):
            return "en"
        from medtutor._validate import EnvVarError

        raise EnvVarError(f"MEDTUTOR_LANG={os.environ['MEDTUTOR_LANG']!r}: set it to zh or en (or unset it).")
    session = os.environ.get("JPY_SESSION_NAME", "").strip()
    if session:
        return "zh" if Path(session).parent.name == "zh" else "en"
    try:
        return "zh" if Path.cwd().name == "zh" else "en"
    except OSError:  # the working directory was deleted
        return "en"


_PLACEHOLDER = re.compile(r"\{(\d+)\}")


@functools.lru_cache(maxsize=4)
def _templates(path: str) -> list[tuple[re.Pattern[str], list[int], str]]:
    """The catalog's message templates as anchored regexes, the most specific (longest literal text) first."""
    compiled = []
    for en, zh in load_catalog(path)["messages"].items():
        pieces = _PLACEHOLDER.split(en)
        literal = "".join(pieces[0::2])
        pattern = "".join(re.escape(p) if i % 2 == 0 else "(.*?)" for i, p in enumerate(pieces))
        compiled.append((len(literal), re.compile(rf"\A{pattern}\Z", re.S), [int(n) for n in pieces[1::2]], zh))
    compiled.sort(key=lambda t: -t[0])
    return [(rx, order, zh) for _, rx, order, zh in compiled]


def translate_message(message: str, path: str | Path = CATALOG) -> str | None:
    """The Chinese version of one feedback message, or None when the catalog has no template for it.

    The catalog maps English templates to Chinese ones, ``{0}``, ``{1}`` standing for the values an f-string
    inserted (numbers, quoted names). Inserted values are kept, or translated when they are catalog phrases
    themselves (a note passed into a shared message). A message joined from parts (``"; ".join(parts) + "."``)
    is translated part by part.
    """
    for rx, order, zh in _templates(str(path)):
        m = rx.match(message)
        if m:
            values = {n: _value(v, path) for n, v in zip(order, m.groups())}
            return _PLACEHOLDER.sub(lambda p, values=values: values[int(p.group(1))], zh)
    if message.endswith(".") and ("; " in message or "." not in message[:-1]):
        parts = [translate_message(p, path) for p in message[:-1].split("; ")]
        if all(parts):
            return "；".join(p.rstrip("。") for p in parts) + "。"  # type: ignore[union-attr]
    return None


def _value(text: str, path: str | Path) -> str:
    """An inserted value: translated when it is a catalog phrase (a note, a kind of layer), else kept as it is."""
    if not re.search(r"[A-Za-z]", text):
        return text
    return translate_message(text, path) or text


def exercise_text(ex_id: str, field: str, english: str) -> str:
    """An exercise's Chinese title or hint; the English when the catalog's copy is missing or stale."""
    entry = load_catalog()["exercises"].get(ex_id, {})
    return entry[field] if entry.get("en_" + field) == english and entry.get(field) else english


def zh_feedback(state: str, ex_id: str, title: str, hint: str, message: str | None) -> str:
    """The Chinese feedback line of :func:`medtutor.exercises.check` (same ✅/⏳/❌ frame, same information)."""
    frames = load_catalog()["frames"]
    zh_title, zh_hint = exercise_text(ex_id, "title", title), exercise_text(ex_id, "hint", hint)
    text = (translate_message(message) or message) if message else ""
    return frames[state].format(id=ex_id, title=zh_title, hint=zh_hint, message=text)


# ---------------------------------------------------------------- the glossary, both ways


def glossary_index_zh(rows: list[tuple[str, str, str]]) -> str:
    """The glossary's Chinese -> English index (markdown) from its (English, 中文, first met) rows.

    Each Chinese rendering separated by `` / `` or ``, `` gets its own line. Lines are in Unicode order, which for
    Chinese characters is the dictionary's radical-and-stroke order (no pinyin table is needed).
    """
    entries = set()
    for en, zh, first in rows:
        for term in re.split(r" / |, ", zh):
            if term.strip():
                entries.add((term.strip(), en.strip(), first.strip()))
    lines = ["| 中文 | English | first met |", "|---|---|---|"]
    lines += [f"| {zh} | {en} | {first} |" for zh, en, first in sorted(entries)]
    return "\n".join(lines)
