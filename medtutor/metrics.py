"""Clinical metrics for binary diagnosis: confusion counts, thresholds, bootstrap CIs, calibration.

Notebook 07 teaches every formula here by hand (and checks it against scikit-learn); later
notebooks reuse these functions. Conventions used throughout:

- labels are 0/1 with **1 = the disease (positive class)**;
- a case is called positive when ``y_prob >= threshold``;
- a ratio whose denominator is zero (for example PPV when nothing is called positive) is ``nan``,
  because "undefined" is the honest answer, and 0 or 1 would be a made-up number.

Only NumPy, SciPy and scikit-learn are imported, so ``import medtutor.metrics`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "apply_temperature",
    "bootstrap_ci",
    "clinical_metrics",
    "confusion_counts",
    "expected_calibration_error",
    "fit_temperature",
    "macc",
    "paired_bootstrap_diff",
    "ppv_at_prevalence",
    "prob_to_logit",
    "reliability_bins",
    "threshold_for_sensitivity",
    "youden_threshold",
]


# --------------------------------------------------------------------------- input checks
def _as_1d(x, name: str) -> np.ndarray:
    """Return ``x`` as a 1-D array; accept a column ``(N, 1)`` (what ``model.predict`` returns)."""
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got dtype=object; pass np.asarray(..., dtype=float).")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with shape (N,) (or a column (N, 1)), got shape {arr.shape}; "
            f"for a 2-class softmax output pass probs[:, 1], otherwise use .ravel()."
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one case.")
    return arr


def _check_labels(y, name: str = "y_true") -> np.ndarray:
    """Validate 0/1 labels (bool, int or float 0.0/1.0) and return them as int64."""
    arr = _as_1d(y, name)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; drop those cases (e.g. mask = np.isfinite({name})).")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold 0/1 numbers, got dtype {arr.dtype}.")
    bad = ~np.isin(arr, (0, 1))
    if bad.any():
        raise ValueError(
            f"{name} must contain only 0 and 1 (1 = disease), found e.g. {arr[bad][0]!r}; "
            "map class names to 0/1 first, and if these are probabilities, threshold them: "
            "(y_prob >= 0.5).astype(int)."
        )
    return arr.astype(np.int64)


def _check_probs(p, name: str = "y_prob", n: int | None = None, unit: bool = True) -> np.ndarray:
    """Validate finite scores (in [0, 1] when ``unit``) of length ``n`` and return them as float64."""
    arr = _as_1d(p, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; check the model output (e.g. np.isfinite({name}).all()).")
    if unit and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name} must be probabilities in [0, 1], found values in [{arr.min():.3g}, {arr.max():.3g}]; "
            "apply a sigmoid to logits first (1 / (1 + np.exp(-z)))."
        )
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries but y_true has {n}; they must be aligned case by case.")
    return arr


def _check_both_classes(y: np.ndarray, what: str) -> None:
    if y.min() == y.max():
        raise ValueError(
            f"{what} needs both classes in y_true, but every label is {int(y[0])}; "
            "use a split (validation or test set) that contains positives and negatives."
        )


def _check_fraction(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{name} must be a fraction in [0, 1] (e.g. 0.9 for 90 %), got {value!r}.")
    return arr


def _ratio(num: float, den: float) -> float:
    """num / den, or nan when the denominator is zero (the metric is undefined)."""
    return float(num) / float(den) if den > 0 else float("nan")


# --------------------------------------------------------------------------- confusion matrix
def confusion_counts(y_true, y_pred) -> dict[str, int]:
    """Count true/false positives/negatives of hard 0/1 predictions (1 = disease).

    Returns ``dict(tp, fp, tn, fn)``; every metric of notebook 07 is a ratio of these four numbers.
    """
    yt = _check_labels(y_true, "y_true")
    yp = _as_1d(y_pred, "y_pred")
    if yp.dtype.kind == "f" and np.any((yp != 0) & (yp != 1)):
        raise ValueError(
            "y_pred must be hard 0/1 predictions, but it holds other values (probabilities?); "
            "threshold them first, e.g. (y_prob >= 0.5).astype(int), or call clinical_metrics(y_true, y_prob)."
        )
    yp = _check_labels(yp, "y_pred")
    if yp.shape != yt.shape:
        raise ValueError(f"y_pred has {yp.shape[0]} entries but y_true has {yt.shape[0]}; they must be aligned.")
    return {
        "tp": int(np.sum((yt == 1) & (yp == 1))),
        "fp": int(np.sum((yt == 0) & (yp == 1))),
        "tn": int(np.sum((yt == 0) & (yp == 0))),
        "fn": int(np.sum((yt == 1) & (yp == 0))),
    }


def clinical_metrics(y_true, y_prob, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, sensitivity, specificity, PPV, NPV and F1 of ``y_prob >= threshold``.

    Accuracy is the share of *all* cases classified correctly; sensitivity (recall) the share of diseased
    cases found; specificity the share of healthy cases cleared; PPV (precision) the share of positive calls
    that are right; NPV the share of negative calls that are right; F1 the harmonic mean of PPV and
    sensitivity. Undefined ratios (zero denominator) are ``nan``.
    """
    yt = _check_labels(y_true)
    p = _check_probs(y_prob, n=yt.shape[0], unit=False)
    t = float(threshold)
    if not np.isfinite(t):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}.")
    c = confusion_counts(yt, (p >= t).astype(np.int64))
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    return {
        "accuracy": _ratio(tp + tn, tp + fp + tn + fn),
        "sensitivity": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "ppv": _ratio(tp, tp + fp),
        "npv": _ratio(tn, tn + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def macc(y_true, y_pred) -> float:
    """Mean accuracy ``(sensitivity + specificity) / 2`` of hard predictions (PhysioNet 2016's MAcc).

    Unlike accuracy it does not reward always predicting the majority class: that scores 0.5.
    """
    c = confusion_counts(y_true, y_pred)
    sens = _ratio(c["tp"], c["tp"] + c["fn"])
    spec = _ratio(c["tn"], c["tn"] + c["fp"])
    return float((sens + spec) / 2)


# --------------------------------------------------------------------------- thresholds
def _roc(y_true, y_prob):
    from sklearn.metrics import roc_curve

    yt = _check_labels(y_true)
    p = _check_probs(y_prob, n=yt.shape[0], unit=False)
    _check_both_classes(yt, "choosing a threshold")
    fpr, tpr, thr = roc_curve(yt, p, drop_intermediate=False)
    # roc_curve's first threshold is +inf ("call nobody positive"); drop it so the result is a real score.
    return fpr[1:], tpr[1:], thr[1:]


def youden_threshold(y_true, y_prob) -> float:
    """Threshold maximising Youden's J = sensitivity + specificity - 1 (choose it on validation data).

    Returns a score ``t`` such that ``y_prob >= t`` is called positive; ties go to the highest threshold.
    """
    fpr, tpr, thr = _roc(y_true, y_prob)
    return float(thr[int(np.argmax(tpr - fpr))])


def threshold_for_sensitivity(y_true, y_prob, target: float = 0.95) -> float:
    """Highest threshold whose sensitivity on ``(y_true, y_prob)`` is at least ``target`` (screening).

    The highest such threshold keeps specificity as high as possible while missing at most
    ``1 - target`` of the diseased cases. Choose it on validation data, then report it on test data.
    """
    tgt = float(_check_fraction(target, "target"))
    if tgt == 0:
        raise ValueError("target must be > 0 (a sensitivity of 0 needs no model); e.g. target=0.95.")
    _fpr, tpr, thr = _roc(y_true, y_prob)
    idx = int(np.argmax(tpr >= tgt - 1e-12))  # tpr is non-decreasing and ends at 1.0
    return float(thr[idx])


def ppv_at_prevalence(sensitivity, specificity, prevalence):
    """Positive predictive value at a given disease prevalence, by Bayes' rule.

    ``PPV = sens * prev / (sens * prev + (1 - spec) * (1 - prev))``: the same test has a much lower PPV in a
    screening population (low prevalence) than in a test set that is 60 % diseased. Accepts scalars or
    arrays (broadcast); returns a float for scalar input.
    """
    sens = _check_fraction(sensitivity, "sensitivity")
    spec = _check_fraction(specificity, "specificity")
    prev = _check_fraction(prevalence, "prevalence")
    num = sens * prev
    den = num + (1 - spec) * (1 - prev)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- uncertainty
def bootstrap_ci(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    y_true,
    y_score,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Percentile bootstrap: ``(metric on all cases, lower, upper)`` of a ``1 - alpha`` interval.

    Resamples cases with replacement ``n_boot`` times (NumPy Generator seeded by ``seed``, so it is
    reproducible). Resamples where the metric is undefined (nan, or an error because a resample holds a
    single class) are skipped; more than 10 % skipped raises, since the interval would then be biased.
    ``metric_fn(y_true, y_score)`` is e.g. ``sklearn.metrics.roc_auc_score`` or
    ``lambda y, p: clinical_metrics(y, p, t)["sensitivity"]``.
    """
    if not callable(metric_fn):
        raise TypeError("metric_fn must be a function metric_fn(y_true, y_score) -> float, e.g. roc_auc_score.")
    yt = _check_labels(y_true)
    s = _check_probs(y_score, "y_score", n=yt.shape[0], unit=False)
    if int(n_boot) < 100:
        raise ValueError(f"n_boot={n_boot} is too few for a percentile interval; use at least 100 (1000 is usual).")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), e.g. 0.05 for a 95 % interval; got {alpha!r}.")
    point = float(metric_fn(yt, s))
    rng = np.random.default_rng(seed)
    n = yt.shape[0]
    values = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, n, size=n)
        yb = yt[idx]
        if yb.min() == yb.max():
            continue
        try:
            v = float(metric_fn(yb, s[idx]))
        except ValueError:
            continue
        if np.isfinite(v):
            values.append(v)
    skipped = int(n_boot) - len(values)
    if skipped > 0.1 * int(n_boot):
        raise ValueError(
            f"{skipped} of {n_boot} bootstrap resamples gave an undefined metric; the sample is too small or "
            "too unbalanced for this metric. Use more cases or a metric defined on every resample."
        )
    low, high = np.quantile(np.asarray(values), [alpha / 2, 1 - alpha / 2])
    return point, float(low), float(high)


# --------------------------------------------------------------------------- calibration
def reliability_bins(y_true, y_prob, n_bins: int = 10) -> dict[str, np.ndarray]:
    """Equal-width bins of predicted probability for a reliability diagram.

    Returns ``dict(mean_prob, frac_pos, count)`` per bin (``nan`` for empty bins): a calibrated model has
    ``frac_pos == mean_prob`` in every bin. Bin ``b`` holds ``b/n_bins <= p < (b+1)/n_bins`` (1.0 goes last).
    """
    yt = _check_labels(y_true)
    p = _check_probs(y_prob, n=yt.shape[0])
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer (10 is usual), got {n_bins!r}.")
    n_bins = int(n_bins)
    b = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(b, minlength=n_bins)
    sum_p = np.bincount(b, weights=p, minlength=n_bins)
    sum_y = np.bincount(b, weights=yt.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prob = np.where(count > 0, sum_p / np.maximum(count, 1), np.nan)
        frac_pos = np.where(count > 0, sum_y / np.maximum(count, 1), np.nan)
    return {"mean_prob": mean_prob, "frac_pos": frac_pos, "count": count}


def expected_calibration_error(y_true, y_prob, n_bins: int = 10) -> float:
    """ECE = sum over bins of (bin size / N) * |fraction positive - mean predicted probability|.

    Uses the probability of the positive class and equal-width bins (the reliability diagram's bins).
    0 means perfectly calibrated on these bins; the value depends on ``n_bins``, so always report it.
    """
    r = reliability_bins(y_true, y_prob, n_bins)
    used = r["count"] > 0
    w = r["count"][used] / r["count"].sum()
    return float(np.sum(w * np.abs(r["frac_pos"][used] - r["mean_prob"][used])))


def prob_to_logit(y_prob, eps: float = 1e-7) -> np.ndarray:
    """Inverse sigmoid ``log(p / (1 - p))``, clipping p to ``[eps, 1 - eps]`` so 0 and 1 stay finite."""
    p = np.clip(_check_probs(y_prob), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def apply_temperature(logits, temperature: float) -> np.ndarray:
    """Calibrated probabilities ``sigmoid(logits / T)``; T > 1 softens over-confident outputs."""
    z = _check_probs(logits, "logits", unit=False)
    t = float(temperature)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"temperature must be a positive number (1.0 = unchanged), got {temperature!r}.")
    from scipy.special import expit

    return expit(z / t)


def fit_temperature(logits, y_true) -> float:
    """Temperature T > 0 minimising the log-loss of ``sigmoid(logits / T)`` (fit on validation data).

    One parameter, so it cannot change the ranking (AUC is unchanged), only how confident the
    probabilities are. Pass logits (``prob_to_logit(y_prob)`` if the model outputs probabilities).
    """
    from scipy.optimize import minimize_scalar

    yt = _check_labels(y_true)
    z = _check_probs(logits, "logits", n=yt.shape[0], unit=False)
    if np.all((z >= 0) & (z <= 1)) and z.min() != z.max():
        import warnings

        warnings.warn(
            "logits all lie in [0, 1]: are these probabilities? Pass prob_to_logit(y_prob) instead.",
            stacklevel=2,
        )
    _check_both_classes(yt, "fitting a temperature")
    sign = 2.0 * yt - 1.0

    def nll(log_t: float) -> float:
        # -log sigmoid(s * z / T) = log(1 + exp(-s * z / T)), computed stably with logaddexp.
        return float(np.mean(np.logaddexp(0.0, -sign * z / np.exp(log_t))))

    res = minimize_scalar(
        nll,
        bounds=(np.log(1e-2), np.log(1e2)),
        method="bounded",
        options={"xatol": 1e-8},
    )
    return float(np.exp(res.x))


# --------------------------------------------------------------------------- comparing two models on the same cases
def paired_bootstrap_diff(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    y_true,
    score_a,
    score_b,
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, float]:
    """Paired bootstrap of ``metric(a) - metric(b)`` for two models scored on the SAME cases.

    Why paired: both models see the same easy and hard cases, so their metrics rise and fall together from
    one resample to the next. Resampling the cases once and scoring both models on that resample keeps this
    correlation, and the interval of the *difference* is then much narrower than two separate intervals
    suggest (two overlapping intervals are no evidence of "no difference"). Returns a dict with ``a``, ``b``,
    ``diff`` (on all cases), ``low``/``high`` (percentile ``1 - alpha`` interval of the difference),
    ``p_value`` (two-sided: twice the smaller share of resampled differences on either side of 0, at most 1)
    and ``n_boot`` (resamples used; single-class resamples are skipped as in :func:`bootstrap_ci`).
    """
    if not callable(metric_fn):
        raise TypeError("metric_fn must be a function metric_fn(y_true, y_score) -> float, e.g. roc_auc_score.")
    yt = _check_labels(y_true)
    a = _check_probs(score_a, "score_a", n=yt.shape[0], unit=False)
    b = _check_probs(score_b, "score_b", n=yt.shape[0], unit=False)
    if int(n_boot) < 100:
        raise ValueError(f"n_boot={n_boot} is too few for a percentile interval; use at least 100 (2000 is usual).")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), e.g. 0.05 for a 95 % interval; got {alpha!r}.")
    _check_both_classes(yt, "comparing two models")
    point_a, point_b = float(metric_fn(yt, a)), float(metric_fn(yt, b))
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, yt.shape[0], size=yt.shape[0])
        if yt[idx].min() == yt[idx].max():
            continue
        diffs.append(float(metric_fn(yt[idx], a[idx])) - float(metric_fn(yt[idx], b[idx])))
    d = np.asarray(diffs)
    d = d[np.isfinite(d)]
    if d.size < 0.9 * int(n_boot):
        raise ValueError("more than 10 % of the resamples gave an undefined metric: use more cases.")
    low, high = np.quantile(d, [alpha / 2, 1 - alpha / 2])
    p_value = min(1.0, 2 * min(float(np.mean(d <= 0)), float(np.mean(d >= 0))))
    return {
        "a": point_a,
        "b": point_b,
        "diff": point_a - point_b,
        "low": float(low),
        "high": float(high),
        "p_value": p_value,
        "n_boot": int(d.size),
    }
