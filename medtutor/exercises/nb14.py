"""Checks for the exercises of notebook 14."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "14.1",
    "Positives in the top k",
    hint="Sort the cases by probability, highest first (np.argsort(-y_prob)), take the first k, count the 1s.",
    wrong=[
        lambda y_prob, y_true, k: int(np.asarray(y_true)[np.argsort(np.asarray(y_prob))[:k]].sum()),
        lambda y_prob, y_true, k: int((np.asarray(y_prob) >= 0.5).sum()),
        lambda y_prob, y_true, k: int(np.asarray(y_true)[:k].sum()),
    ],
)
def _check_14_1(answer: Any) -> str | None:
    rng = np.random.default_rng(14)
    for n, k in [(40, 10), (200, 37), (15, 15)]:
        y = (rng.random(n) < 0.3).astype(int)
        p = np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1)
        expected = int(y[np.argsort(-p, kind="stable")[:k]].sum())
        got = call(answer, p, y, k)
        if not isinstance(got, (int, np.integer)):
            return f"return a whole number (a count), got {type(got).__name__}."
        if got != expected:
            return f"with {n} cases and k={k} the count is off."
    return None


@exercise(
    "14.2",
    "A cautious referral rule",
    hint='Test the interval first: low <= threshold <= high means "uncertain"; only then compare prob with it.',
    wrong=[
        lambda prob, low, high, threshold: "refer" if prob >= threshold else "no referral",
        lambda prob, low, high, threshold: "uncertain" if low < threshold < high else "refer",
        lambda prob, low, high, threshold: (
            "uncertain" if low <= threshold <= high else ("refer" if prob > threshold else "no referral")
        ),
    ],
)
def _check_14_2(answer: Any) -> str | None:
    cases = [
        ((0.8, 0.7, 0.9, 0.5), "refer"),
        ((0.2, 0.1, 0.3, 0.5), "no referral"),
        ((0.55, 0.4, 0.7, 0.5), "uncertain"),
        ((0.45, 0.3, 0.5, 0.5), "uncertain"),
        ((0.5, 0.5, 0.5, 0.5), "uncertain"),
        ((0.3, 0.31, 0.4, 0.3), "refer"),
    ]
    for args, expected in cases:
        got = call(answer, *args)
        if got != expected:
            return f"prob={args[0]}, interval [{args[1]}, {args[2]}], threshold {args[3]}: got {got!r}."
    return None


@exercise(
    "14.3",
    "NPV at a prevalence",
    hint="Among the negatives: healthy ones are spec * (1 - prev), missed sick ones are (1 - sens) * prev.",
    wrong=[
        lambda sensitivity, specificity, prevalence: specificity,
        lambda sensitivity, specificity, prevalence: (
            specificity * prevalence / (specificity * prevalence + (1 - sensitivity) * (1 - prevalence))
        ),
        lambda sensitivity, specificity, prevalence: (
            sensitivity * prevalence / (sensitivity * prevalence + (1 - specificity) * (1 - prevalence))
        ),
    ],
)
def _check_14_3(answer: Any) -> str | None:
    for sens, spec, prev in [(0.9, 0.8, 0.05), (0.95, 0.6, 0.3), (0.7, 0.99, 0.5)]:
        tn = spec * (1 - prev)
        expected = tn / (tn + (1 - sens) * prev)
        got = call(answer, sens, spec, prev)
        if not close(got, expected, tol=1e-9):
            return f"sensitivity {sens}, specificity {spec}, prevalence {prev}: the NPV is off."
    return None
