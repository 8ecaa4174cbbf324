"""Checks for the exercises of notebook 16.

14.1 is the notebook's one direct transcription; 14.2 implements a rule stated in words; 14.3 finds the
leak in a given way of choosing the out-of-distribution limit. No check prints or hints its expected value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "16.1",
    "Positives in the top k",
    hint="Which k cases would a radiologist read first? Count how many of those truly have pneumonia.",
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
    "16.2",
    "A cautious referral rule",
    hint="Which question must be asked first: is the model sure enough to decide at all?",
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


def _leaky_limit(in_val_scores, ood_scores, accept=0.95):
    """The given (leaky) code: the limit that best separates the OOD examples from the validation images."""
    s_in, s_out = np.asarray(in_val_scores, float), np.asarray(ood_scores, float)
    cands = np.unique(np.r_[s_in, s_out])
    acc = [np.mean(s_in <= t) + np.mean(s_out > t) for t in cands]
    return float(cands[int(np.argmax(acc))])


@exercise(
    "16.3",
    "Find the leak: choosing the OOD limit",
    hint="The limit must work for strange inputs nobody has seen yet. Which of the arguments is it allowed to "
    "depend on, and what does `accept` promise about the validation images?",
    wrong=[
        _leaky_limit,
        lambda in_val_scores, ood_scores, accept=0.95: float(np.quantile(np.asarray(ood_scores, float), 1 - accept)),
        lambda in_val_scores, ood_scores, accept=0.95: float((np.mean(in_val_scores) + np.mean(ood_scores)) / 2),
        lambda in_val_scores, ood_scores, accept=0.95: float(np.max(in_val_scores)),
    ],
)
def _check_14_3(answer: Any) -> str | None:
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        s_in = rng.gamma(4.0 + seed, 2.0, 400)
        accept = (0.95, 0.9, 0.99)[seed]
        limits = []
        for shift in (5.0, 30.0):  # two different OOD sets: a leak-free limit cannot move
            s_out = s_in.mean() + shift + rng.gamma(2.0, 3.0, 50)
            got = call(answer, s_in, s_out, accept)
            try:
                limits.append(float(got))
            except (TypeError, ValueError):
                return f"return one number (the limit), got {type(got).__name__}."
        if not close(limits[0], limits[1], 1e-12):
            return "your limit changes when only the out-of-distribution examples change: it is tuned on them."
        if not close(np.mean(s_in <= limits[0]), accept, 0.01):
            return f"with accept={accept} your limit does not let that share of the validation images through."
    return None
