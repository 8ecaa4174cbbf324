"""The Chinese edition (issue 18): generated zh notebooks that cannot drift, and exercise feedback in Chinese.

Each drift condition is shown to fail on a doctored copy (so these tests can fail), and the real repository passes
for every notebook that has a translation store.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from medtutor import course, exercises, i18n
from medtutor._validate import EnvVarError
from medtutor.cli import main

# The lead flips this to True once every translator's store is merged: then a course notebook without a complete
# translation store fails the suite. False only while stores are still being translated (see the final report).
REQUIRE_ALL = True

ROOT = Path(__file__).resolve().parents[1]
WELCOME = "00_welcome.ipynb"


# ---------------------------------------------------------------- the real repository


def test_every_store_is_current_and_every_zh_notebook_generated():
    """The real repo: stores match their English notebooks, zh notebooks are exactly what the generator writes."""
    problems = i18n.drift_report()
    assert not problems, "the Chinese edition drifted:\n" + "\n".join(problems)


def test_every_course_notebook_has_a_complete_store():
    missing = [e["file"] for e in course.course_map() if not i18n.store_path(e["file"]).is_file()]
    if missing and not REQUIRE_ALL:
        pytest.xfail(f"{len(missing)} course notebook(s) have no translation store yet: {missing}")
    assert not missing, f"course notebooks without a translation store: {missing}"
    assert not i18n.drift_report(require_all=True)


def test_readme_zh_table_follows_the_course_map():
    assert not i18n.sync_readme_zh(write=False), "README.zh.md's course table is stale: run `medtutor course sync`"
    text = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    assert "make lab LANG=zh" in text and "make test" in text  # the two commands
    for e in course.course_map():
        if (i18n.ZH_DIR / e["file"]).is_file():
            assert f"blob/main/notebooks/zh/{e['file']}" in text and f"my-notebooks/zh/{e['file']}" in text


# ---------------------------------------------------------------- doctored copies: each drift condition fails


@pytest.fixture
def edition(tmp_path):
    """A copy of notebook 00, its store and its generated zh notebook; drift-free to start with."""
    en_dir, zh_dir = tmp_path / "notebooks", tmp_path / "notebooks" / "zh"
    (zh_dir / "translations").mkdir(parents=True)
    shutil.copy(i18n.EN_DIR / WELCOME, en_dir / WELCOME)
    shutil.copy(i18n.store_path(WELCOME), zh_dir / "translations" / "00_welcome.json")
    assert i18n.translate_all(en_dir, zh_dir) == [zh_dir / WELCOME]
    assert i18n.drift_report(en_dir, zh_dir) == []
    return en_dir, zh_dir


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _first(nb: dict, kind: str) -> dict:
    return next(c for c in nb["cells"] if c["cell_type"] == kind and "colab" not in c["metadata"].get("tags", []))


def _report(en_dir: Path, zh_dir: Path) -> str:
    return "\n".join(i18n.drift_report(en_dir, zh_dir))


def test_english_cell_changed_but_not_its_translation(edition):
    en_dir, zh_dir = edition
    _edit_json(en_dir / WELCOME, lambda nb: _first(nb, "markdown")["source"].append("\nOne more English sentence."))
    report = _report(en_dir, zh_dir)
    assert "00_welcome.ipynb: cell 5a84416f: the English cell changed after it was translated" in report
    assert "zh/00_welcome.ipynb: cell 0 (5a84416f): translates an older version" in report
    i18n.translate_all(en_dir, zh_dir)  # regenerating keeps the English text there and still reports it
    assert "cell 5a84416f" in _report(en_dir, zh_dir)


def test_course_table_is_generated_in_both_editions_so_only_its_prose_needs_translating(edition):
    """Notebook 00's course map comes from medtutor/course.json in both languages: a new row is not drift."""
    en_dir, zh_dir = edition

    def table_cell(nb: dict) -> dict:
        return next(c for c in nb["cells"] if c.get("id") == "7abe5f55")

    _edit_json(en_dir / WELCOME, lambda nb: table_cell(nb).update(source=i18n.source(table_cell(nb)).replace(
        "| 16 |", "| 17 | A new notebook | x | y |\n| 16 |")))  # fmt: skip
    assert _report(en_dir, zh_dir) == ""
    _edit_json(en_dir / WELCOME, lambda nb: table_cell(nb).update(source=i18n.source(table_cell(nb)) + "\nMore."))
    assert "cell 7abe5f55: the English cell changed after it was translated" in _report(en_dir, zh_dir)


