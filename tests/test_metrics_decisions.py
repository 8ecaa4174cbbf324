"""Tests for the decision metrics of notebook 08: Wilson, likelihood ratios, DeLong, net benefit, kappa.

DeLong's fast midrank implementation is checked against an independent O(n^2) reference written here from
the placement-value definition (DeLong, DeLong & Clarke-Pearson 1988), and its AUCs against scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, roc_auc_score

from medtutor import metrics


# --------------------------------------------------------------------------- reference DeLong, O(n^2)
def _psi(x: float, y: float) -> float:
    """Kernel of the Mann-Whitney statistic: 1 if the positive scores higher, 1/2 on a tie."""
    return 1.0 if x > y else (0.5 if x == y else 0.0)


def _delong_reference(y, a, b):
    """Variance of AUC_a - AUC_b from explicit placement values (double loops, no ranks)."""
    comps = []
    for s in (a, b):
        pos = [s[i] for i in range(len(y)) if y[i] == 1]
        neg = [s[j] for j in range(len(y)) if y[j] == 0]
        v10 = np.array([np.mean([_psi(x, yy) for yy in neg]) for x in pos])
        v01 = np.array([np.mean([_psi(x, yy) for x in pos]) for yy in neg])
        comps.append((v10, v01))
    m, n = len(comps[0][0]), len(comps[0][1])

    def cov(u, v):
        return float(np.sum((u - u.mean()) * (v - v.mean())) / (len(u) - 1))

    (a10, a01), (b10, b01) = comps
    var_a = cov(a10, a10) / m + cov(a01, a01) / n
    var_b = cov(b10, b10) / m + cov(b01, b01) / n
    cov_ab = cov(a10, b10) / m + cov(a01, b01) / n
    return a10.mean(), b10.mean(), var_a + var_b - 2 * cov_ab


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delong_matches_reference_and_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(80) < 0.4).astype(int)
    a = y * 0.8 + rng.normal(0, 0.6, 80)
    b = 0.6 * a + 0.4 * (y * 0.5 + rng.normal(0, 0.6, 80))  # correlated with a, as two models of one task are
    if seed == 2:
        a, b = np.round(a, 1), np.round(b, 1)  # ties: the midrank form must still agree
    res = metrics.delong_test(y, a, b)
    auc_a, auc_b, var = _delong_reference(y, a, b)
    assert res["auc_a"] == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert res["auc_b"] == pytest.approx(roc_auc_score(y, b), abs=1e-12)
    assert res["auc_a"] == pytest.approx(auc_a, abs=1e-12) and res["auc_b"] == pytest.approx(auc_b, abs=1e-12)
    assert res["se"] == pytest.approx(np.sqrt(var), rel=1e-9)
    assert res["ci_low"] < res["diff"] < res["ci_high"] and 0 <= res["p_value"] <= 1


def test_delong_identical_scores_and_strong_difference():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(50), np.zeros(50)].astype(int)
    s = rng.random(100)
    same = metrics.delong_test(y, s, s)
    assert same["diff"] == 0 and same["p_value"] == 1.0
    good = y + rng.normal(0, 0.3, 100)
    res = metrics.delong_test(y, good, s)
    assert res["diff"] > 0.3 and res["p_value"] < 1e-6


def test_delong_bad_input():
    with pytest.raises(ValueError, match="both classes"):
        metrics.delong_test([1, 1, 1], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="aligned"):
        metrics.delong_test([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2])


# --------------------------------------------------------------------------- Wilson
def test_wilson_published_values():
    # Newcombe (1998), Stat Med 17:857, Table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20 -> 0-0.1611
    for k, n, lo, hi in [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611)]:
        p, low, high = metrics.wilson_interval(k, n)
        assert p == k / n and low == pytest.approx(lo, abs=1e-4) and high == pytest.approx(hi, abs=1e-4)


def test_wilson_contains_its_point_at_the_edges():
    for n in (1, 7, 10, 624):
        assert metrics.wilson_interval(n, n)[2] == 1.0 and metrics.wilson_interval(0, n)[1] == 0.0


def test_wilson_bad_input():
    for k, n in [(5, 3), (-1, 10), (1, 0), (1.5, 10)]:
        with pytest.raises(ValueError, match="whole numbers"):
            metrics.wilson_interval(k, n)


# --------------------------------------------------------------------------- likelihood ratios
def test_likelihood_ratios_and_post_test_probability():
    lr = metrics.likelihood_ratios(0.9, 0.8)
    assert lr["lr_pos"] == pytest.approx(4.5) and lr["lr_neg"] == pytest.approx(0.125)
    # post-test probability by odds equals Bayes' PPV at that prevalence
    for prev in (0.01, 0.2, 0.6):
        assert metrics.post_test_probability(prev, lr["lr_pos"]) == pytest.approx(
            metrics.ppv_at_prevalence(0.9, 0.8, prev)
        )
        npv = 1 - metrics.post_test_probability(prev, lr["lr_neg"])
        assert npv == pytest.approx(0.8 * (1 - prev) / (0.8 * (1 - prev) + 0.1 * prev))
    assert metrics.likelihood_ratios(0.5, 1.0)["lr_pos"] == np.inf
    assert metrics.post_test_probability(0.3, np.inf) == 1.0 and metrics.post_test_probability(0.3, 0.0) == 0.0
    with pytest.raises(ValueError, match="likelihood_ratio"):
        metrics.post_test_probability(0.3, -1)
    with pytest.raises(ValueError, match="fraction"):
        metrics.likelihood_ratios(1.2, 0.5)


# --------------------------------------------------------------------------- net benefit
def test_net_benefit_by_hand_and_curves():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.7, 0.2, 0.8, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1])
    # pt = 0.25: called = p >= .25 -> TP 2, FP 2 ; NB = 2/10 - 2/10 * (0.25 / 0.75)
    assert metrics.net_benefit(y, p, 0.25) == pytest.approx(0.2 - 0.2 / 3)
    dc = metrics.decision_curve(y, p, [0.25, 0.5])
    assert dc["model"] == pytest.approx([0.2 - 0.2 / 3, 0.2 - 0.1])
    assert dc["treat_all"] == pytest.approx([0.3 - 0.7 / 3, 0.3 - 0.7])
    assert np.all(dc["treat_none"] == 0)
    # a model predicting 1.0 for everyone is exactly treat-all
    assert metrics.net_benefit(y, np.ones(10), np.array([0.1, 0.4])) == pytest.approx(
        metrics.decision_curve(y, p, [0.1, 0.4])["treat_all"]
    )
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        metrics.net_benefit(y, p, 1.0)


# --------------------------------------------------------------------------- kappa
@pytest.mark.parametrize("seed", [0, 1])
def test_cohen_kappa_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    a = (rng.random(40) < 0.5).astype(int)
    b = np.where(rng.random(40) < 0.7, a, 1 - a)
    assert metrics.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert metrics.cohen_kappa(a, a) == pytest.approx(1.0)


def test_cohen_kappa_bad_input():
    with pytest.raises(ValueError, match="same cases"):
        metrics.cohen_kappa([0, 1], [0, 1, 1])
    assert np.isnan(metrics.cohen_kappa([1, 1], [1, 1]))
