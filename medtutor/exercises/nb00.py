"""Checks for the exercises of notebook 00."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..course import course_map
from ._api import exercise

_N_NOTEBOOKS = len(course_map())  # the course map (medtutor/course.json) is the one source of the count


@exercise(
    "00.1",
    "Your first check",
    hint="Count the rows of the course map: numbering starts at 00.",
    wrong=[_N_NOTEBOOKS - 1, _N_NOTEBOOKS + 1, str(_N_NOTEBOOKS)],
)
def _check_00_1(answer: Any) -> str | None:
    if not isinstance(answer, (int, np.integer)):
        return f"expected a whole number, got {type(answer).__name__}."
    if answer != _N_NOTEBOOKS:
        return f"{answer} is not the number of notebooks in the course map above."
    return None


@exercise(
    "00.2",
    "Real or synthetic?",
    hint="`medtutor.data.load(...)` returns a dataset whose `.source` attribute says where it came from.",
    wrong=["pneumoniamnist", None, 42],
)
def _check_00_2(answer: Any) -> str | None:
    if answer not in ("real", "synthetic"):
        return f"{answer!r} is neither 'real' nor 'synthetic': pass the dataset's `.source`."
    from medtutor import data

    try:
        data.fetch_file(
            "pneumoniamnist",
            data.info("pneumoniamnist")["files"][0]["name"],
            data.info("pneumoniamnist")["files"][0]["md5"],
            None,
        )
        actual = "real"
    except (data.DataUnavailableError, data.ChecksumError):
        actual = "synthetic"
    if answer != actual:
        return "that is not where this machine's PneumoniaMNIST comes from."
    return None
