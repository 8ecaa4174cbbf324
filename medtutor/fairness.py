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

It imports only NumPy, :mod:`medtutor.metrics` (the counts) and :mod:`medtutor._validate` (the input checks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medtutor import _validate
from medtutor._validate import ratio_or_nan
from medtutor.metrics import confusion_counts

__all__ = [
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "group_metrics",
]


# --------------------------------------------------------------------------- input checks


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
    yt = _validate.check_labels(y_true, "y_true")
    yp = _validate.check_labels(y_pred, "y_pred")
    if yp.shape != yt.shape:
        raise ValueError(f"y_pred has {yp.shape[0]} entries but y_true has {yt.shape[0]}; they must be aligned.")
    return yt, yp, _groups(groups, yt.shape[0])


def _key(label: Any) -> Any:
    """A group label as a plain Python value (``np.str_("a")`` -> ``"a"``), for readable dict keys."""
    return label.item() if isinstance(label, np.generic) else label


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
        c = confusion_counts(yt[m], yp[m])
        tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
        out[_key(label)] = {
            "n": int(m.sum()),
            "positives": tp + fn,
            "prevalence": ratio_or_nan(tp + fn, int(m.sum())),
            "sensitivity": ratio_or_nan(tp, tp + fn),
            "fpr": ratio_or_nan(fp, fp + tn),
            "specificity": ratio_or_nan(tn, fp + tn),
            "positive_rate": ratio_or_nan(tp + fp, int(m.sum())),
            "ppv": ratio_or_nan(tp, tp + fp),
        }
    return out


def _gap(per_group: dict[Any, dict[str, float]], key: str, needs: str) -> float:
    """max - min of ``key`` over groups; a group where it is undefined is a clear error, not skipped."""
    return _spread({g: v[key] for g, v in per_group.items()}, key, needs)


def _spread(values: dict[Any, float], key: str, needs: str) -> float:
    """max - min of one value per group (``key`` names it in the errors)."""
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
    yp = _validate.check_labels(y_pred, "y_pred")
    g = _groups(groups, yp.shape[0])
    rates = {_key(label): float(yp[g == label].mean()) for label in np.unique(g)}
    return _spread(rates, "positive_rate", "cases")
