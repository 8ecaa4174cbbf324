"""Checks for the exercises of notebook 14."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise
from ._bughunt import bug_hunt_exercise


def _ref_grad_cam_12(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    return np.maximum((A * dA.mean(axis=(0, 1))).sum(axis=-1), 0)


@exercise(
    "14.1",
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


# Exercise 14.2: the lines of the Grad-CAM implementation shown in the notebook, and which of them are wrong.
LINES_12_2 = {"A", "B", "C", "D", "E", "F"}
BUGS_12_2 = {"A", "D", "F"}


bug_hunt_exercise(
    "14.2",
    "Find the bugs in a Grad-CAM implementation",
    hint="Compare each line with section 2's formula and ask two questions: does the change alter the map AFTER "
    "each map is scaled to [0, 1], and does it still work for a case the model is very sure of?",
    lines=LINES_12_2,
    bugs=BUGS_12_2,
    wrong=[set(), {"C"}, {"A", "C", "D", "F"}, {"D", "F"}, {"A", "D"}, {"A", "D", "E", "F"}, "ADF"],
    first=lambda chosen: (
        "one line you chose only multiplies every map by the same positive number: does that survive the scaling?"
        if "C" in chosen
        else None
    ),
)


def _cases_12_3() -> list[tuple[np.ndarray, np.ndarray, int, float, int]]:
    """Signals, occlusion starts, window, noise level and seed: varied lengths, steps and seeds."""
    rng = np.random.default_rng(123)
    return [
        (rng.normal(0, 1, 400).astype(np.float32), np.arange(0, 400 - 50 + 1, 25), 50, 0.01, 0),
        (np.sin(np.linspace(0, 20, 301)), np.arange(0, 301 - 40 + 1, 13), 40, 0.2, 7),
        (rng.uniform(-1, 1, 1000), np.array([0, 100, 960]), 40, 0.05, 3),
    ]


def _noise_rows_ok(got: np.ndarray, signal: np.ndarray, starts: np.ndarray, window: int, std: float) -> str | None:
    """What is wrong with the occluded rows, or None: the window holds fresh noise, the rest is untouched."""
    for k, s in enumerate(starts):
        inside = np.zeros(len(signal), dtype=bool)
        inside[s : s + window] = True
        if not np.allclose(got[k, ~inside], signal[~inside]):
            return f"row {k} changes samples outside its window [{s}, {s + window})."
        if np.allclose(got[k, inside], 0.0):
            return "the window is silenced with zeros; replace it with low-level noise instead."
        if np.corrcoef(got[k, inside], signal[inside])[0, 1] > 0.5:
            return "the window still contains the signal: REPLACE it with noise, do not add noise to it."
    replaced = np.concatenate([got[k, s : s + window] for k, s in enumerate(starts)])
    if abs(replaced.std() / std - 1) > 0.2 or abs(replaced.mean()) > 4 * std / np.sqrt(len(replaced)) + 1e-12:
        return "the noise in the windows does not have mean 0 and standard deviation noise_std."
    return None


def _normal_12_3(seed: int | None, std: float):
    """Draws ``n`` Gaussian samples per call from one generator (``seed=None``: unseeded, a known mistake)."""
    gen = np.random.default_rng(seed)
    return lambda n: gen.normal(0.0, std, n)


def _occluded_12_3(signal, starts, window: int, fill, add: bool = False) -> np.ndarray:
    """Known-wrong answers of 12.3: each window filled with ``fill(n)`` (or ``fill(n)`` added to the signal)."""
    out = np.repeat(np.asarray(signal, dtype=float)[None], len(starts), axis=0)
    for k, s in enumerate(starts):
        n = len(out[k, s : s + window])
        out[k, s : s + window] = out[k, s : s + window] + fill(n) if add else fill(n)
    return out


@exercise(
    "14.3",
    "Change the experiment: a noise baseline",
    hint="Start every row as a copy of the signal; only the samples from start to start + window change, and "
    "their new values come from the generator np.random.default_rng(seed).",
    wrong=[
        lambda sig, starts, w, std, seed: _occluded_12_3(sig, starts, w, np.zeros),
        lambda sig, starts, w, std, seed: _occluded_12_3(sig, starts, w, _normal_12_3(seed, std), add=True),
        lambda sig, starts, w, std, seed: _occluded_12_3(sig, starts, w, _normal_12_3(None, std)),
        lambda sig, starts, w, std, seed: _occluded_12_3(sig, starts, w + 1, _normal_12_3(seed, std)),
        lambda sig, starts, w, std, seed: _occluded_12_3(sig, starts, w, _normal_12_3(seed, 1.0)),
    ],
)
def _check_12_3(answer: Any) -> str | None:
    for signal, starts, window, std, seed in _cases_12_3():
        got = np.asarray(call(answer, signal.copy(), starts.copy(), window, std, seed), dtype=float)
        if got.shape != (len(starts), len(signal)):
            return f"return one occluded copy per start: shape {(len(starts), len(signal))}, got {got.shape}."
        problem = _noise_rows_ok(got, signal, starts, window, std)
        if problem:
            return problem
        again = np.asarray(call(answer, signal.copy(), starts.copy(), window, std, seed), dtype=float)
        if not np.array_equal(got, again):
            return "two calls with the same seed gave different noise: draw it from np.random.default_rng(seed)."
    return None
