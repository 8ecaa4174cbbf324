"""Subgroup analysis: the same metrics, computed separately for each group of patients or recordings.

A model with a good overall score can still miss most of the disease in one group (one hospital, one
device, one sex or age band). Notebook 15 writes these computations out by hand first; they are here
so that later lessons and the capstone can reuse them. Groups are any labels (recording site, sex,
age band...); the metrics are those of :mod:`medtutor.metrics` (1 = disease).

- :func:`group_metrics`: per group, the size, prevalence, sensitivity (true-positive rate),
  specificity, positive-prediction rate and PPV of hard predictions;
- :func:`equal_opportunity_difference`: the largest gap in sensitivity between groups
  (Hardt et al., 2016: "equal opportunity" asks for equal true-positive rates);
- :func:`equalized_odds_difference`: the larger of the sensitivity gap and the false-positive-rate gap;
- :func:`demographic_parity_difference`: the largest gap in the share of cases called positive.

Only NumPy is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "group_metrics",
]


# --------------------------------------------------------------------------- input checks


def _binary(values: Any, name: str) -> np.ndarray:
    """A 1-D array of 0/1 labels or predictions (a column (N, 1) is accepted), as int64."""
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (N,), got shape {arr.shape}; use .ravel().")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one case.")
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers 0/1, got dtype {arr.dtype}.")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; drop those cases first.")
    if not np.all(np.isin(arr, (0, 1))):
        hint = " These look like probabilities: threshold them first, e.g. (y_prob >= t).astype(int)."
        raise ValueError(f"{name} must contain only 0 and 1 (1 = disease).{hint if name == 'y_pred' else ''}")
    return arr.astype(np.int64)


def _groups(groups: Any, n: int) -> np.ndarray:
    """Group labels aligned with the cases: 1-D, length ``n``, no missing values."""
    g = np.asarray(groups)
    if g.ndim != 1:
        raise ValueError(f"groups must be 1-D (one label per case), got shape {g.shape}.")
    if g.shape[0] != n:
        raise ValueError(f"groups has {g.shape[0]} labels but there are {n} cases; they must be aligned.")
    if g.dtype.kind == "f" and not np.all(np.isfinite(g)):
        raise ValueError("groups contains NaN: give missing metadata its own label, e.g. 'unknown'.")
    if g.dtype == object and any(v is None for v in g):
        raise ValueError("groups contains None: give missing metadata its own label, e.g. 'unknown'.")
    return g


def _checked(y_true: Any, y_pred: Any, groups: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    yt = _binary(y_true, "y_true")
    yp = _binary(y_pred, "y_pred")
    if yp.shape != yt.shape:
        raise ValueError(f"y_pred has {yp.shape[0]} entries but y_true has {yt.shape[0]}; they must be aligned.")
    return yt, yp, _groups(groups, yt.shape[0])


def _ratio(num: int, den: int) -> float:
    """num / den, or nan when the denominator is zero (the metric is undefined for that group)."""
    return num / den if den > 0 else float("nan")


# --------------------------------------------------------------------------- per-group metrics


def group_metrics(y_true: Any, y_pred: Any, groups: Any) -> dict[Any, dict[str, float]]:
    """Metrics of hard 0/1 predictions within each group, keyed by group label (sorted).

    Each entry has ``n``, ``positives`` (diseased cases), ``prevalence``, ``sensitivity`` (TPR),
    ``fpr``, ``specificity``, ``positive_rate`` (share called positive) and ``ppv``; undefined ratios
    are nan. Why per group: an average over all cases hides a group where the model fails.
    """
    yt, yp, g = _checked(y_true, y_pred, groups)
    out: dict[Any, dict[str, float]] = {}
    for label in np.unique(g):
        m = g == label
        t, p = yt[m], yp[m]
        tp, fn = int(np.sum((t == 1) & (p == 1))), int(np.sum((t == 1) & (p == 0)))
        fp, tn = int(np.sum((t == 0) & (p == 1))), int(np.sum((t == 0) & (p == 0)))
        key = label.item() if isinstance(label, np.generic) else label
        out[key] = {
            "n": int(m.sum()),
            "positives": tp + fn,
            "prevalence": _ratio(tp + fn, int(m.sum())),
            "sensitivity": _ratio(tp, tp + fn),
            "fpr": _ratio(fp, fp + tn),
            "specificity": _ratio(tn, fp + tn),
            "positive_rate": _ratio(tp + fp, int(m.sum())),
            "ppv": _ratio(tp, tp + fp),
        }
    return out


def _gap(per_group: dict[Any, dict[str, float]], key: str, needs: str) -> float:
    """max - min of ``key`` over groups; a group where it is undefined is a clear error, not skipped."""
    values = {g: v[key] for g, v in per_group.items()}
    undefined = [g for g, v in values.items() if np.isnan(v)]
    if undefined:
        raise ValueError(
            f"{key} is undefined in group(s) {undefined}: they have no {needs}. Merge small groups, "
            "or leave them out explicitly and say so when you report the result."
        )
    if len(values) < 2:
        raise ValueError(f"need at least two groups to compare, got {list(values)}.")
    return float(max(values.values()) - min(values.values()))


def equal_opportunity_difference(y_true: Any, y_pred: Any, groups: Any) -> float:
    """Largest difference in sensitivity (true-positive rate) between any two groups; 0 is equal.

    Equal opportunity (Hardt et al., 2016) asks that a diseased patient has the same chance of being
    found whatever their group. Every group needs at least one diseased case.
    """
    return _gap(group_metrics(y_true, y_pred, groups), "sensitivity", "diseased cases (y_true == 1)")


def equalized_odds_difference(y_true: Any, y_pred: Any, groups: Any) -> float:
    """The larger of the sensitivity gap and the false-positive-rate gap between groups; 0 is equal."""
    per_group = group_metrics(y_true, y_pred, groups)
    return max(
        _gap(per_group, "sensitivity", "diseased cases (y_true == 1)"),
        _gap(per_group, "fpr", "healthy cases (y_true == 0)"),
    )


def demographic_parity_difference(y_pred: Any, groups: Any) -> float:
    """Largest difference between groups in the share of cases called positive; 0 is equal.

    Note: when prevalence really differs between groups, a good model *should* call more cases positive
    in the group with more disease, so this gap alone is not evidence of unfairness in diagnosis.
    """
    yp = _binary(y_pred, "y_pred")
    return _gap(group_metrics(yp, yp, groups), "positive_rate", "cases")
