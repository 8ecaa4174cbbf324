"""Checks for the exercises of notebook 10."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "10.1",
    "Dice by hand",
    hint="Count the pixels in both masks (logical AND), double it, divide by the total of both masks' pixels.",
    wrong=[
        lambda p, t: np.logical_and(p, t).sum() / max(np.logical_or(p, t).sum(), 1),  # Jaccard (IoU)
        lambda p, t: 2.0 * np.logical_and(p, t).sum() / max(np.asarray(p).sum() + np.asarray(t).sum(), 1),  # empty -> 0
        lambda p, t: float(np.mean(np.asarray(p, bool) == np.asarray(t, bool))),  # pixel accuracy
    ],
)
def _check_10_1(answer: Any) -> str | None:
    rng = np.random.default_rng(101)
    cases = [(rng.random((20, 16)) > 0.7, rng.random((20, 16)) > 0.6) for _ in range(3)]
    tiny_true = np.zeros((10, 10), bool)
    tiny_true[2:4, 2:4] = True
    cases.append((np.zeros((10, 10), bool), tiny_true))  # missed lesion: 0
    cases.append((tiny_true.copy(), tiny_true))  # perfect: 1
    for pred, true in cases:
        total = pred.sum() + true.sum()
        expected = 2.0 * np.logical_and(pred, true).sum() / total
        got = call(answer, pred.copy(), true.copy())
        if not close(got, expected, 1e-9):
            return f"wrong Dice for masks with {int(pred.sum())} and {int(true.sum())} pixels."
    empty = np.zeros((5, 5), bool)
    got = call(answer, empty.copy(), empty.copy())
    if not close(got, 1.0, 1e-9):
        return "two empty masks agree perfectly: Dice should be 1.0 there (and never a division by zero)."
    return None


@exercise(
    "10.2",
    "ADC from two acquisitions",
    hint="Invert S_b = S_0 exp(-b ADC): take the logarithm of S_0 / S_b and divide by b.",
    wrong=[
        lambda s0, sb, b: np.log(np.asarray(sb) / np.asarray(s0)) / b,  # sign flipped
        lambda s0, sb, b: (np.asarray(s0) - np.asarray(sb)) / b,  # no logarithm
        lambda s0, sb, b: np.log(np.asarray(s0) / np.asarray(sb)) * b,  # multiplied by b
    ],
)
def _check_10_2(answer: Any) -> str | None:
    rng = np.random.default_rng(102)
    adc = rng.uniform(0.3e-3, 3.0e-3, size=(4, 5))
    s0 = rng.uniform(0.5, 1.0, size=(4, 5))
    for b in (1000.0, 800.0):
        sb = s0 * np.exp(-b * adc)
        got = np.asarray(call(answer, s0.copy(), sb.copy(), b), dtype=float)
        if got.shape != adc.shape:
            return f"expected an array of shape {adc.shape} (one ADC per voxel), got {got.shape}."
        if not close(got, adc, 1e-9):
            return f"the ADC values are wrong at b = {b:g} (expected mm^2/s, about 0.0003-0.003 in tissue)."
    return None
