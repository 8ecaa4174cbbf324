"""Checks for the exercises of notebook 06."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "06.1",
    "Parameters of a convolution",
    hint="Each of the c_out filters has kernel_size * kernel_size * c_in weights, plus one bias.",
    wrong=[
        lambda k, c_in, c_out: k * k * c_in * c_out,
        lambda k, c_in, c_out: (k * k + 1) * c_out,
        lambda k, c_in, c_out: (k * c_in + 1) * c_out,
    ],
)
def _check_06_1(answer: Any) -> str | None:
    for k, c_in, c_out in [(3, 1, 32), (3, 32, 64), (5, 3, 16), (1, 64, 8)]:
        expected = (k * k * c_in + 1) * c_out
        got = call(answer, k, c_in, c_out)
        if not isinstance(got, (int, np.integer, float)) or got != expected:
            return f"for a {k}x{k} kernel, {c_in} input and {c_out} output channels your count is {got!r}."
    return None


def _bce_unclipped(y: Any, p: Any) -> float:
    """A known-wrong answer for 06.2: no clipping, so p of exactly 0 or 1 gives an infinite loss."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _bce_reference(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


@exercise(
    "06.2",
    "Binary cross-entropy",
    hint="Average -(y log p + (1 - y) log(1 - p)) over the cases, after clipping p away from 0 and 1.",
    wrong=[
        lambda y, p: float(np.mean(-(np.asarray(y) * np.log(np.clip(p, 1e-7, 1 - 1e-7))))),
        lambda y, p: float(np.sum(-(np.asarray(y) * np.log(p) + (1 - np.asarray(y)) * np.log(1 - np.asarray(p))))),
        lambda y, p: _bce_unclipped(y, p),
    ],
)
def _check_06_2(answer: Any) -> str | None:
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(6)
    y = (rng.random(50) < 0.6).astype(float)
    p = rng.uniform(0.05, 0.95, 50)
    got = call(answer, y.copy(), p.copy())
    if not close(got, log_loss(y, p), 1e-6):
        return "on 50 random cases your loss differs from the reference mean binary cross-entropy."
    y2, p2 = np.array([1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])  # confident mistakes: needs clipping
    got = call(answer, y2.copy(), p2.copy())
    if not np.isfinite(float(got)) or not close(got, _bce_reference(y2, p2), 1e-4):
        return "with probabilities of exactly 0 or 1 your loss is not finite or not clipped like Keras (1e-7)."
    return None


@exercise(
    "06.3",
    "Accuracy at a validation threshold",
    hint="Call a case positive when p >= threshold, then compare with y_true and take the mean.",
    wrong=[
        lambda y, p, t: float(np.mean((np.asarray(p) > t) == (np.asarray(y) == 1))),
        lambda y, p, t: float(np.mean((np.asarray(p) >= 0.5) == (np.asarray(y) == 1))),
        lambda y, p, t: float(np.mean(np.asarray(p)[np.asarray(y) == 1] >= t)),
    ],
)
def _check_06_3(answer: Any) -> str | None:
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(7)
    y = (rng.random(60) < 0.7).astype(int)
    p = np.round(rng.random(60), 1)  # ties with the threshold on purpose
    for t in (0.3, 0.5, 0.8):
        got = call(answer, y.copy(), p.copy(), t)
        if not close(got, accuracy_score(y, p >= t), 1e-9):
            return (
                f"at threshold {t} your accuracy {float(got):.3f} is not right: use the threshold given, compare "
                "with the labels, and count p exactly equal to the threshold as positive."
            )
    return None
