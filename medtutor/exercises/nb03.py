"""Checks for the exercises of notebook 03 (neural networks from the ground up)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise

# --------------------------------------------------------------------------- 15.1 batch norm's moving mean

_BN_MOMENTUM = 0.99  # Keras' default for BatchNormalization
_BATCH_MEAN = 10.0


def _moving_mean_after(calls: int) -> float:
    """Moving mean of a fresh batch-norm layer after ``calls`` training calls on batches of mean 10."""
    return _BATCH_MEAN * (1 - _BN_MOMENTUM**calls)


@exercise(
    "03.1",
    "Predict batch norm's moving mean",
    hint="At each training call the moving mean keeps `momentum` of its old value and takes only the rest from "
    "the batch; it starts at 0.",
    wrong=[
        lambda: {"after_1": 10.0, "after_100": 10.0},  # as if the batch statistics were copied
        lambda: {"after_1": 0.1, "after_100": 10.0},  # linear growth, capped
        lambda: {"after_1": 9.9, "after_100": 10.0},  # momentum and 1 - momentum swapped
        lambda: {"after_1": 0.0, "after_100": 0.0},  # as if training calls did not update it
    ],
)
def _check_15_1(answer: Any) -> str | None:
    got = call(answer)
    if not isinstance(got, dict) or set(got) != {"after_1", "after_100"}:
        return 'return a dict {"after_1": number, "after_100": number}.'
    try:
        values = {k: float(v) for k, v in got.items()}
    except (TypeError, ValueError):
        return "both predictions must be numbers."
    if not close(values["after_1"], _moving_mean_after(1), 0.005):
        return "your prediction after one call is off: what share of the batch mean enters the moving mean?"
    if not close(values["after_100"], _moving_mean_after(100), 0.05):
        return (
            "your prediction after 100 calls is off: the gap to the batch mean shrinks by the same factor at "
            "every call."
        )
    return None


# --------------------------------------------------------------------------- 15.2 find the backprop bug


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _reference_grads(X, y, W1, b1, W2, b2) -> tuple[np.ndarray, ...]:
    """Gradients of the mean binary cross-entropy of a one-hidden-layer ReLU MLP with a sigmoid output."""
    pre = X @ W1 + b1
    hidden = np.maximum(pre, 0)
    delta_out = (_sigmoid(hidden @ W2 + b2)[:, 0] - y)[:, None] / len(y)
    delta_hidden = (delta_out @ W2.T) * (pre > 0)
    return X.T @ delta_hidden, delta_hidden.sum(axis=0), hidden.T @ delta_out, delta_out.sum(axis=0)


def _forum_grads(X, y, W1, b1, W2, b2, mean_fix: bool = False, relu_fix: bool = False):
    """The buggy forum version of notebook 03 (no 1/n on the output gradients, no ReLU mask), optionally half-fixed."""
    pre = X @ W1 + b1
    hidden = np.maximum(pre, 0)
    err = (_sigmoid(hidden @ W2 + b2)[:, 0] - y)[:, None]
    scale = len(y) if mean_fix else 1
    dW2, db2 = hidden.T @ err / scale, err.sum(axis=0) / scale
    back = err @ W2.T
    if relu_fix:
        back = back * (pre > 0)
    return X.T @ back / len(y), back.sum(axis=0) / len(y), dW2, db2


def _cases_15_2() -> list[tuple[np.ndarray, ...]]:
    """Random small problems (several seeds and shapes) with some ReLU units inactive."""
    cases = []
    for seed, (n, d, h) in enumerate([(8, 5, 4), (17, 3, 6), (32, 10, 7), (1, 4, 3)]):
        g = np.random.default_rng(150 + seed)
        X = g.normal(size=(n, d))
        y = g.integers(0, 2, size=n).astype(float)
        W1, b1 = g.normal(size=(d, h)), g.normal(0, 0.5, size=h)
        W2, b2 = g.normal(size=(h, 1)), g.normal(size=1)
        cases.append((X, y, W1, b1, W2, b2))
    return cases


@exercise(
    "03.2",
    "Find the bug in a backward pass",
    hint="Compare each of the four gradients with a finite difference of the mean loss; then ask which factor "
    "of the chain rule each wrong one is missing.",
    wrong=[
        _forum_grads,
        lambda *a: _forum_grads(*a, mean_fix=True),  # only the 1/n fixed
        lambda *a: _forum_grads(*a, relu_fix=True),  # only the ReLU mask fixed
    ],
)
def _check_15_2(answer: Any) -> str | None:
    names = ["dW1", "db1", "dW2", "db2"]
    for k, case in enumerate(_cases_15_2()):
        got = call(answer, *(np.array(a, copy=True) for a in case))
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            return "return a tuple (dW1, db1, dW2, db2)."
        expected = _reference_grads(*case)
        for name, g, e in zip(names, got, expected):
            g = np.asarray(g, dtype=float)
            if g.shape != e.shape:
                return f"{name} should have shape {e.shape} for test problem {k + 1}, got {g.shape}."
            if not close(g, e, 1e-8):
                return f"{name} is wrong on test problem {k + 1} (checked against the mean loss)."
    return None


# --------------------------------------------------------------------------- 15.3 momentum in the narrow valley

_KAPPA, _LR, _START = 100.0, 0.018, (-4.0, 1.0)


def _steps_to_tolerance(mu: float, tol: float = 1e-6, max_steps: int = 100_000) -> int:
    """Updates of heavy-ball momentum (mu = 0: gradient descent) until the bowl's value first drops below tol."""
    theta, v = np.array(_START), np.zeros(2)
    curvature = np.array([1.0, _KAPPA])
    for steps in range(max_steps):
        if 0.5 * float(np.sum(curvature * theta**2)) < tol:
            return steps
        v = mu * v - _LR * curvature * theta
        theta = theta + v
    raise RuntimeError("the reference optimiser did not converge")  # pragma: no cover


