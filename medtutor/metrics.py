"""Clinical metrics for binary diagnosis: confusion counts, thresholds, bootstrap CIs, calibration.

Notebook 08 teaches every formula here by hand (and checks it against scikit-learn); later
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
# One home for input checks (medtutor._validate); the private names stay for existing callers.
from medtutor._validate import as_1d as _as_1d  # noqa: E402
from medtutor._validate import check_fraction as _check_fraction  # noqa: E402
from medtutor._validate import check_labels as _check_labels  # noqa: E402
from medtutor._validate import check_probs as _check_probs  # noqa: E402
from medtutor._validate import ratio_or_nan as _ratio  # noqa: E402


def _check_both_classes(y: np.ndarray, what: str) -> None:
    if y.min() == y.max():
        raise ValueError(
            f"{what} needs both classes in y_true, but every label is {int(y[0])}; "
            "use a split (validation or test set) that contains positives and negatives."
        )


# --------------------------------------------------------------------------- confusion matrix
def confusion_counts(y_true, y_pred) -> dict[str, int]:
    """Count true/false positives/negatives of hard 0/1 predictions (1 = disease).

    Returns ``dict(tp, fp, tn, fn)``; every metric of notebook 08 is a ratio of these four numbers.
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
    sensitivity. Undefined ratios (zero denominator) are ``nan``. ``y_prob`` must be probabilities in [0, 1]:
    logits are refused (thresholding them at 0.5 would silently report a wrong sensitivity).
    """
    yt = _check_labels(y_true)
    p = _check_probs(y_prob, n=yt.shape[0])  # probabilities only: logits would give a wrong sensitivity
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


# --------------------------------------------------------------------------- decisions beyond AUC (notebook 08)
# Self-contained additions: likelihood ratios, Wilson intervals, DeLong's paired AUC test, net benefit
# (decision curves) and Cohen's kappa. Each is written out in notebook 08 first; tests check them against
# independent references (an O(n^2) DeLong, scikit-learn's AUC and kappa, published Wilson intervals).
__all__ += [
    "cohen_kappa",
    "decision_curve",
    "delong_test",
    "likelihood_ratios",
    "net_benefit",
    "post_test_probability",
    "wilson_interval",
]


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Wilson score interval for a proportion: ``(k / n, lower, upper)`` at level ``1 - alpha``.

    Unlike the textbook ``p +- z sqrt(p (1 - p) / n)`` it never leaves [0, 1] and keeps its coverage when
    ``p`` is near 0 or 1 or ``n`` is small (Wilson 1927; Newcombe 1998). Use it for sensitivity (k = TP,
    n = TP + FN), specificity, PPV or NPV: each is a count of successes out of a count of cases.
    """
    from scipy.stats import norm

    k, m = int(successes), int(n)
    if successes != k or n != m or m < 1 or not 0 <= k <= m:
        raise ValueError(f"need whole numbers 0 <= successes <= n and n >= 1, got successes={successes!r}, n={n!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), e.g. 0.05 for a 95 % interval; got {alpha!r}.")
    z = float(norm.ppf(1 - alpha / 2))
    p = k / m
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z / (1 + z * z / m) * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
    # min/max with p: rounding must not put p outside its own interval when k = 0 or k = n
    return p, float(max(0.0, min(p, centre - half))), float(min(1.0, max(p, centre + half)))


def likelihood_ratios(sensitivity: float, specificity: float) -> dict[str, float]:
    """Positive and negative likelihood ratios: ``LR+ = sens / (1 - spec)``, ``LR- = (1 - sens) / spec``.

    LR+ says how much a positive call multiplies the odds of disease, LR- how much a negative call divides
    them; unlike PPV/NPV they do not depend on prevalence. A zero denominator gives ``inf`` (LR+ when no
    healthy case is alarmed) or ``nan`` (LR- when specificity is 0: a negative call never happens).
    """
    sens = float(_check_fraction(sensitivity, "sensitivity"))
    spec = float(_check_fraction(specificity, "specificity"))
    lr_pos = sens / (1 - spec) if spec < 1 else (float("inf") if sens > 0 else float("nan"))
    lr_neg = (1 - sens) / spec if spec > 0 else float("nan")
    return {"lr_pos": float(lr_pos), "lr_neg": float(lr_neg)}


