"""Checks for the exercises of notebook 15."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _eod_reference(y: np.ndarray, p: np.ndarray, g: np.ndarray) -> float:
    rates = [np.mean(p[(g == k) & (y == 1)] == 1) for k in np.unique(g)]
    return float(max(rates) - min(rates))


def _eod_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(13)
    fixed = (
        np.array([1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]),
        np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0]),
        np.array(["a"] * 6 + ["b"] * 6),
    )
    three = (rng.integers(0, 2, 200), rng.integers(0, 2, 200), rng.choice(np.array(["x", "y", "z"]), 200))
    three[0][:6] = 1  # every group has diseased cases
    three[2][:6] = ["x", "x", "y", "y", "z", "z"]
    return [fixed, three, *_many_group_cases()]


def _many_group_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Cases with 3-5 groups where the extreme sensitivities lie in the LAST groups (seeds vary the rest).

    An answer that only compares the first two groups, or one group against the rest, is refused.
    """
    cases = []
    for seed, n_groups in ((1, 3), (2, 4), (3, 5)):
        rng = np.random.default_rng(seed)
        names = np.array([f"g{k}" for k in range(n_groups)])
        g = np.repeat(names, 30)
        y = np.ones(len(g), dtype=np.int64)
        y[rng.random(len(g)) < 0.3] = 0
        sens = np.linspace(0.6, 0.7, n_groups)
        sens[-1], sens[-2] = 1.0, 0.2  # the largest gap involves the last two groups
        p = (rng.random(len(g)) < sens[np.searchsorted(names, g)]).astype(np.int64)
        cases.append((y, p, g))
    return cases


def _sensitivity_in(y: np.ndarray, p: np.ndarray, members: np.ndarray) -> float:
    """Share of the diseased cases among ``members`` called positive (used by the known-wrong answers)."""
    return float(np.mean(p[members & (y == 1)] == 1))


@exercise(
    "15.1",
    "Equal-opportunity difference by hand",
    hint="Within each group keep only the diseased cases (y_true == 1); the share of them with y_pred == 1 is "
    "that group's sensitivity. Return the largest minus the smallest.",
    wrong=[
        lambda y, p, g: 0.0,
        lambda y, p, g: float(
            max(np.mean(p[g == k] == y[g == k]) for k in np.unique(g))
            - min(np.mean(p[g == k] == y[g == k]) for k in np.unique(g))
        ),
        lambda y, p, g: -_eod_reference(y, p, g),
        lambda y, p, g: float(
            max(np.mean(p[g == k]) for k in np.unique(g)) - min(np.mean(p[g == k]) for k in np.unique(g))
        ),
        # a two-group answer: compares only the first two groups
        lambda y, p, g: abs(_sensitivity_in(y, p, g == np.unique(g)[0]) - _sensitivity_in(y, p, g == np.unique(g)[1])),
        # a two-group answer: the first case's group against everybody else
        lambda y, p, g: abs(_sensitivity_in(y, p, g == g[0]) - _sensitivity_in(y, p, g != g[0])),
    ],
)
def _check_13_1(answer: Any) -> str | None:
    for y, p, g in _eod_cases():
        got = call(answer, y.copy(), p.copy(), g.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number, got {type(got).__name__}."
        if not close(got, _eod_reference(y, p, g), 1e-9):
            n_groups = len(np.unique(g))
            return f"wrong difference for a case with {n_groups} groups and {len(y)} cases."
    return None


def _cost_reference(y: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float) -> float:
    """The highest distinct value of p that minimises cost_fn * FN + cost_fp * FP (positive when p >= t)."""
    best_t, best_cost = None, None
    for t in np.unique(p):
        called = p >= t
        cost = cost_fn * np.sum((y == 1) & ~called) + cost_fp * np.sum((y == 0) & called)
        if best_cost is None or cost <= best_cost:
            best_t, best_cost = float(t), cost
    return float(best_t)


def _cost_cases() -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """Cases with other seeds, sizes, prevalences and cost ratios, including ties in p."""
    cases = []
    for seed, n, prev, (c_fn, c_fp) in [
        (0, 40, 0.3, (5, 1)),
        (1, 64, 0.6, (5, 1)),
        (2, 25, 0.5, (1, 1)),
        (3, 80, 0.2, (1, 4)),
        (4, 50, 0.5, (10, 1)),
    ]:
        rng = np.random.default_rng(seed)
        y = (rng.random(n) < prev).astype(int)
        y[:2] = [0, 1]
        p = np.clip(0.35 * y + rng.normal(0.35, 0.2, n), 0, 1).round(2)  # rounding makes ties
        cases.append((y, p, float(c_fn), float(c_fp)))
    return cases


def _youden_on_grid(y: Any, p: Any, cost_fn: float, cost_fp: float) -> float:
    """A known-wrong answer: Youden's J ignores the stated costs."""
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    best = max(np.unique(p), key=lambda t: np.mean(p[y == 1] >= t) + np.mean(p[y == 0] < t))
    return float(best)


@exercise(
    "15.2",
    "A threshold under stated costs",
    hint="Try each distinct probability as the threshold, count the missed cases (FN) and false alarms (FP) it "
    "gives, and weigh them by their costs.",
    wrong=[
        _youden_on_grid,
        lambda y, p, cost_fn, cost_fp: 0.5,
        lambda y, p, cost_fn, cost_fp: _cost_reference(np.asarray(y), np.asarray(p, float), cost_fp, cost_fn),
    ],
)
def _check_13_2(answer: Any) -> str | None:
    failures, swapped_everywhere = [], True
    for y, p, c_fn, c_fp in _cost_cases():
        got = call(answer, y.copy(), p.copy(), c_fn, c_fp)
        try:
            got = float(got)
        except (TypeError, ValueError):
            return "return one threshold (a number)."
        swapped_everywhere &= abs(got - _cost_reference(y, p, c_fp, c_fn)) < 1e-12
        if abs(got - _cost_reference(y, p, c_fn, c_fp)) > 1e-12:
            failures.append(f"cost ratio {c_fn:g}:{c_fp:g} with {len(y)} cases")
    if not failures:
        return None
    if swapped_everywhere:
        return "the costs look swapped: cost_fn weighs the missed cases (FN), cost_fp the false alarms."
    return f"not the cheapest threshold for {failures[0]} ({len(failures)} of {len(_cost_cases())} cases wrong)."


METRICS_13_3 = {"AUC", "ECE", "sensitivity", "specificity"}


@exercise(
    "15.3",
    "What does a new threshold change?",
    hint="AUC and ECE are computed from the probabilities alone; which numbers need a threshold to be computed?",
    wrong=[METRICS_13_3, {"AUC", "sensitivity", "specificity"}, {"sensitivity"}, {"ECE", "sensitivity", "specificity"}],
)
def _check_13_3(answer: Any) -> str | None:
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(a, str) for a in answer):
        return 'answer with a set of names, e.g. {"AUC"}.'
    lookup = {m.lower(): m for m in METRICS_13_3}
    chosen = {lookup.get(a.strip().lower(), a) for a in answer}
    if not chosen <= METRICS_13_3:
        return f"choose among {sorted(METRICS_13_3)}."
    if chosen & {"AUC", "ECE"}:
        return "a threshold does not change the probabilities: can a number computed from them alone change?"
    if chosen != {"sensitivity", "specificity"}:
        return "one number that depends on the threshold is missing."
    return None
