"""Tests for medtutor.metrics: every metric is checked against scikit-learn or a hand-computed case."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from medtutor import metrics as M


def _toy(n: int = 300, seed: int = 0):
    """Labels with ~40 % positives and informative but imperfect scores in [0, 1]."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    score = 1 / (1 + np.exp(-(1.5 * (2 * y - 1) + rng.normal(0, 1.2, n))))
    return y, score


# --------------------------------------------------------------------------- confusion / clinical
def test_confusion_counts_matches_sklearn():
    y, p = _toy()
    pred = (p >= 0.5).astype(int)
    c = M.confusion_counts(y, pred)
    tn, fp, fn, tp = confusion_matrix(y, pred).ravel()
    assert c == {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    assert all(isinstance(v, int) for v in c.values())


def test_confusion_counts_small_hand_case():
    c = M.confusion_counts([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert c == {"tp": 2, "fp": 1, "tn": 1, "fn": 1}


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.7])
def test_clinical_metrics_match_sklearn(threshold):
    y, p = _toy(seed=1)
    pred = (p >= threshold).astype(int)
    m = M.clinical_metrics(y, p, threshold)
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["sensitivity"] == pytest.approx(recall_score(y, pred))
    assert m["specificity"] == pytest.approx(recall_score(y, pred, pos_label=0))
    assert m["ppv"] == pytest.approx(precision_score(y, pred))
    assert m["npv"] == pytest.approx(precision_score(y, pred, pos_label=0))
    assert m["f1"] == pytest.approx(f1_score(y, pred))


def test_clinical_metrics_accepts_column_vectors():
    y, p = _toy()
    assert M.clinical_metrics(y[:, None], p[:, None]) == M.clinical_metrics(y, p)


def test_clinical_metrics_undefined_ratio_is_nan():
    m = M.clinical_metrics([0, 1, 1], [0.1, 0.2, 0.3], threshold=0.9)  # nobody called positive
    assert np.isnan(m["ppv"])
    assert m["sensitivity"] == 0.0 and m["specificity"] == 1.0


def test_macc_is_balanced_accuracy():
    y, p = _toy(seed=2)
    pred = (p >= 0.5).astype(int)
    assert M.macc(y, pred) == pytest.approx(balanced_accuracy_score(y, pred))
    assert M.macc(y, np.ones_like(y)) == pytest.approx(0.5)  # always "disease" scores 0.5


# --------------------------------------------------------------------------- thresholds
def test_youden_threshold_maximises_j():
    y, p = _toy(seed=3)
    t = M.youden_threshold(y, p)
    fpr, tpr, _thr = roc_curve(y, p)
    best = np.max(tpr - fpr)
    m = M.clinical_metrics(y, p, t)
    assert m["sensitivity"] + m["specificity"] - 1 == pytest.approx(best)
    assert t in set(p)


def test_threshold_for_sensitivity_is_highest_reaching_target():
    y, p = _toy(seed=4)
    for target in (0.8, 0.95, 1.0):
        t = M.threshold_for_sensitivity(y, p, target)
        assert M.clinical_metrics(y, p, t)["sensitivity"] >= target
        higher = p[p > t]
        if higher.size:  # the next higher score no longer reaches the target
            assert M.clinical_metrics(y, p, higher.min())["sensitivity"] < target


def test_ppv_at_prevalence_bayes():
    # sens 0.9, spec 0.9, prevalence 1 %: PPV = 0.009 / (0.009 + 0.099) = 1/12.
    assert M.ppv_at_prevalence(0.9, 0.9, 0.01) == pytest.approx(1 / 12)
    assert isinstance(M.ppv_at_prevalence(0.9, 0.9, 0.01), float)
    # At the test set's own prevalence it equals the measured PPV.
    y, p = _toy(seed=5)
    m = M.clinical_metrics(y, p, 0.5)
    assert M.ppv_at_prevalence(m["sensitivity"], m["specificity"], y.mean()) == pytest.approx(m["ppv"])
    arr = M.ppv_at_prevalence(0.9, 0.9, np.array([0.01, 0.1, 0.5]))
    assert arr.shape == (3,) and np.all(np.diff(arr) > 0)


# --------------------------------------------------------------------------- bootstrap
def test_bootstrap_ci_reproducible_and_contains_point():
    y, p = _toy(seed=6)
    a = M.bootstrap_ci(roc_auc_score, y, p, n_boot=200, seed=1)
    b = M.bootstrap_ci(roc_auc_score, y, p, n_boot=200, seed=1)
    assert a == b
    point, low, high = a
    assert point == pytest.approx(roc_auc_score(y, p))
    assert low < point < high
    assert high - low < 0.2


def test_bootstrap_ci_skips_single_class_resamples():
    y = np.array([0] * 20 + [1])
    p = np.linspace(0, 1, 21)
    with pytest.raises(ValueError, match="undefined"):
        M.bootstrap_ci(roc_auc_score, y, p, n_boot=200)


# --------------------------------------------------------------------------- calibration
def test_ece_hand_case_and_perfect_calibration():
    # Two bins: [0.1, 0.1] with labels [0, 0] (gap 0.1) and [0.9, 0.9] with labels [1, 0] (gap 0.4).
    y = [0, 0, 1, 0]
    p = [0.1, 0.1, 0.9, 0.9]
    assert M.expected_calibration_error(y, p, n_bins=10) == pytest.approx(0.5 * 0.1 + 0.5 * 0.4)
    rng = np.random.default_rng(0)
    q = rng.random(200_000)
    yy = (rng.random(q.size) < q).astype(int)  # labels drawn from the probabilities: calibrated
    assert M.expected_calibration_error(yy, q) < 0.01


def test_reliability_bins_match_sklearn_calibration_curve():
    from sklearn.calibration import calibration_curve

    y, p = _toy(seed=7)
    r = M.reliability_bins(y, p, n_bins=5)
    frac, mean = calibration_curve(y, p, n_bins=5, strategy="uniform")
    used = r["count"] > 0
    np.testing.assert_allclose(r["frac_pos"][used], frac)
    np.testing.assert_allclose(r["mean_prob"][used], mean)
    assert r["count"].sum() == len(y)


def test_prob_to_logit_inverts_sigmoid():
    z = np.array([-5.0, -0.3, 0.0, 2.0])
    np.testing.assert_allclose(M.prob_to_logit(1 / (1 + np.exp(-z))), z, atol=1e-9)
    assert np.all(np.isfinite(M.prob_to_logit([0.0, 1.0])))


def test_fit_temperature_recovers_known_temperature():
    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 2, 20_000)
    y = (rng.random(true_logit.size) < 1 / (1 + np.exp(-true_logit))).astype(int)
    t = M.fit_temperature(3.0 * true_logit, y)  # over-confident by a factor 3
    assert t == pytest.approx(3.0, rel=0.05)
    # It minimises the log loss: nearby temperatures do worse.
    z = 3.0 * true_logit
    best = log_loss(y, M.apply_temperature(z, t))
    assert best <= log_loss(y, M.apply_temperature(z, t * 1.1))
    assert best <= log_loss(y, M.apply_temperature(z, t / 1.1))
    # A temperature never changes the ranking.
    assert roc_auc_score(y, M.apply_temperature(z, t)) == pytest.approx(roc_auc_score(y, z))


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: M.confusion_counts([0, 1, 2], [0, 1, 1]), "only 0 and 1"),
        (
            lambda: M.confusion_counts([0, 1, 1], [0.2, 0.7, 0.9]),
            "threshold them first",
        ),
        (lambda: M.confusion_counts([0, 1, 1], [0, 1]), "aligned"),
        (lambda: M.clinical_metrics([0, 1], [0.2, np.nan]), "NaN"),
        (
            lambda: M.clinical_metrics([0, 1], [[0.2, 0.8], [0.3, 0.7]]),
            r"probs\[:, 1\]",
        ),
        (lambda: M.clinical_metrics([0, np.nan], [0.2, 0.8]), "NaN"),
        (lambda: M.clinical_metrics([], []), "empty"),
        (lambda: M.clinical_metrics([0, 1], [0.2, 0.8], threshold=np.nan), "finite"),
        (lambda: M.youden_threshold([1, 1, 1], [0.2, 0.5, 0.8]), "both classes"),
        (
            lambda: M.threshold_for_sensitivity([0, 1], [0.2, 0.8], target=95),
            "fraction",
        ),
        (lambda: M.ppv_at_prevalence(0.9, 0.9, 1.5), "prevalence"),
        (
            lambda: M.bootstrap_ci(roc_auc_score, [0, 1], [0.2, 0.8], n_boot=10),
            "at least 100",
        ),
        (lambda: M.bootstrap_ci(roc_auc_score, [0, 1], [0.2, 0.8], alpha=5), "alpha"),
        (lambda: M.bootstrap_ci("auc", [0, 1], [0.2, 0.8]), "metric_fn"),
        (lambda: M.expected_calibration_error([0, 1], [-0.2, 3.0]), "sigmoid"),
        (lambda: M.expected_calibration_error([0, 1], [0.2, 0.8], n_bins=0), "n_bins"),
        (lambda: M.apply_temperature([0.0, 1.0], 0.0), "positive"),
        (lambda: M.fit_temperature([0.0, 1.0, 2.0], [1, 1, 1]), "both classes"),
        (lambda: M.clinical_metrics(["a", "b"], [0.2, 0.8]), "0/1"),
    ],
)
def test_bad_input_raises_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_fit_temperature_warns_on_probabilities():
    y, p = _toy(seed=8)
    with pytest.warns(UserWarning, match="prob_to_logit"):
        M.fit_temperature(p, y)


