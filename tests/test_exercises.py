"""Exercises: wrong answers get feedback (never the answer), the student build keeps no solution."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from medtutor import course, exercises
from medtutor.cli import main

N_NOTEBOOKS = len(course.course_map())  # the answer to exercise 00.1

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"]]


@pytest.mark.parametrize("ex_id", sorted(exercises.EXERCISES))
def test_known_wrong_answers_are_refused_with_feedback(ex_id, capsys, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)
    ex = exercises.EXERCISES[ex_id]
    assert ex.wrong, f"exercise {ex_id} registers no known-wrong answer"
    for wrong in ex.wrong:
        assert not exercises.check(ex_id, wrong)
        out = capsys.readouterr().out
        assert "not yet" in out and "Hint:" in out


def test_not_implemented_is_reported_as_todo(capsys, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)

    def todo(*args):
        raise NotImplementedError()

    assert exercises.check("00.1", N_NOTEBOOKS)
    exercises.EXERCISES["00.9"] = exercises.Exercise("00.9", "t", "h", lambda f: f())
    try:
        assert not exercises.check("00.9", todo)
        assert "not attempted" in capsys.readouterr().out
    finally:
        del exercises.EXERCISES["00.9"]


def test_unknown_id_and_bad_registration():
    with pytest.raises(KeyError, match="00.1"):
        exercises.check("99.9", 1)
    with pytest.raises(ValueError):
        exercises.exercise("7.1", "x", "y")
    with pytest.raises(ValueError, match="twice"):
        exercises.exercise("00.1", "x", "y")(lambda a: None)


def test_strip_solutions_keeps_indentation_and_rest():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n\nprint(f)"
    out = exercises.strip_solutions(src)
    assert out == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint(f)"
    with pytest.raises(ValueError, match="unbalanced"):
        exercises.strip_solutions("### BEGIN SOLUTION\nx = 1\n")


def test_every_notebook_exercise_is_registered_and_checked():
    ids_in_notebooks = set()
    assert not any("NBVAL_CHECK_OUTPUT" in "\n".join(_sources(p)) for p in NOTEBOOKS), "inert nbval markers are back"
    for path in NOTEBOOKS:
        text = "\n".join(_sources(path))
        found = set(re.findall(r"exercises\.check\(\s*[\"'](\d\d\.\d+)[\"']", text))
        number = path.name[:2]
        assert all(i.startswith(number + ".") for i in found), f"{path.name} checks another notebook's exercise"
        if number != "00":  # issue 13: every lesson ends with at least 3 auto-checked exercises
            assert len(found) >= 3, f"{path.name} has fewer than 3 auto-checked exercises"
        assert text.count("### BEGIN SOLUTION") >= len(found) - (number == "00") * 2
        ids_in_notebooks |= found
    missing = ids_in_notebooks - set(exercises.EXERCISES)
    assert not missing, f"notebooks check unregistered exercises {missing}"


def test_student_build_keeps_no_solution(tmp_path, capsys):
    if not NOTEBOOKS:
        pytest.skip("no notebooks yet")
    assert main(["student", str(NOTEBOOKS[0].parent), "-o", str(tmp_path / "student")]) == 0
    built = sorted((tmp_path / "student").glob("*.ipynb"))
    assert [p.name for p in built] == [p.name for p in NOTEBOOKS]
    for src, out in zip(NOTEBOOKS, built):
        nb_src = json.loads(src.read_text(encoding="utf-8"))
        before = ["".join(c["source"]) for c in nb_src["cells"] if "model-answer" not in c["metadata"].get("tags", [])]
        after = _sources(out)
        assert len(before) == len(after)
        joined = "\n".join(after)
        assert "### BEGIN SOLUTION" not in joined and "### END SOLUTION" not in joined
        assert joined.count("raise NotImplementedError()") >= "\n".join(before).count("### BEGIN SOLUTION")
        for b, a in zip(before, after):  # everything outside solution blocks is unchanged
            if "### BEGIN SOLUTION" not in b:
                assert a == b
    assert main(["student", str(NOTEBOOKS[0].parent), "-o", str(NOTEBOOKS[0].parent)]) == 2


def test_strict_mode_raises_on_wrong_answers(monkeypatch, capsys):
    monkeypatch.setenv("MEDTUTOR_STRICT_EXERCISES", "1")
    with pytest.raises(AssertionError, match="00.1"):
        exercises.check("00.1", N_NOTEBOOKS - 1)
    assert not exercises.check("00.1", N_NOTEBOOKS - 1, strict=False)
    assert exercises.check("00.1", N_NOTEBOOKS)


def test_check_cells_show_one_line_and_no_echo(capsys):
    result = exercises.check("00.1", N_NOTEBOOKS)
    assert capsys.readouterr().out.count("\n") == 1  # one feedback line
    assert result and result == True  # noqa: E712  (still usable as a bool)
    assert hasattr(result, "_ipython_display_") and result._ipython_display_() is None  # Jupyter echoes nothing


_SOLUTION_BODY = re.compile(r"### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION", re.M | re.S)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_answer_on_screen_in_the_student_build(path):
    """No solution body, and no model answer, appears anywhere in the student notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    student = "\n".join("".join(c["source"]) for c in exercises.make_student_notebook(nb)["cells"])
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if "model-answer" in cell["metadata"].get("tags", []):
            assert text not in student, f"{path.name}: a model answer is in the student build"
        for body in _SOLUTION_BODY.findall(text):
            lines = [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]
            code = "\n".join(lines)
            assert not code or code not in "\n".join(line.strip() for line in student.splitlines()), (
                f"{path.name}: the solution {code[:60]!r}... also appears outside its solution block"
            )


def test_student_working_copy_keeps_the_students_work(tmp_path, capsys):
    """`make lab` and Binder rebuild my-notebooks/ with --keep-existing: a student's notebook is never replaced."""
    src = tmp_path / "notebooks"
    src.mkdir()
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": ["x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION\n"]}  # fmt: skip
    for name in ("00_a.ipynb", "01_b.ipynb"):
        (src / name).write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    out = tmp_path / "my-notebooks"
    assert main(["student", str(src), "-o", str(out), "--keep-existing"]) == 0
    work = out / "00_a.ipynb"
    work.write_text(work.read_text().replace("raise NotImplementedError()", "x = 2  # my answer"))
    (src / "02_c.ipynb").write_text((src / "00_a.ipynb").read_text())  # a notebook new to the course
    assert main(["student", str(src), "-o", str(out), "--keep-existing"]) == 0
    assert "my answer" in work.read_text()  # the student's work survived
    assert (out / "02_c.ipynb").is_file() and "wrote 1 student notebook" in capsys.readouterr().out
