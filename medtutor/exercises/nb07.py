"""Checks for the exercises of notebook 07."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _total_cost(y: np.ndarray, p: np.ndarray, t: float, cost_fn: float, cost_fp: float) -> float:
    """Cost of calling ``p >= t`` positive: missed cases cost ``cost_fn`` each, false alarms ``cost_fp``."""
    pred = p >= t
    return float(cost_fn * np.sum((y == 1) & ~pred) + cost_fp * np.sum((y == 0) & pred))


def _best_cost(y: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float) -> float:
    """The lowest total cost over every candidate threshold (each distinct score, plus 'nobody positive')."""
    candidates = np.append(np.unique(p), np.inf)
    return min(_total_cost(y, p, t, cost_fn, cost_fp) for t in candidates)


def _youden(y: Any, p: Any, cost_fn: float, cost_fp: float) -> float:
    """A known-wrong answer for 06.1: Youden's J ignores the costs."""
    y, p = np.asarray(y), np.asarray(p)
    best = max(np.unique(p), key=lambda t: np.mean(p[y == 1] >= t) + np.mean(p[y == 0] < t))
    return float(best)


def _cost_swapped(y: Any, p: Any, cost_fn: float, cost_fp: float) -> float:
    """A known-wrong answer for 06.1: the two costs swapped."""
    y, p = np.asarray(y), np.asarray(p)
    return float(min(np.unique(p), key=lambda t: _total_cost(y, p, t, cost_fp, cost_fn)))


def _cost_cases() -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """Overlapping score distributions (so the costs matter), several prevalences and cost ratios."""
    cases = []
    for seed, prevalence, cost_fn, cost_fp in [(0, 0.6, 5.0, 1.0), (1, 0.3, 1.0, 4.0), (2, 0.5, 10.0, 1.0)]:
        rng = np.random.default_rng(seed)
        y = (rng.random(120) < prevalence).astype(int)
        p = 1 / (1 + np.exp(-(1.2 * (2 * y - 1) + rng.normal(0, 1.3, 120))))
        cases.append((y, np.round(p, 3), cost_fn, cost_fp))
    return cases


@exercise(
    "07.1",
    "A threshold chosen under stated costs",
    hint="Try every distinct score as the threshold and add up what its missed cases and its false alarms cost.",
    wrong=[lambda y, p, cfn, cfp: 0.5, _youden, _cost_swapped],
)
def _check_06_1(answer: Any) -> str | None:
    for y, p, cost_fn, cost_fp in _cost_cases():
        got = call(answer, y.copy(), p.copy(), cost_fn, cost_fp)
        if not isinstance(got, (float, int, np.floating, np.integer)):
            return f"return one threshold (a number), got {type(got).__name__}."
        best = _best_cost(y, p, cost_fn, cost_fp)
        if _total_cost(y, p, float(got), cost_fn, cost_fp) > best + 1e-9:
            return (
                f"with a missed case costing {cost_fn:g} and a false alarm {cost_fp:g}, another threshold has a "
                "lower total cost than yours on the same cases."
            )
    return None


def _bce_unclipped(y: Any, p: Any) -> float:
    """A known-wrong answer for 06.2: no clipping, so p of exactly 0 or 1 gives an infinite loss."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _bce_reference(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


@exercise(
    "07.2",
    "Binary cross-entropy",
    hint="Average -(y log p + (1 - y) log(1 - p)) over the cases, after clipping p away from 0 and 1.",
    wrong=[
        lambda y, p: float(np.mean(-(np.asarray(y) * np.log(np.clip(p, 1e-7, 1 - 1e-7))))),
        lambda y, p: float(np.sum(-(np.asarray(y) * np.log(p) + (1 - np.asarray(y)) * np.log(1 - np.asarray(p))))),
        lambda y, p: _bce_unclipped(y, p),
    ],
)
def _check_06_2(answer: Any) -> str | None:
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(6)
    y = (rng.random(50) < 0.6).astype(float)
    p = rng.uniform(0.05, 0.95, 50)
    got = call(answer, y.copy(), p.copy())
    if not close(got, log_loss(y, p), 1e-6):
        return "on 50 random cases your loss differs from the reference mean binary cross-entropy."
    y2, p2 = np.array([1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])  # confident mistakes: needs clipping
    got = call(answer, y2.copy(), p2.copy())
    if not np.isfinite(float(got)) or not close(got, _bce_reference(y2, p2), 1e-4):
        return "with probabilities of exactly 0 or 1 your loss is not finite or not clipped like Keras (1e-7)."
    return None


@exercise(
    "07.3",
    "Accuracy at a new prevalence, predicted",
    hint="Split the cases into the diseased share and the healthy share: each share is right as often as its rate.",
    wrong=[
        lambda sens, spec, prev: (sens + spec) / 2,
        lambda sens, spec, prev: sens * (1 - prev) + spec * prev,
        lambda sens, spec, prev: sens * prev + (1 - spec) * (1 - prev),
    ],
)
def _check_06_3(answer: Any) -> str | None:
    rng = np.random.default_rng(63)
    for sens, spec, prev in [(0.95, 0.80, 0.625), (0.99, 0.70, 0.74), *rng.uniform(0.05, 0.95, (5, 3))]:
        got = call(answer, float(sens), float(spec), float(prev))
        # Reference: count the correct calls in a population of n people with these rates.
        n = 1_000_000
        diseased = prev * n
        expected = (sens * diseased + spec * (n - diseased)) / n
        if not close(got, expected, 1e-9):
            return (
                f"for sensitivity {sens:.2f}, specificity {spec:.2f} and prevalence {prev:.3f} your accuracy is not "
                "the share of correct calls in such a population."
            )
    return None


#: The pipeline steps of exercise 07.4; the notebook prints them, the check knows which ones leak.
LEAK_STEPS = {
    "A": "scale every image by 1/255 (a fixed factor, no statistics of any split)",
    "B": "standardise pixels with the mean and SD of training + validation + test images pooled",
    "C": "stop training at the epoch with the best validation AUC",
    "D": "choose the decision threshold that maximises Youden's J on the test set",
    "E": "fit a temperature (calibration) on the validation split",
    "F": "keep whichever of two models has the higher test AUC, and report that AUC",
}
_LEAKY = {"B", "D", "F"}


@exercise(
    "07.4",
    "Find the leaks",
    hint="A step leaks when something computed from the test images or labels shapes the model or its threshold.",
    wrong=[{"D"}, {"B", "D"}, {"B", "C", "D", "F"}, set(LEAK_STEPS)],
)
def _check_06_4(answer: Any) -> str | None:
    if callable(answer):
        answer = answer()
    if isinstance(answer, str):
        answer = set(answer.replace(",", " ").split())
    try:
        chosen = {str(a).strip().upper() for a in answer}
    except TypeError:
        return "give a set of step letters, e.g. {'A', 'C'}."
    unknown = chosen - set(LEAK_STEPS)
    if unknown:
        return f"unknown step letters {sorted(unknown)}; the steps are {sorted(LEAK_STEPS)}."
    counts = {
        "{} of your steps use only training or validation data (no leak)": len(chosen - _LEAKY),
        "{} leaking step(s) are missing": len(_LEAKY - chosen),
    }
    problems = [text.format(n) for text, n in counts.items() if n]
    return "; ".join(problems) + "." if problems else None