def test_missing_translation(edition):
    en_dir, zh_dir = edition
    _edit_json(zh_dir / "translations" / "00_welcome.json", lambda s: s["cells"].pop(3))
    assert "00_welcome.ipynb: cell 665eed36: translation missing" in _report(en_dir, zh_dir)
    _edit_json(zh_dir / "translations" / "00_welcome.json", lambda s: s["cells"][0].update(zh=""))
    assert "cell 5a84416f: not translated" in _report(en_dir, zh_dir)


def test_code_cell_differs_between_editions(edition):
    en_dir, zh_dir = edition
    _edit_json(zh_dir / WELCOME, lambda nb: _first(nb, "code")["source"].append("\nSEED = 7"))
    report = _report(en_dir, zh_dir)
    assert "zh/00_welcome.ipynb: cell 6 (42b3f7e3): the code differs between the editions" in report
    assert "differs from what `medtutor course translate` generates" in report


@pytest.mark.parametrize(
    "doctor, expected",
    [
        (lambda nb: nb["cells"].pop(), "cells, the English notebook has"),
        (lambda nb: nb["cells"].insert(3, nb["cells"].pop(4)), "structure differs"),
        (lambda nb: nb["cells"][4].update(id="renamed"), "with id renamed (structure differs)"),
        (lambda nb: nb["cells"][4].update(cell_type="raw"), "is a raw cell"),
        (lambda nb: nb["cells"][2]["metadata"].update(tags=["model-answer"]), "tags/metadata differ"),
        (lambda nb: nb["metadata"].pop("language"), "lacks language: zh-CN"),
    ],
    ids=["cell-count", "order", "id", "type", "tags", "language"],
)
def test_structure_differs(edition, doctor, expected):
    en_dir, zh_dir = edition
    _edit_json(zh_dir / WELCOME, doctor)
    assert expected in _report(en_dir, zh_dir)


def test_hand_edited_zh_notebook_is_not_what_the_generator_writes(edition):
    en_dir, zh_dir = edition
    _edit_json(zh_dir / WELCOME, lambda nb: _first(nb, "markdown")["source"].append("\n手工添加的一句话。"))
    assert "zh/00_welcome.ipynb: differs from what `medtutor course translate` generates" in _report(en_dir, zh_dir)


def test_orphans_are_reported(edition):
    en_dir, zh_dir = edition
    shutil.copy(zh_dir / WELCOME, zh_dir / "99_gone.ipynb")
    (zh_dir / "translations" / "00_welcome.json").rename(zh_dir / "translations" / "98_old.json")
    report = _report(en_dir, zh_dir)
    assert "zh/99_gone.ipynb: no English notebook" in report and "98_old.json: no English notebook" in report
    assert "zh/00_welcome.ipynb: exists without a translation store" in report
    assert "no translation store" in "\n".join(i18n.drift_report(en_dir, zh_dir, require_all=True))


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda t: t.replace("`medtutor/course.json`", "`medtutor/course.jsn`"), "inline code / code blocks differ"),
        (lambda t: t.replace("(../instructors/glossary.md)", "(../instructors/glossar.md)"), "link targets differ"),
        (lambda t: t.replace("## 5. 课程地图", "### 5. 课程地图"), "heading levels differ"),
        (lambda t: t + "\n$x^2$", "LaTeX math differ"),
        (lambda t: re.sub(r"[\u4e00-\u9fff]", "", t), "no Chinese characters"),
    ],
    ids=["inline-code", "link", "heading", "math", "untranslated"],
)
def test_translation_checks(edition, change, expected):
    en_dir, zh_dir = edition
    _edit_json(
        zh_dir / "translations" / "00_welcome.json",
        lambda s: next(e for e in s["cells"] if e["id"] == "7abe5f55").update(
            zh=change(next(e for e in s["cells"] if e["id"] == "7abe5f55")["zh"])
        ),
    )
    assert f"00_welcome.ipynb: cell 7abe5f55: {expected}" in _report(en_dir, zh_dir)