def post_test_probability(pretest, likelihood_ratio):
    """Probability of disease after a test result, by Bayes in odds form.

    ``post-test odds = pre-test odds x LR`` with ``odds = p / (1 - p)``: a clinician's prior belief (the
    prevalence where the patient is seen) updated by the result's likelihood ratio. Scalars or arrays.
    """
    p = _check_fraction(pretest, "pretest")
    lr = np.asarray(likelihood_ratio, dtype=np.float64)
    if np.any(np.isnan(lr)) or np.any(lr < 0):
        raise ValueError(f"likelihood_ratio must be >= 0 (from likelihood_ratios), got {likelihood_ratio!r}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(p < 1, p / np.where(p < 1, 1 - p, 1), np.inf) * lr
        out = np.where(np.isinf(odds), 1.0, odds / (1 + odds))
    out = np.where((p == 0) | (lr == 0), 0.0, out)
    return float(out) if out.ndim == 0 else out


def _placements(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components via midranks (Sun & Xu 2014): V10 per positive, V01 per negative.

    V10_i = share of negatives scored below positive i (ties count one half); V01_j = share of positives
    scored above negative j. Their means are both the AUC.
    """
    from scipy.stats import rankdata

    pos, neg = s[y == 1], s[y == 0]
    m, n = len(pos), len(neg)
    r_all = rankdata(np.concatenate([pos, neg]))
    r_pos, r_neg = rankdata(pos), rankdata(neg)
    v10 = (r_all[:m] - r_pos) / n
    v01 = 1.0 - (r_all[m:] - r_neg) / m
    return v10, v01


def delong_test(y_true, score_a, score_b, alpha: float = 0.05) -> dict[str, float]:
    """DeLong's test for two correlated AUCs: two models scored on the SAME cases (DeLong et al., 1988).

    Returns ``auc_a``, ``auc_b``, ``diff`` (a - b), its standard error ``se``, the ``1 - alpha`` interval
    ``ci_low``/``ci_high`` of the difference, ``z`` and the two-sided ``p_value``. The covariance of the two
    AUCs comes from each case's placement values, so agreement between the models on the same cases
    (which makes their errors correlated) narrows the interval of the difference: a paired comparison.
    """
    from scipy.stats import norm

    y = _check_labels(y_true)
    a = _check_probs(score_a, "score_a", n=len(y), unit=False)
    b = _check_probs(score_b, "score_b", n=len(y), unit=False)
    _check_both_classes(y, "DeLong's test")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), e.g. 0.05; got {alpha!r}.")
    v10 = np.empty((2, int(y.sum())))
    v01 = np.empty((2, int((y == 0).sum())))
    for k, s in enumerate((a, b)):
        v10[k], v01[k] = _placements(y, s)
    aucs = v10.mean(axis=1)
    m, n = v10.shape[1], v01.shape[1]
    if m < 2 or n < 2:
        raise ValueError("DeLong's test needs at least 2 positive and 2 negative cases.")
    cov = np.cov(v10) / m + np.cov(v01) / n
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    diff = float(aucs[0] - aucs[1])
    se = float(np.sqrt(max(var, 0.0)))
    zq = float(norm.ppf(1 - alpha / 2))
    if se == 0:
        z, p_value = (0.0, 1.0) if diff == 0 else (float(np.sign(diff) * np.inf), 0.0)
    else:
        z = diff / se
        p_value = float(2 * norm.sf(abs(z)))
    return {
        "auc_a": float(aucs[0]),
        "auc_b": float(aucs[1]),
        "diff": diff,
        "se": se,
        "ci_low": diff - zq * se,
        "ci_high": diff + zq * se,
        "z": float(z),
        "p_value": p_value,
    }


def net_benefit(y_true, y_prob, threshold_prob) -> np.ndarray | float:
    """Net benefit of treating the cases with ``y_prob >= pt`` (Vickers & Elkin, 2006).

    ``NB = TP / N - FP / N x pt / (1 - pt)``: true positives gained, minus false positives weighted by the
    odds of the threshold probability ``pt``. Choosing ``pt`` states how many false alarms one found case is
    worth ((1 - pt) / pt of them). Scalar or array of thresholds in (0, 1).
    """
    y = _check_labels(y_true)
    p = _check_probs(y_prob, n=len(y))
    pts = np.asarray(threshold_prob, dtype=np.float64)
    if not np.all(np.isfinite(pts)) or np.any(pts <= 0) or np.any(pts >= 1):
        raise ValueError(f"threshold_prob must lie strictly between 0 and 1 (e.g. 0.1), got {threshold_prob!r}.")
    flat = pts.ravel()
    called = p[None, :] >= flat[:, None]
    tp = (called & (y[None, :] == 1)).sum(axis=1)
    fp = (called & (y[None, :] == 0)).sum(axis=1)
    nb = (tp - fp * flat / (1 - flat)) / len(y)
    return float(nb[0]) if pts.ndim == 0 else nb.reshape(pts.shape)


def decision_curve(y_true, y_prob, thresholds=None) -> dict[str, np.ndarray]:
    """Decision-curve analysis: net benefit of the model, of treating everyone and of treating no one.

    ``thresholds`` defaults to 0.01..0.99. Treat-all has ``NB = prev - (1 - prev) pt / (1 - pt)``, treat-none
    ``NB = 0``. A model is useful at ``pt`` only where its curve lies above both.
    """
    y = _check_labels(y_true)
    pts = np.linspace(0.01, 0.99, 99) if thresholds is None else np.asarray(thresholds, dtype=np.float64).ravel()
    model = net_benefit(y, y_prob, pts)
    prev = float(y.mean())
    return {
        "thresholds": pts,
        "model": np.asarray(model),
        "treat_all": prev - (1 - prev) * pts / (1 - pts),
        "treat_none": np.zeros_like(pts),
    }


def cohen_kappa(labels_a, labels_b) -> float:
    """Cohen's kappa between two raters' 0/1 labels of the same cases: ``(p_o - p_e) / (1 - p_e)``.

    ``p_o`` is the observed agreement and ``p_e`` the agreement expected by chance from each rater's own
    rate of positive calls; 1 = perfect agreement, 0 = no better than chance. ``nan`` when ``p_e = 1``.
    """
    a = _check_labels(labels_a, "labels_a")
    b = _check_labels(labels_b, "labels_b")
    if len(a) != len(b):
        raise ValueError(f"labels_a has {len(a)} cases but labels_b has {len(b)}; rate the same cases.")
    p_o = float(np.mean(a == b))
    pa, pb = float(a.mean()), float(b.mean())
    p_e = pa * pb + (1 - pa) * (1 - pb)
    return (p_o - p_e) / (1 - p_e) if p_e < 1 else float("nan")


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
