"""The shared check API of the auto-checked exercises: formative feedback (what is wrong and a hint, never the answer).

In a notebook::

    medtutor.exercises.check("08.1", specificity)

prints ``✅ Exercise 08.1 (Specificity by hand): correct.`` or ``❌ ... not yet. <what is wrong> Hint: ...``.
Solutions in the notebooks sit between nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers;
``medtutor student`` (see :func:`make_student_notebook`) replaces them for the student build.

Each check is registered with :func:`exercise`; its ``wrong`` examples are answers that must be refused
(the test suite proves they are). A check returns None when the answer is right, else a message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medtutor._validate import check_not_shadowed

__all__ = ["EXERCISES", "Exercise", "call", "check", "close", "evaluate", "exercise", "strict_mode"]


@dataclass
class Exercise:
    """One registered exercise: its id, title, hint, checker and known-wrong answers."""

    id: str
    title: str
    hint: str
    checker: Callable[[Any], str | None]
    wrong: list[Any] = field(default_factory=list)


EXERCISES: dict[str, Exercise] = {}


def exercise(ex_id: str, title: str, hint: str, wrong: list[Any] | None = None):
    """Decorator registering ``checker(answer) -> None | message`` as exercise ``ex_id`` ("NN.k")."""
    if not re.fullmatch(r"\d\d\.\d+", ex_id):
        raise ValueError(f"exercise ids look like '08.1', got {ex_id!r}.")

    def register(checker: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
        if ex_id in EXERCISES:
            raise ValueError(f"exercise {ex_id} is registered twice.")
        EXERCISES[ex_id] = Exercise(ex_id, title, hint, checker, list(wrong or []))
        return checker

    return register


def evaluate(ex_id: str, answer: Any) -> tuple[str, str | None]:
    """Run a check without printing: ``("correct"|"wrong"|"todo", message)``.

    Whatever the student's code does (raise, or call ``sys.exit()``/``exit()``) becomes feedback; a broken
    installation (a shadowed package) is reported as such, never blamed on the student.
    """
    check_not_shadowed()
    if ex_id not in EXERCISES:
        raise KeyError(f"No exercise {ex_id!r}. Known: {', '.join(sorted(EXERCISES))}.")
    try:
        problem = EXERCISES[ex_id].checker(answer)
    except NotImplementedError:
        return "todo", None
    except SystemExit:  # sys.exit()/exit() in an answer must not end the kernel's cell or escape check()
        return "wrong", "your code called sys.exit() (or exit()): a function must return its answer instead."
    except Exception as err:  # the student's code raised: that is feedback, not a crash
        return "wrong", f"your code raised {type(err).__name__}: {err}"
    return ("correct", None) if problem is None else ("wrong", problem)


def strict_mode() -> bool:
    """True when ``MEDTUTOR_STRICT_EXERCISES=1``: the test suite runs the solution notebooks this way."""
    return os.environ.get("MEDTUTOR_STRICT_EXERCISES", "").strip().lower() in ("1", "true", "yes")


class CheckResult:
    """The outcome of :func:`check`: true when correct, and silent in a notebook (the feedback line is printed).

    A plain ``bool`` would be echoed as ``True``/``False`` under every check cell, a second line that tells the
    student nothing the feedback has not said.
    """

    def __init__(self, correct: bool) -> None:
        self.correct = correct

    def __bool__(self) -> bool:
        return self.correct

    def __eq__(self, other: object) -> bool:
        return bool(self) == other

    def __hash__(self) -> int:
        return hash(self.correct)

    def __repr__(self) -> str:
        return f"CheckResult(correct={self.correct})"

    def _ipython_display_(self) -> None:  # Jupyter shows nothing for the cell's value
        return None


def check(ex_id: str, answer: Any, strict: bool | None = None) -> CheckResult:
    """Check an answer, print one line of formative feedback, return a result that is true when correct.

    In strict mode (``strict=True``, or ``MEDTUTOR_STRICT_EXERCISES=1`` as ``make test`` sets it) an answer
    that is not correct also raises AssertionError, so a broken solution fails the notebook's test.
    The feedback is in Chinese in a Chinese notebook (:func:`medtutor.i18n.language`), else in English.
    """
    state, message = evaluate(ex_id, answer)
    ex = EXERCISES[ex_id]
    from medtutor import i18n  # the feedback's language: MEDTUTOR_LANG, else the notebook's folder (zh/)

    if i18n.language() == "zh":
        text = i18n.zh_feedback(state, ex_id, ex.title, ex.hint, message)
    elif state == "correct":
        text = f"✅ Exercise {ex_id} ({ex.title}): correct."
    elif state == "todo":
        text = f"⏳ Exercise {ex_id} ({ex.title}): not attempted yet - replace `raise NotImplementedError()`."
    else:
        text = f"❌ Exercise {ex_id} ({ex.title}): not yet. {message}\n   Hint: {ex.hint}"
    print(text)
    if state != "correct" and (strict_mode() if strict is None else strict):
        raise AssertionError(text)
    return CheckResult(state == "correct")


# --------------------------------------------------------------------------- helpers for checkers


def close(a: Any, b: Any, tol: float = 1e-6) -> bool:
    """True when two numbers/arrays have the same shape and agree within ``tol``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))


def call(fn: Any, *args: Any) -> Any:
    """Call a student's function, insisting it is callable."""
    if not callable(fn):
        raise TypeError(f"expected a function, got {type(fn).__name__}")
    return fn(*args)