def test_malformed_store_is_a_clear_error(tmp_path):
    bad = tmp_path / "00_welcome.json"
    bad.write_text('{"notebook": "00_welcome.ipynb", "cells": [', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        i18n.load_store(bad)
    bad.write_text('{"notebook": "00_welcome.ipynb", "cells": [{"id": "x"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match="'id', 'en_sha256' and 'zh'"):
        i18n.load_store(bad)


# ---------------------------------------------------------------- the generator


def test_generated_notebook_copies_everything_but_the_prose():
    en = i18n.read_notebook(i18n.EN_DIR / WELCOME)
    zh = i18n.read_notebook(i18n.ZH_DIR / WELCOME)
    assert zh["metadata"]["language"] == "zh-CN"
    assert [(c["cell_type"], c["id"]) for c in en["cells"]] == [(c["cell_type"], c["id"]) for c in zh["cells"]]
    for a, b in zip(en["cells"], zh["cells"]):
        if a["cell_type"] == "code":
            assert a == b
        else:
            assert b["metadata"]["i18n"] == {"lang": "zh-CN", "en_sha256": i18n.english_hash(i18n.source(a))}
            assert {k: v for k, v in b["metadata"].items() if k != "i18n"} == a["metadata"]
            assert re.search(r"[\u4e00-\u9fff]", i18n.source(b))
    table = next(i18n.source(c) for c in zh["cells"] if c["id"] == "7abe5f55")
    assert i18n.welcome_table_zh() in table  # notebook 00's course map, in Chinese, from the course map


@pytest.mark.parametrize("path", sorted(i18n.ZH_DIR.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_relative_links_of_the_zh_notebooks_resolve(path):
    """Every relative link of a generated zh notebook reaches a file from notebooks/zh/ (the glossary included)."""
    text = "\n".join(i18n.source(c) for c in i18n.read_notebook(path)["cells"] if c["cell_type"] == "markdown")
    targets = [t for t in i18n.link_targets(text) if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", t, re.I)]
    assert "../../instructors/glossary.md" in targets, f"zh/{path.name}: the glossary link is missing"
    for target in targets:
        assert (path.parent / target.split("#")[0]).resolve().exists(), f"zh/{path.name}: {target} leads nowhere"


def test_links_and_badges_point_into_the_zh_folder():
    text = (
        "[glossary](../instructors/glossary.md) [next](01_ai_and_medical_imaging.ipynb#setup) "
        '[card](datasets/cards/x.md) [web](https://d2l.ai) [here](#top) <img src="../build/f.png"> '
        f"[![c]({course.COLAB_BADGE})]({course.colab_url(WELCOME)}) "
        f"[![b]({course.BINDER_BADGE})]({course.binder_url(WELCOME)})"
    )
    out = i18n.localize_markdown(text)
    assert "(../../instructors/glossary.md)" in out and "(01_ai_and_medical_imaging.ipynb#setup)" in out
    assert "(../datasets/cards/x.md)" in out and "(https://d2l.ai)" in out and "(#top)" in out
    assert 'src="../../build/f.png"' in out
    assert course.colab_url("zh/" + WELCOME) in out and course.binder_url("zh/" + WELCOME) in out
    assert "zh/zh/" not in i18n.localize_markdown(out.replace("../../", "../"))  # badges are rewritten once


def test_extract_assemble_round_trip(tmp_path):
    en_path = i18n.EN_DIR / WELCOME
    store = tmp_path / "00_welcome.json"
    text = i18n.extract_text(i18n.read_notebook(en_path), only={"665eed36"})
    assert text.startswith("===== id=665eed36 sha256=")
    spath, n = i18n.assemble_store(
        en_path, text.replace("## Estimated time\n\n15 minutes.", "## 预计用时\n\n15 分钟。"), store
    )
    entries = i18n.load_store(spath)["cells"]
    assert n == 1 and [e["zh"] for e in entries if e["zh"]] == ["## 预计用时\n\n15 分钟。"]
    assert len(entries) == len(i18n.markdown_cells(i18n.read_notebook(en_path)))
    with pytest.raises(ValueError, match="not in 00_welcome.ipynb"):
        i18n.assemble_store(en_path, "===== id=nope sha256=abc\n文字\n", store)
    with pytest.raises(ValueError, match="changed since the extract"):
        i18n.assemble_store(en_path, "===== id=665eed36 sha256=000000000000\n文字\n", store)


def test_cli_translate_check_and_status(capsys):
    assert main(["course", "translate", "--check"]) == 0
    assert main(["course", "zh-status", "00"]) == 0
    assert "00_welcome.ipynb: 16/16 translated, 0 stale, 0 missing" in capsys.readouterr().out
    assert main(["course", "zh-extract", "99"]) == 2
    assert "no single course notebook matches '99'" in capsys.readouterr().err


# ---------------------------------------------------------------- feedback in Chinese


@pytest.fixture
def zh(monkeypatch):
    monkeypatch.setenv("MEDTUTOR_LANG", "zh")
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)


def test_language_comes_from_the_setting_or_the_notebook_folder(monkeypatch, tmp_path):
    for var in ("MEDTUTOR_LANG", "JPY_SESSION_NAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    assert i18n.language() == "en"  # English stays the default
    (tmp_path / "zh").mkdir()
    monkeypatch.chdir(tmp_path / "zh")  # the kernel's cwd: Jupyter and nbval start it in the notebook's folder
    assert i18n.language() == "zh"
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/07_training_a_cnn.ipynb")  # the session's notebook wins
    assert i18n.language() == "en"
    monkeypatch.setenv("JPY_SESSION_NAME", "my-notebooks/zh/07_training_a_cnn.ipynb")
    monkeypatch.chdir(tmp_path)
    assert i18n.language() == "zh"
    for value, lang in (("en", "en"), ("zh_CN.UTF-8", "zh"), ("zh-CN", "zh"), ("EN_us", "en")):
        monkeypatch.setenv("MEDTUTOR_LANG", value)
        assert i18n.language() == lang
    monkeypatch.setenv("MEDTUTOR_LANG", "fr")
    with pytest.raises(EnvVarError, match="MEDTUTOR_LANG='fr': set it to zh or en"):
        i18n.language()


def test_english_stays_the_default(monkeypatch, capsys, tmp_path):
    for var in ("MEDTUTOR_LANG", "JPY_SESSION_NAME", "MEDTUTOR_STRICT_EXERCISES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    exercises.check("00.1", -1)
    out = capsys.readouterr().out
    assert out.startswith("❌ Exercise 00.1 (Your first check): not yet. -1 is not") and "Hint: Count" in out


def test_every_title_and_hint_is_translated():
    catalog = i18n.load_catalog()["exercises"]
    for ex_id, ex in exercises.EXERCISES.items():
        entry = catalog.get(ex_id)
        assert entry, f"exercise {ex_id} has no Chinese title/hint in medtutor/locale/zh.json"
        assert entry["en_title"] == ex.title and entry["en_hint"] == ex.hint, (
            f"{ex_id}: the English changed: retranslate"
        )
        assert re.search(r"[\u4e00-\u9fff]", entry["title"] + entry["hint"])
        assert i18n.code_spans(ex.hint) == i18n.code_spans(entry["hint"]), f"{ex_id}: inline code must stay as is"
    assert set(catalog) == set(exercises.EXERCISES), "the catalog translates exercises that no longer exist"


@pytest.mark.parametrize("ex_id", sorted(exercises.EXERCISES))
def test_every_known_wrong_answer_gets_chinese_feedback(ex_id, zh, capsys):
    ex = exercises.EXERCISES[ex_id]
    for wrong in ex.wrong:
        state, message = exercises.evaluate(ex_id, wrong)
        assert state == "wrong"
        assert i18n.translate_message(message), f"{ex_id}: no Chinese template for {message!r}"
        assert not exercises.check(ex_id, wrong)
        out = capsys.readouterr().out
        assert out.startswith(f"❌ 练习 {ex_id}（") and "还不对。" in out and "提示：" in out
        assert "not yet" not in out and "Hint:" not in out


def _message_templates(path: Path) -> set[str]:
    """The feedback strings a checker module can return: string literals and f-strings ({0}, {1} for the values)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # docstrings
        for sub in [s for d in getattr(node, "decorator_list", []) for s in ast.walk(d)]:
            skip.add(id(sub))  # titles and hints: translated per exercise
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "bug_hunt_exercise":
            # a find-the-bug exercise declared in one call: its title and hint are translated per exercise, and its
            # note fragments only ever reach a student inside whole messages, which the known-wrong answers cover
            skip |= {id(s) for s in ast.walk(node) if s is not node}
        if isinstance(node, (ast.JoinedStr, ast.Raise)):
            skip |= {id(s) for s in ast.walk(node) if s is not node}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            for n in range(text.count("{}")):
                text = text.replace("{}", f"{{{n}}}", 1)
        elif isinstance(node, ast.JoinedStr):
            values = iter(range(len(node.values)))
            text = "".join(v.value if isinstance(v, ast.Constant) else f"{{{next(values)}}}" for v in node.values)
        else:
            continue
        if len(re.findall(r"[a-z]+", text)) >= 3 and " " in text and not text.startswith(("✅", "⏳", "❌")):
            found.add(text)
    return found


def test_every_feedback_message_in_the_source_has_a_template():
    """Static: a new or reworded message in a checker fails here until medtutor/locale/zh.json translates it."""
    messages = i18n.load_catalog()["messages"]
    folder = Path(exercises.__file__).parent
    # _bughunt.py is left out: its messages are composed from each find-the-bug exercise's noun and notes, so only
    # the whole messages can be translated; test_every_known_wrong_answer_gets_chinese_feedback covers them.
    for path in sorted(folder.glob("nb*.py")) + [folder / "_api.py"]:
        missing = sorted(_message_templates(path) - set(messages))
        assert not missing, f"{path.name}: feedback without a Chinese template in medtutor/locale/zh.json: {missing}"
    for en, zh_text in messages.items():
        assert set(re.findall(r"\{\d+\}", en)) == set(re.findall(r"\{\d+\}", zh_text)), f"placeholders differ: {en!r}"


def test_frames_are_translated(zh, capsys):
    assert exercises.check("00.1", len(course.course_map()))
    assert capsys.readouterr().out == "✅ 练习 00.1（你的第一次检查）：正确。\n"
    exercises.EXERCISES["00.9"] = exercises.Exercise("00.9", "t", "h", lambda f: f())
    try:

        def todo():
            raise NotImplementedError()

        assert not exercises.check("00.9", todo)
        assert capsys.readouterr().out.startswith("⏳ 练习 00.9（t）：尚未作答")
        assert not exercises.check("00.9", lambda: 1 / 0)  # an unknown exercise keeps its English title and hint
        out = capsys.readouterr().out
        assert out.startswith("❌ 练习 00.9（t）：还不对。你的代码抛出了 ZeroDivisionError：") and "提示：h" in out
    finally:
        del exercises.EXERCISES["00.9"]


def test_unknown_message_falls_back_to_english():
    assert i18n.translate_message("a message nobody translated.") is None
    assert i18n.translate_message("3 bug(s) still missing; look again at the anatomy, not the code.") == (
        "还漏掉了 3 个错误；请再看一看解剖结构，而不是代码。"
    )


def test_course_map_texts_are_translated():
    catalog = i18n.load_catalog()["course"]
    for e in course.course_map():
        entry = catalog.get(e["file"], {})
        for field in ("title", "learn", "data"):
            assert entry.get("en_" + field) == e[field], f"{e['file']}: {field} changed in course.json: retranslate"


# ---------------------------------------------------------------- launch and the glossary


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_language_comes_from_the_command_line_only():
    def dry(*args: str, env_lang: str) -> str:
        env = {"PATH": "/usr/bin:/bin", "LANG": env_lang}
        return subprocess.run(["make", "-n", *args], cwd=ROOT, env=env, capture_output=True, text=True).stdout

    assert "my-notebooks/zh/00_welcome.ipynb" in dry("lab", "LANG=zh", env_lang="C.UTF-8")
    assert "my-notebooks/zh/00_welcome.ipynb" in dry("lab-zh", env_lang="C.UTF-8")
    assert "my-notebooks/zh" not in dry("lab", env_lang="zh_CN.UTF-8")  # a Chinese locale is not a course choice
    assert "my-notebooks/zh" not in dry("lab", env_lang="C.UTF-8")


def test_glossary_links_both_ways():
    text = (ROOT / "instructors" / "glossary.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \| [^|]+ \| (\d\d) \|$", text, re.M)
    assert len(rows) > 50
    index = text.split("## 中文 → English", 1)
    assert len(index) == 2, "the glossary needs its Chinese -> English index (## 中文 → English)"
    assert i18n.glossary_index_zh(rows) in index[1], (
        "the Chinese -> English index is stale: regenerate it with medtutor.i18n.glossary_index_zh"
    )
    texts = {p.name[:2]: "\n".join(i18n.source(c) for c in i18n.read_notebook(p)["cells"]).lower()
             for p in course.course_notebooks()}  # fmt: skip
    for en, _, first in rows:
        assert first in texts, f"glossary: {en!r} first met in {first}, not a course notebook"
        stems = [k.strip().lower().split()[0][:6] for k in re.split(r"[/,()]", en) if len(k.strip()) > 1]
        assert any(stem in texts[first] for stem in stems), f"glossary: notebook {first} never mentions {en!r}"


@pytest.mark.slow
def test_zh_welcome_runs_with_chinese_feedback(tmp_path, monkeypatch):
    """What nbval runs in CI, with the output checked: zh/00 run in its folder prints Chinese feedback."""
    import nbformat
    from nbclient import NotebookClient

    for var in ("MEDTUTOR_LANG", "JPY_SESSION_NAME", "MEDTUTOR_STRICT_EXERCISES"):
        monkeypatch.delenv(var, raising=False)
    nb = nbformat.read(i18n.ZH_DIR / WELCOME, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(i18n.ZH_DIR)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "❌ 练习 00.1（你的第一次检查）：还不对。" in printed and "✅ 练习 00.2" in printed
    assert "Exercise 00." not in printed