# --------------------------------------------------------------------------- threshold widget callback (notebook 08)
def test_threshold_view_counts_and_caption():
    from medtutor.widgets import threshold_view

    y, p = _toy(seed=9)
    numbers, caption = threshold_view(y, p, 0.5)
    tn, fp, fn, tp = confusion_matrix(y, (p >= 0.5).astype(int)).ravel()
    assert (numbers["tp"], numbers["fp"], numbers["tn"], numbers["fn"]) == (tp, fp, tn, fn)
    assert numbers["sensitivity"] == pytest.approx(recall_score(y, p >= 0.5))
    assert f"{fn} of {tp + fn} diseased missed" in caption and f"{fp} of {tn + fp} healthy alarmed" in caption
    # Raising the threshold can only lower sensitivity and raise specificity.
    low, _ = threshold_view(y, p, 0.2)
    high, _ = threshold_view(y, p, 0.8)
    assert low["sensitivity"] >= high["sensitivity"] and low["specificity"] <= high["specificity"]


def test_threshold_view_and_figure_bad_input():
    from medtutor.widgets import threshold_figure, threshold_view

    y, p = _toy(seed=10)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        threshold_view(y, p, 1.5)
    with pytest.raises(ValueError, match="aligned"):
        threshold_view(y, p[:-1], 0.5)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = threshold_figure(y, p, 0.3, class_names=("normal", "pneumonia"))
    assert len(fig.axes) == 2
    plt.close(fig)


