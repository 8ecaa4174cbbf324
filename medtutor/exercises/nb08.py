"""Checks for the exercises of notebook 08."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "08.1",
    "Balanced class weights",
    hint="Class c gets N / (2 * N_c): the rarer the class, the larger its weight, and both classes weigh the same in total.",
    wrong=[
        lambda y: {0: 1.0, 1: 1.0},
        lambda y: {c: float(np.mean(np.asarray(y) == c)) for c in (0, 1)},
        lambda y: {c: float(np.mean(np.asarray(y) != c)) for c in (0, 1)},
    ],
)
def _check_08_1(answer: Any) -> str | None:
    from sklearn.utils.class_weight import compute_class_weight

    for y in ([0, 0, 0, 1], [1, 1, 0, 0, 0, 0, 0, 0, 0, 1], [0] * 73 + [1] * 27, [1] * 74 + [0] * 26):
        y = np.asarray(y)
        got = call(answer, y.copy())
        if not isinstance(got, dict) or set(got) != {0, 1}:
            return "return a dict {0: weight of class 0, 1: weight of class 1}."
        expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
        if not close([float(got[0]), float(got[1])], expected, 1e-9):
            return f"for {int(np.sum(y == 0))} negatives and {int(np.sum(y == 1))} positives your weights are off."
    return None


@exercise(
    "08.2",
    "The majority-class baseline",
    hint="Always predicting the most common class is right exactly for the cases of that class.",
    wrong=[
        lambda y: float(np.mean(y)),
        lambda y: 0.5,
        lambda y: float(1 - np.mean(y)),
    ],
)
def _check_08_2(answer: Any) -> str | None:
    for y in ([0, 0, 0, 1], [1, 1, 1, 1, 0], [0] * 73 + [1] * 27, [1] * 74 + [0] * 26, [0, 1]):
        y = np.asarray(y)
        p = float(np.mean(y))
        got = call(answer, y.copy())
        if not close(got, max(p, 1 - p), 1e-9):
            return f"for labels with {p:.0%} positives your accuracy {float(got):.3f} is not the majority's share."
    return None
