"""Checks for the exercises of notebook 09."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "09.1",
    "Balanced class weights",
    hint=(
        "Class c gets N / (2 * N_c): the rarer the class, the larger its weight, and both classes weigh the same in "
        "total."
    ),
    wrong=[
        lambda y: {0: 1.0, 1: 1.0},
        lambda y: {c: float(np.mean(np.asarray(y) == c)) for c in (0, 1)},
        lambda y: {c: float(np.mean(np.asarray(y) != c)) for c in (0, 1)},
    ],
)
def _check_09_1(answer: Any) -> str | None:
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


def _prior_shift_reference(p: np.ndarray, train_prev: float, new_prev: float) -> np.ndarray:
    """Bayes' rule with new class priors (Saerens et al. 2002): rescale the odds by the ratio of prior odds."""
    odds = p / (1 - p) * (new_prev / (1 - new_prev)) / (train_prev / (1 - train_prev))
    return odds / (1 + odds)


@exercise(
    "09.2",
    "Probabilities for the real prevalence",
    hint="Work with odds: p / (1 - p) is the prior odds times the likelihood ratio, and only the prior odds change.",
    wrong=[
        lambda p, a, b: np.asarray(p, dtype=float),
        lambda p, a, b: np.clip(np.asarray(p, dtype=float) * b / a, 0, 1),
        lambda p, a, b: _prior_shift_reference(np.asarray(p, dtype=float), b, a),
    ],
)
def _check_09_2(answer: Any) -> str | None:
    rng = np.random.default_rng(82)
    for train_prev, new_prev in [(0.5, 0.27), (0.5, 0.05), (0.74, 0.625), (0.3, 0.6)]:
        p = rng.uniform(0.01, 0.99, 40)
        got = np.asarray(call(answer, p.copy(), train_prev, new_prev), dtype=float)
        if got.shape != p.shape:
            return f"return one probability per case: {p.shape} in, {got.shape} out."
        if not close(got, _prior_shift_reference(p, train_prev, new_prev), 1e-6):
            return (
                f"a model trained at prevalence {train_prev:.2f} and used at {new_prev:.2f}: your adjusted "
                "probabilities are not the ones Bayes' rule gives."
            )
    return None


def _verdict_reference(result: dict) -> str:
    if result["low"] > 0:
        return "a"
    if result["high"] < 0:
        return "b"
    return "unclear"


@exercise(
    "09.3",
    "Reading a paired comparison",
    hint="Only the interval of the DIFFERENCE decides: does it lie entirely on one side of 0?",
    wrong=[
        lambda r: "a" if r["diff"] > 0 else "b",
        lambda r: "unclear",
        lambda r: "a" if r["p_value"] < 0.5 and r["diff"] > 0 else ("b" if r["p_value"] < 0.5 else "unclear"),
    ],
)
def _check_09_3(answer: Any) -> str | None:
    rng = np.random.default_rng(83)
    cases = [
        {"a": 0.91, "b": 0.88, "diff": 0.03, "low": 0.004, "high": 0.06, "p_value": 0.03},
        {"a": 0.88, "b": 0.91, "diff": -0.03, "low": -0.05, "high": -0.01, "p_value": 0.01},
        {"a": 0.90, "b": 0.88, "diff": 0.02, "low": -0.01, "high": 0.05, "p_value": 0.21},
        {"a": 0.87, "b": 0.89, "diff": -0.02, "low": -0.06, "high": 0.02, "p_value": 0.33},
    ]
    for _ in range(6):
        centre, half = rng.uniform(-0.05, 0.05), rng.uniform(0.005, 0.04)
        cases.append(
            {
                "a": 0.9 + centre / 2,
                "b": 0.9 - centre / 2,
                "diff": centre,
                "low": centre - half,
                "high": centre + half,
                "p_value": float(rng.uniform(0.001, 0.9)),
            }
        )
    for result in cases:
        got = call(answer, dict(result))
        if str(got).strip().lower() != _verdict_reference(result):
            return (
                f"for a difference of {result['diff']:+.3f} with 95 % interval [{result['low']:+.3f}, "
                f"{result['high']:+.3f}] your verdict {got!r} is not what the interval supports "
                "(answer 'a', 'b' or 'unclear')."
            )
    return None


def _honest_reference(val_auc: dict, test_auc: dict) -> tuple[str, float]:
    """Choose on validation, report that method's test AUC."""
    method = max(val_auc, key=val_auc.get)
    return method, float(test_auc[method])


def _report_cases() -> list[tuple[dict, dict]]:
    """Candidate tables where validation and test disagree on the winner, and some where they agree."""
    rng = np.random.default_rng(84)
    names = ["cnn", "cnn ensemble", "boosting", "rank average", "logistic"]
    cases = [
        ({"cnn": 0.91, "boosting": 0.88}, {"cnn": 0.85, "boosting": 0.89}),
        ({"a": 0.80, "b": 0.86, "c": 0.83}, {"a": 0.84, "b": 0.82, "c": 0.87}),
        ({"x": 0.93, "y": 0.90}, {"x": 0.90, "y": 0.86}),
    ]
    for k in (2, 3, 4, 5, 5):
        val = {n: float(v) for n, v in zip(names[:k], rng.uniform(0.75, 0.95, k))}
        test = {n: float(v) for n, v in zip(names[:k], rng.uniform(0.75, 0.95, k))}
        cases.append((val, test))
    return cases


@exercise(
    "09.4",
    "Find the leak: which number may be reported?",
    hint=(
        "A number that helped to choose is optimistic for the winner; only a split that played no part in the "
        "choice measures it honestly."
    ),
    wrong=[
        lambda v, t: (max(t, key=t.get), max(t.values())),
        lambda v, t: (max(v, key=v.get), max(v.values())),
        lambda v, t: (max(v, key=v.get), max(t.values())),
        lambda v, t: (max(t, key=t.get), v[max(t, key=t.get)]),
    ],
)
def _check_09_4(answer: Any) -> str | None:
    for val, test in _report_cases():
        got = call(answer, dict(val), dict(test))
        if not isinstance(got, tuple) or len(got) != 2:
            return "return a pair (name of the chosen method, the AUC you would report for it)."
        method, auc = _honest_reference(val, test)
        if got[0] != method:
            if got[0] == max(test, key=test.get):
                return "you chose the method by its test AUC: the test set would then no longer measure it honestly."
            return "the method you return is not the one the validation split chooses."
        if np.isclose(float(got[1]), val[method]):
            return "you report the validation AUC that chose the winner: it is optimistic, because it did the choosing."
        if not np.isclose(float(got[1]), auc):
            return "the AUC you report is not the chosen method's score on the split that played no part in the choice."
    return None
