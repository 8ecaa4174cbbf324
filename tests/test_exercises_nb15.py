"""Notebook 03's checks: reference answers pass, the forum bug and half-fixes are refused with targeted feedback."""

from __future__ import annotations

import numpy as np
import pytest

from medtutor import exercises
from medtutor.exercises import nb03


@pytest.fixture(autouse=True)
def _not_strict(monkeypatch):
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)


def _keras_free_bn_moving_mean(calls: int, momentum: float = 0.99, batch_mean: float = 10.0) -> float:
    """Simulate the moving-mean update call by call (independent of the closed form the check uses)."""
    moving = 0.0
    for _ in range(calls):
        moving = momentum * moving + (1 - momentum) * batch_mean
    return moving


def test_15_1_reference_passes_and_wrong_predictions_get_feedback(capsys):
    right = {"after_1": _keras_free_bn_moving_mean(1), "after_100": _keras_free_bn_moving_mean(100)}
    assert exercises.check("03.1", lambda: right)
    assert not exercises.check("03.1", lambda: {"after_1": 0.1, "after_100": 6.0})
    assert "after 100" in capsys.readouterr().out
    assert not exercises.check("03.1", lambda: [0.1, 6.34])
    assert "dict" in capsys.readouterr().out


def _finite_difference_grads(X, y, W1, b1, W2, b2, eps=1e-6):
    """Central finite differences of the mean BCE: an independent reference for the backprop check."""

    def loss(params):
        w1, c1, w2, c2 = params
        z = (np.maximum(X @ w1 + c1, 0) @ w2 + c2)[:, 0]
        return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))  # stable for large |z|

    params = [W1, b1, W2, b2]
    grads = []
    for i, array in enumerate(params):
        g = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            plus = [a.copy() for a in params]
            minus = [a.copy() for a in params]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (loss(plus) - loss(minus)) / (2 * eps)
        grads.append(g)
    return grads


def test_15_2_reference_gradients_match_finite_differences():
    for case in nb03._cases_15_2():
        for analytic, numeric in zip(nb03._reference_grads(*case), _finite_difference_grads(*case)):
            assert np.allclose(analytic, numeric, atol=1e-7)


def test_15_2_reference_passes_and_the_forum_bug_is_located(capsys):
    assert exercises.check("03.2", nb03._reference_grads)
    assert not exercises.check("03.2", nb03._forum_grads)
    out = capsys.readouterr().out
    assert "dW1" in out  # the first wrong gradient is named, the fix is not given
    assert not exercises.check("03.2", lambda *a: nb03._forum_grads(*a, mean_fix=True))
    assert "dW1" in capsys.readouterr().out  # the ReLU mask is still missing
    assert not exercises.check("03.2", lambda *a: nb03._forum_grads(*a, relu_fix=True))
    assert "dW2" in capsys.readouterr().out  # the 1/n of the output layer is still missing
    assert not exercises.check("03.2", lambda *a: nb03._reference_grads(*a)[:3])
    assert "tuple" in capsys.readouterr().out


def test_15_2_every_case_has_inactive_relu_units():
    for X, _, W1, b1, _, _ in nb03._cases_15_2():
        assert np.any(X @ W1 + b1 <= 0)  # otherwise a missing ReLU mask would go unnoticed


def test_15_3_reference_counts_and_feedback(capsys):
    gd, momentum = nb03._steps_to_tolerance(0.0), nb03._steps_to_tolerance(0.9)
    assert momentum < gd  # the lesson's claim: momentum crosses the valley faster
    assert exercises.check("03.3", lambda: {"gd": gd, "momentum": momentum})
    assert not exercises.check("03.3", lambda: {"gd": float(gd), "momentum": momentum})
    assert "int" in capsys.readouterr().out
    assert not exercises.check("03.3", lambda: {"gd": momentum, "momentum": gd})
    assert "looks like the count" in capsys.readouterr().out
    assert not exercises.check("03.3", lambda: (gd, momentum))


def test_15_3_reference_stops_at_the_first_step_below_tolerance():
    theta, v, curvature = np.array(nb03._START), np.zeros(2), np.array([1.0, nb03._KAPPA])
    values = []
    for _ in range(nb03._steps_to_tolerance(0.9) + 1):
        values.append(0.5 * float(np.sum(curvature * theta**2)))
        v = 0.9 * v - nb03._LR * curvature * theta
        theta = theta + v
    assert values[-1] < 1e-6 and all(f >= 1e-6 for f in values[:-1])


def test_15_4_letter_answers(capsys):
    assert exercises.check("03.4", lambda: "c")
    assert exercises.check("03.4", lambda: " C ")
    for letter in ("a", "b", "d"):
        assert not exercises.check("03.4", lambda letter=letter: letter)
        assert "Hint:" in capsys.readouterr().out
    assert not exercises.check("03.4", lambda: "e")
    assert "one letter" in capsys.readouterr().out
