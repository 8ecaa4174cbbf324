"""Shared pieces of the find-the-bug exercises: the answer is the set of letters of the wrong lines."""

from __future__ import annotations

from typing import Any


def line_letters(answer: Any, allowed: set[str]) -> set[str] | str:
    """The line letters of a find-the-bug answer (any case, any container), or a message on how to answer."""
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(a, str) for a in answer):
        return 'answer with a set of line letters, e.g. {"A", "C"}.'
    chosen = {a.strip().upper() for a in answer}
    if not chosen <= allowed:
        return f"the lines are labelled {sorted(allowed)}."
    return chosen


def bug_hunt_feedback(chosen: set[str], bugs: set[str], missing_note: str = "", extra_note: str = "") -> str | None:
    """None when ``chosen`` is exactly ``bugs``; else how many are missing or extra, never which ones."""
    missed, extra = bugs - chosen, chosen - bugs
    if missed and extra:
        return "some lines you chose are fine, and at least one bug is still missing."
    if missed:
        return f"{len(missed)} bug(s) still missing{missing_note}."
    if extra:
        return f"{len(extra)} of the lines you chose are correct as written{extra_note}."
    return None
