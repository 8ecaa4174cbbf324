"""Shared pieces of the find-the-bug exercises: the answer is the set of letters of the wrong lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._api import exercise


def line_letters(answer: Any, allowed: set[str]) -> set[str] | str:
    """The line letters of a find-the-bug answer (any case, any container), or a message on how to answer."""
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(a, str) for a in answer):
        return 'answer with a set of line letters, e.g. {"A", "C"}.'
    chosen = {a.strip().upper() for a in answer}
    if not chosen <= allowed:
        return f"the lines are labelled {sorted(allowed)}."
    return chosen


def bug_hunt_feedback(
    chosen: set[str], bugs: set[str], missing_note: str = "", extra_note: str = "", noun: str = "bug"
) -> str | None:
    """None when ``chosen`` is exactly ``bugs``; else how many are missing or extra, never which ones."""
    missed, extra = bugs - chosen, chosen - bugs
    if missed and extra:
        return f"some lines you chose are fine, and at least one {noun} is still missing."
    if missed:
        return f"{len(missed)} {noun}(s) still missing{missing_note}."
    if extra:
        return f"{len(extra)} of the lines you chose are correct as written{extra_note}."
    return None


def bug_hunt_exercise(
    ex_id: str,
    title: str,
    hint: str,
    lines: set[str],
    bugs: set[str],
    wrong: list[Any],
    first: Callable[[set[str]], str | None] | None = None,
    missing_note: str | Callable[[set[str]], str] = "",
    extra_note: str = "",
    noun: str = "bug",
) -> Callable[[Any], str | None]:
    """Register a find-the-bug exercise: the answer is the set of letters of the wrong ``lines`` among them.

    ``first(chosen)`` may give targeted feedback before the counts (a line that only looks wrong);
    ``missing_note`` may depend on what was chosen. Every bug hunt of the course is declared this way.
    """

    def check(answer: Any) -> str | None:
        chosen = line_letters(answer, lines)
        if isinstance(chosen, str):
            return chosen
        message = first(chosen) if first is not None else None
        if message:
            return message
        note = missing_note(chosen) if callable(missing_note) else missing_note
        return bug_hunt_feedback(chosen, bugs, note, extra_note, noun)

    return exercise(ex_id, title, hint, wrong)(check)
