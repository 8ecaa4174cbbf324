"""Tests of medtutor.fairness against hand-counted small cases, and its errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from medtutor import fairness

# Group "a": 4 diseased (3 found), 2 healthy (1 false alarm). Group "b": 2 diseased (1 found), 4 healthy.
Y_TRUE = np.array([1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0])
GROUPS = np.array(["a"] * 6 + ["b"] * 6)


def test_group_metrics_by_hand():
    m = fairness.group_metrics(Y_TRUE, Y_PRED, GROUPS)
    assert list(m) == ["a", "b"]
    assert m["a"]["n"] == 6 and m["a"]["positives"] == 4
    assert m["a"]["sensitivity"] == pytest.approx(3 / 4)
    assert m["a"]["fpr"] == pytest.approx(1 / 2)
    assert m["a"]["specificity"] == pytest.approx(1 / 2)
    assert m["a"]["ppv"] == pytest.approx(3 / 4)
    assert m["a"]["positive_rate"] == pytest.approx(4 / 6)
    assert m["b"]["sensitivity"] == pytest.approx(1 / 2)
    assert m["b"]["fpr"] == 0 and m["b"]["prevalence"] == pytest.approx(2 / 6)


def test_gaps_by_hand():
    assert fairness.equal_opportunity_difference(Y_TRUE, Y_PRED, GROUPS) == pytest.approx(0.25)
    assert fairness.equalized_odds_difference(Y_TRUE, Y_PRED, GROUPS) == pytest.approx(0.5)
    assert fairness.demographic_parity_difference(Y_PRED, GROUPS) == pytest.approx(4 / 6 - 1 / 6)


def test_matches_sklearn_recall_per_group():
    from sklearn.metrics import recall_score

    rng = np.random.default_rng(0)
    y, p, g = rng.integers(0, 2, 300), rng.integers(0, 2, 300), rng.integers(0, 3, 300)
    m = fairness.group_metrics(y, p, g)
    tprs = [recall_score(y[g == k], p[g == k]) for k in range(3)]
    for k in range(3):
        assert m[k]["sensitivity"] == pytest.approx(tprs[k])
    assert fairness.equal_opportunity_difference(y, p, g) == pytest.approx(max(tprs) - min(tprs))


def test_equal_groups_give_zero_and_columns_are_accepted():
    g = np.array(["x", "x", "y", "y"])
    y = np.array([1, 0, 1, 0])
    assert fairness.equal_opportunity_difference(y[:, None], y[:, None], g) == 0.0


def test_clear_errors():
    with pytest.raises(ValueError, match="undefined in group"):
        fairness.equal_opportunity_difference([1, 0, 0], [1, 0, 0], ["a", "b", "b"])
    with pytest.raises(ValueError, match="at least two groups"):
        fairness.equal_opportunity_difference([1, 0], [1, 0], ["a", "a"])
    with pytest.raises(ValueError, match="probabilities"):
        fairness.group_metrics([1, 0], [0.7, 0.2], ["a", "b"])
    with pytest.raises(ValueError, match="aligned"):
        fairness.group_metrics([1, 0, 1], [1, 0], ["a", "b", "b"])
    with pytest.raises(ValueError, match="aligned"):
        fairness.group_metrics([1, 0], [1, 0], ["a"])
    with pytest.raises(ValueError, match="NaN"):
        fairness.group_metrics([1, 0], [1, 0], [1.0, np.nan])
    with pytest.raises(ValueError, match="None"):
        fairness.group_metrics([1, 0], [1, 0], np.array(["a", None], dtype=object))
    with pytest.raises(ValueError, match="1-D"):
        fairness.group_metrics(np.zeros((2, 2)), [1, 0], ["a", "b"])
    with pytest.raises(ValueError, match="empty"):
        fairness.group_metrics([], [], [])
    with pytest.raises(TypeError, match="numbers"):
        fairness.group_metrics(["yes", "no"], [1, 0], ["a", "b"])
    with pytest.raises(ValueError, match="only 0 and 1"):
        fairness.group_metrics([2, 0], [1, 0], ["a", "b"])
