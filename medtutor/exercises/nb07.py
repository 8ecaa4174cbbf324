"""Checks for the exercises of notebook 07."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "07.1",
    "Specificity by hand",
    hint="Specificity looks only at the truly negative cases: which share of them did the model clear?",
    wrong=[
        lambda tn, fp: tn / (tn + fp + 1),
        lambda tn, fp: fp / (tn + fp),
        lambda tn, fp: tn / (tn + fp) if fp else 0.0,
    ],
)
def _check_07_1(answer: Any) -> str | None:
    from sklearn.metrics import recall_score

    for tn, fp in ((90, 10), (3, 1), (50, 0), (7, 13)):
        y = np.array([0] * (tn + fp))
        pred = np.array([0] * tn + [1] * fp)
        expected = recall_score(y, pred, pos_label=0)  # specificity = recall of the negative class
        got = call(answer, tn, fp)
        if not close(got, expected, 1e-9):
            return f"with tn={tn}, fp={fp} your specificity {float(got):.4f} is not the share of negatives cleared."
    return None


@exercise(
    "07.2",
    "PPV at a given prevalence (Bayes)",
    hint="Among all positive calls, how many are true? True positives: sens x prev; false positives: (1 - spec) x (1 - prev).",
    wrong=[
        lambda sens, spec, prev: sens,
        lambda sens, spec, prev: sens * prev / (sens * prev + (1 - spec)),
        lambda sens, spec, prev: sens * prev / (sens * prev + spec * (1 - prev)),
    ],
)
def _check_07_2(answer: Any) -> str | None:
    for sens, spec, prev in ((0.9, 0.9, 0.01), (0.95, 0.8, 0.3), (0.7, 0.99, 0.05), (0.8, 0.6, 0.625)):
        tp, fp = sens * prev, (1 - spec) * (1 - prev)
        got = call(answer, sens, spec, prev)
        if not close(got, tp / (tp + fp), 1e-9):
            return f"for sensitivity {sens}, specificity {spec}, prevalence {prev} your PPV {float(got):.4f} is off."
    return None
