"""Checks for the exercises of notebook 12."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _ref_grad_cam_12(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    return np.maximum((A * dA.mean(axis=(0, 1))).sum(axis=-1), 0)


@exercise(
    "12.1",
    "Grad-CAM from arrays",
    hint="One weight per channel: the MEAN of dA over the two spatial axes; weighted sum over channels; then ReLU.",
    wrong=[
        lambda A, dA: (A * dA.mean(axis=(0, 1))).sum(axis=-1),
        lambda A, dA: np.maximum((A * dA.sum(axis=(0, 1))).sum(axis=-1), 0),
        lambda A, dA: np.maximum((A * dA).sum(axis=-1), 0),
    ],
)
def _check_12_1(answer: Any) -> str | None:
    rng = np.random.default_rng(12)
    for shape in [(7, 7, 5), (3, 4, 2)]:
        A = rng.random(shape)
        dA = rng.normal(size=shape)
        got = np.asarray(call(answer, A, dA), dtype=float)
        if got.shape != shape[:2]:
            return f"for A of shape {shape} the map must have shape {shape[:2]}, got {got.shape}."
        if np.any(got < 0):
            return "the map has negative values: Grad-CAM keeps only what speaks FOR the class."
        if not close(got, _ref_grad_cam_12(A, dA), tol=1e-8):
            return "the values are off: check how the channel weights are computed from dA."
    return None


@exercise(
    "12.2",
    "Integrated gradients",
    hint="Evaluate grad_fn at baseline + a * (x - baseline) for a = 0, 1/steps, ..., 1; average neighbours "
    "(trapezoid), then multiply by (x - baseline).",
    wrong=[
        lambda grad_fn, x, baseline, steps: grad_fn(x) * (x - baseline),
        lambda grad_fn, x, baseline, steps: np.mean(
            [grad_fn(baseline + a * (x - baseline)) for a in np.linspace(0, 1, steps + 1)], axis=0
        ),
        lambda grad_fn, x, baseline, steps: (
            x * np.mean([grad_fn(a * x) for a in np.linspace(0, 1, steps + 1)[1:]], axis=0)
        ),
    ],
)
def _check_12_2(answer: Any) -> str | None:
    # f(z) = sum(z**3) has gradient 3 z**2; the exact IG from b to x is (x - b) * mean over the path
    grad_fn = lambda z: 3.0 * np.asarray(z, dtype=float) ** 2  # noqa: E731
    x = np.array([0.5, -1.0, 2.0, 0.0])
    for baseline in [np.zeros(4), np.array([0.2, 0.1, -0.5, 1.0])]:
        got = np.asarray(call(answer, grad_fn, x, baseline, 200), dtype=float)
        if got.shape != x.shape:
            return f"return one attribution per element of x {x.shape}, got shape {got.shape}."
        gap = np.sum(x**3) - np.sum(baseline**3)
        if abs(got.sum() - gap) > 1e-3 * max(1.0, abs(gap)):
            return "completeness fails: the attributions do not add up to f(x) - f(baseline)."
        d = x - baseline
        exact = d * (3 * baseline**2 + 3 * baseline * d + d**2)  # (x-b) * integral_0^1 3(b + a d)^2 da
        if not close(got, exact, tol=1e-3):
            return "the total is right but the attribution per element is not."
    return None


@exercise(
    "12.3",
    "Share of a map in the corner",
    hint="Divide the sum of heatmap[:size, :size] by the sum of the whole map; guard the all-zero map.",
    wrong=[
        lambda heatmap, size: float(heatmap[:size, :size].mean()),
        lambda heatmap, size: float(heatmap[:size, :size].sum() / heatmap.size),
        lambda heatmap, size: float(heatmap[-size:, -size:].sum() / max(heatmap.sum(), 1e-12)),
    ],
)
def _check_12_3(answer: Any) -> str | None:
    rng = np.random.default_rng(3)
    m = rng.random((28, 28))
    for heat, size in [(m, 6), (m**4, 3), (np.pad(np.ones((2, 2)), ((0, 5), (0, 5))), 2)]:
        got = call(answer, heat, size)
        if not close(got, heat[:size, :size].sum() / heat.sum(), tol=1e-9):
            return f"for a {heat.shape} map and size {size} the share is off."
    try:
        zero = call(answer, np.zeros((5, 5)), 2)
    except ZeroDivisionError:
        return "an all-zero map raised ZeroDivisionError; return 0.0 for it."
    if not close(zero, 0.0):
        return "an all-zero map has no mass anywhere: return 0.0."
    return None
