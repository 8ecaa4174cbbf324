"""Checks for the exercises of notebook 08.

07.1 is the notebook's one direct transcription; 07.2-07.5 make the student derive, choose under stated
costs, find a bug in given code, and predict-then-verify. No check prints or hints its expected value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "08.1",
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


def _ppv(sens: float, spec: float, prev: float) -> float:
    tp, fp = sens * prev, (1 - spec) * (1 - prev)
    return tp / (tp + fp)


@exercise(
    "08.2",
    "Which prevalence makes a positive call trustworthy?",
    hint="Work in odds (section 9b): a positive call multiplies the pre-test odds by LR+. "
    "Which pre-test odds give the post-test odds that belong to target_ppv? Then turn odds back into a probability.",
    wrong=[
        lambda sens, spec, target_ppv: target_ppv,
        lambda sens, spec, target_ppv: _ppv(sens, spec, target_ppv),
        lambda sens, spec, target_ppv: (target_ppv / (1 - target_ppv)) / (sens / (1 - spec)),  # odds, not a probability
        lambda sens, spec, target_ppv: 1 / (1 + sens / (1 - spec)),  # ignores the target
    ],
)
def _check_07_2(answer: Any) -> str | None:
    for sens, spec, target in ((0.9, 0.9, 0.5), (0.95, 0.8, 0.3), (0.7, 0.99, 0.9), (0.8, 0.6, 0.75)):
        got = call(answer, sens, spec, target)
        try:
            prev = float(got)
        except (TypeError, ValueError):
            return f"return one number (a prevalence), got {type(got).__name__}."
        if not 0 < prev < 1:
            return (
                f"for sensitivity {sens}, specificity {spec}, target PPV {target} you returned {prev:.4g}: "
                "a prevalence lies between 0 and 1."
            )
        if not close(_ppv(sens, spec, prev), target, 1e-7):
            return f"for sensitivity {sens}, specificity {spec}: at your prevalence the PPV is not {target}."
    return None


def _total_cost(y: np.ndarray, p: np.ndarray, t: float, cost_fn: float, cost_fp: float) -> float:
    called = p >= t
    return float(cost_fn * np.sum((y == 1) & ~called) + cost_fp * np.sum((y == 0) & called))


def _youden(y: np.ndarray, p: np.ndarray) -> float:
    cands = np.unique(p)
    j = [np.mean(p[y == 1] >= t) + np.mean(p[y == 0] < t) for t in cands]
    return float(cands[int(np.argmax(j))])


@exercise(
    "08.3",
    "A threshold for stated costs",
    hint="Each distinct score is a candidate threshold. For each, count the misses and the false alarms it "
    "causes on the data you are given and weigh them by their costs.",
    wrong=[
        lambda y, p, cost_fn, cost_fp: 0.5,
        lambda y, p, cost_fn, cost_fp: _youden(np.asarray(y), np.asarray(p)),
        lambda y, p, cost_fn, cost_fp: float(
            np.unique(p)[np.argmin([_total_cost(np.asarray(y), np.asarray(p), t, 1, 1) for t in np.unique(p)])]
        ),  # equal costs
        lambda y, p, cost_fn, cost_fp: float(
            np.unique(p)[
                np.argmin([_total_cost(np.asarray(y), np.asarray(p), t, cost_fp, cost_fn) for t in np.unique(p)])
            ]
        ),  # swapped
    ],
)
def _check_07_3(answer: Any) -> str | None:
    rng = np.random.default_rng(73)
    for n, prev, cost_fn, cost_fp in ((120, 0.3, 10, 1), (200, 0.6, 1, 4), (80, 0.5, 5, 1)):
        y = (rng.random(n) < prev).astype(int)
        p = np.round(np.clip(0.25 * y + 0.75 * rng.random(n), 0, 1), 3)
        best = min(_total_cost(y, p, t, cost_fn, cost_fp) for t in np.r_[np.unique(p), np.inf])
        got = call(answer, y, p, cost_fn, cost_fp)
        try:
            t = float(got)
        except (TypeError, ValueError):
            return f"return one threshold (a number), got {type(got).__name__}."
        if _total_cost(y, p, t, cost_fn, cost_fp) > best + 1e-9:
            return (
                f"with a missed case costing {cost_fn} and a false alarm {cost_fp}, another threshold gives "
                "a lower total cost on these cases."
            )
    return None


def _unpaired_ci(y, a, b, n_boot=1000, seed=0):
    """The buggy version of the notebook: each model resampled on its own cases."""
    from sklearn.metrics import roc_auc_score

    y, a, b = np.asarray(y), np.asarray(a), np.asarray(b)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        i, j = rng.integers(0, len(y), len(y)), rng.integers(0, len(y), len(y))
        if len(set(y[i])) < 2 or len(set(y[j])) < 2:
            continue
        diffs.append(roc_auc_score(y[i], a[i]) - roc_auc_score(y[j], b[j]))
    return tuple(np.quantile(diffs, [0.025, 0.975]))


def _rank_auc(y: np.ndarray, s: np.ndarray) -> float:
    """AUC from ranks (Mann-Whitney), fast enough for the reference bootstrap of the check."""
    from scipy.stats import rankdata

    r = rankdata(s)
    n_pos = int(y.sum())
    return float((r[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y) - n_pos)))


def _paired_ci(y, a, b, n_boot=1000, seed=0):
    y, a, b = np.asarray(y), np.asarray(a), np.asarray(b)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if len(set(y[i])) < 2:
            continue
        diffs.append(_rank_auc(y[i], a[i]) - _rank_auc(y[i], b[i]))
    return tuple(np.quantile(diffs, [0.025, 0.975]))


@exercise(
    "08.4",
    "Find the bug: a comparison that is not paired",
    hint="Both models were scored on the same patients. Does each resample of the given code keep the two "
    "models on the same patients?",
    wrong=[_unpaired_ci, lambda y, a, b, n_boot=1000, seed=0: (-0.01, 0.01)],
)
def _check_07_4(answer: Any) -> str | None:
    from sklearn.metrics import roc_auc_score

    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        n = 150
        y = (rng.random(n) < 0.5).astype(int)
        a = y + rng.normal(0, 0.9, n)
        b = a + rng.normal(0, 0.25, n)  # model b: model a with extra noise, so the two are highly correlated
        got = call(answer, y, a, b, 200, seed)
        try:
            low, high = (float(v) for v in got)
        except (TypeError, ValueError):
            return "return the interval as two numbers (low, high)."
        diff = roc_auc_score(y, a) - roc_auc_score(y, b)
        if not low <= diff <= high:
            return "your interval does not contain the observed difference of the two AUCs."
        ref_low, ref_high = _paired_ci(y, a, b, 400, seed + 100)
        ref = ref_high - ref_low
        if not 0.6 * ref <= high - low <= 1.5 * ref:
            return (
                "your interval's width is far from that of a bootstrap that resamples patients; "
                "check which cases each model is scored on in a resample."
            )
    return None


@exercise(
    "08.5",
    "Predict, then verify: how many cases for half the width?",
    hint="Predict first, then measure: call metrics.wilson_interval for a proportion of 0.8 with n and with "
    "4 n cases (n = 50, 200, 800 ...) and compare the widths.",
    wrong=[0.25, 1.0, 4.0, 2.0, "half"],
)
def _check_07_5(answer: Any) -> str | None:
    from medtutor.metrics import wilson_interval

    try:
        ratio = float(answer)
    except (TypeError, ValueError):
        return "answer with one number: the width with 4n cases divided by the width with n cases."
    _, lo1, hi1 = wilson_interval(160, 200)
    _, lo4, hi4 = wilson_interval(640, 800)
    if not close(ratio, (hi4 - lo4) / (hi1 - lo1), 0.02):
        return "that ratio does not match what wilson_interval gives; measure it."
    return None