# --------------------------------------------------------------------------- paired bootstrap of a difference
def _two_correlated_models(n=300, seed=0):
    """Two models sharing most of their score (the case's difficulty): the setting where pairing matters."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    shared = y * 1.0 + rng.normal(0, 1.0, n)
    a = shared + rng.normal(0, 0.2, n)
    b = shared + rng.normal(0, 0.2, n)
    return y, a, b


def test_paired_bootstrap_diff_identical_models_give_zero():
    y, a, _ = _two_correlated_models()
    out = M.paired_bootstrap_diff(roc_auc_score, y, a, a, n_boot=200)
    assert out["diff"] == 0 and out["low"] == 0 and out["high"] == 0 and out["p_value"] == 1.0


def test_paired_bootstrap_diff_detects_a_clearly_better_model():
    y, a, _ = _two_correlated_models()
    rng = np.random.default_rng(1)
    worse = a + rng.normal(0, 2.0, len(a))  # the same scores drowned in noise
    out = M.paired_bootstrap_diff(roc_auc_score, y, a, worse, n_boot=500, seed=3)
    assert out["diff"] == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, worse))
    assert 0 < out["low"] < out["diff"] < out["high"] and out["p_value"] < 0.01
    again = M.paired_bootstrap_diff(roc_auc_score, y, a, worse, n_boot=500, seed=3)
    assert again == out  # seeded: reproducible


def test_paired_interval_is_narrower_than_separate_intervals():
    y, a, b = _two_correlated_models()
    out = M.paired_bootstrap_diff(roc_auc_score, y, a, b, n_boot=500)
    _, lo_a, hi_a = M.bootstrap_ci(roc_auc_score, y, a, n_boot=500)
    _, lo_b, hi_b = M.bootstrap_ci(roc_auc_score, y, b, n_boot=500, seed=1)
    unpaired_half_width = np.hypot(hi_a - lo_a, hi_b - lo_b) / 2  # what independent intervals would suggest
    assert (out["high"] - out["low"]) / 2 < 0.5 * unpaired_half_width


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: M.paired_bootstrap_diff(roc_auc_score, [0, 1, 1], [0.1, 0.9, 0.8], [0.2, 0.7]), "aligned"),
        (lambda: M.paired_bootstrap_diff(roc_auc_score, [0, 1], [0.1, 0.9], [0.2, 0.7], n_boot=10), "n_boot"),
        (lambda: M.paired_bootstrap_diff(roc_auc_score, [1, 1], [0.1, 0.9], [0.2, 0.7]), "both classes|two classes"),
        (lambda: M.paired_bootstrap_diff("auc", [0, 1], [0.1, 0.9], [0.2, 0.7]), "metric_fn"),
        (lambda: M.paired_bootstrap_diff(roc_auc_score, [0, 1], [0.1, 0.9], [0.2, 0.7], alpha=2), "alpha"),
    ],
)
def test_paired_bootstrap_diff_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