@exercise(
    "03.3",
    "Momentum in a narrow valley",
    hint="Count the updates in a loop that stops as soon as f(theta) < 1e-6; use the same learning rate for "
    "both runs and only change the momentum.",
    wrong=[
        lambda: {"gd": _steps_to_tolerance(0.9), "momentum": _steps_to_tolerance(0.0)},  # swapped
        lambda: {"gd": _steps_to_tolerance(0.0), "momentum": _steps_to_tolerance(0.0)},  # momentum not applied
        lambda: {"gd": _steps_to_tolerance(0.0) + 1, "momentum": _steps_to_tolerance(0.9) + 1},  # counts evaluations
    ],
)
def _check_15_3(answer: Any) -> str | None:
    got = call(answer)
    if not isinstance(got, dict) or set(got) != {"gd", "momentum"}:
        return 'return a dict {"gd": number of steps, "momentum": number of steps}.'
    for key, mu in [("gd", 0.0), ("momentum", 0.9)]:
        value = got[key]
        if not isinstance(value, (int, np.integer)):
            return f"the {key!r} count must be an int, got {type(value).__name__}."
        if value != _steps_to_tolerance(mu):
            other = "momentum" if key == "gd" else "gd"
            if value == _steps_to_tolerance(0.9 if key == "gd" else 0.0):
                return f"your {key!r} count looks like the count of the {other!r} run."
            return f"the {key!r} count is not right: check the stopping rule and the learning rate."
    return None


# --------------------------------------------------------------------------- 15.4 a model left in training mode

_TRAINING_MODE_FEEDBACK = {
    "a": "the weights are the same, but in training mode two layers do not behave as they do at inference.",
    "b": "dropout is only half of the story: what does batch normalisation do with a batch holding a single case?",
    "d": "Keras runs batch normalisation in training mode on any batch size; check what the batch statistics are "
    "when the batch holds one case.",
}


@exercise(
    "03.4",
    "A model left in training mode",
    hint="In training mode batch norm standardises with the statistics of the batch itself; work out x - mean "
    "for a batch of one, then follow what is left through dropout.",
    wrong=[lambda: "a", lambda: "b", lambda: "d"],
)
def _check_15_4(answer: Any) -> str | None:
    got = call(answer)
    if not isinstance(got, str) or got.strip().lower() not in ("a", "b", "c", "d"):
        return 'return one letter, "a", "b", "c" or "d".'
    return _TRAINING_MODE_FEEDBACK.get(got.strip().lower())
