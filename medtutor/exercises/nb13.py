"""Checks for the exercises of notebook 13."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _eod_reference(y: np.ndarray, p: np.ndarray, g: np.ndarray) -> float:
    rates = [np.mean(p[(g == k) & (y == 1)] == 1) for k in np.unique(g)]
    return float(max(rates) - min(rates))


def _eod_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(13)
    fixed = (
        np.array([1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]),
        np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0]),
        np.array(["a"] * 6 + ["b"] * 6),
    )
    three = (rng.integers(0, 2, 200), rng.integers(0, 2, 200), rng.choice(np.array(["x", "y", "z"]), 200))
    three[0][:6] = 1  # every group has diseased cases
    three[2][:6] = ["x", "x", "y", "y", "z", "z"]
    return [fixed, three, *_many_group_cases()]


def _many_group_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Cases with 3-5 groups where the extreme sensitivities lie in the LAST groups (seeds vary the rest).

    An answer that only compares the first two groups, or one group against the rest, is refused.
    """
    cases = []
    for seed, n_groups in ((1, 3), (2, 4), (3, 5)):
        rng = np.random.default_rng(seed)
        names = np.array([f"g{k}" for k in range(n_groups)])
        g = np.repeat(names, 30)
        y = np.ones(len(g), dtype=np.int64)
        y[rng.random(len(g)) < 0.3] = 0
        sens = np.linspace(0.6, 0.7, n_groups)
        sens[-1], sens[-2] = 1.0, 0.2  # the largest gap involves the last two groups
        p = (rng.random(len(g)) < sens[np.searchsorted(names, g)]).astype(np.int64)
        cases.append((y, p, g))
    return cases


def _sensitivity_in(y: np.ndarray, p: np.ndarray, members: np.ndarray) -> float:
    """Share of the diseased cases among ``members`` called positive (used by the known-wrong answers)."""
    return float(np.mean(p[members & (y == 1)] == 1))


@exercise(
    "13.1",
    "Equal-opportunity difference by hand",
    hint="Within each group keep only the diseased cases (y_true == 1); the share of them with y_pred == 1 is "
    "that group's sensitivity. Return the largest minus the smallest.",
    wrong=[
        lambda y, p, g: 0.0,
        lambda y, p, g: float(
            max(np.mean(p[g == k] == y[g == k]) for k in np.unique(g))
            - min(np.mean(p[g == k] == y[g == k]) for k in np.unique(g))
        ),
        lambda y, p, g: -_eod_reference(y, p, g),
        lambda y, p, g: float(
            max(np.mean(p[g == k]) for k in np.unique(g)) - min(np.mean(p[g == k]) for k in np.unique(g))
        ),
        # a two-group answer: compares only the first two groups
        lambda y, p, g: abs(_sensitivity_in(y, p, g == np.unique(g)[0]) - _sensitivity_in(y, p, g == np.unique(g)[1])),
        # a two-group answer: the first case's group against everybody else
        lambda y, p, g: abs(_sensitivity_in(y, p, g == g[0]) - _sensitivity_in(y, p, g != g[0])),
    ],
)
def _check_13_1(answer: Any) -> str | None:
    for y, p, g in _eod_cases():
        got = call(answer, y.copy(), p.copy(), g.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number, got {type(got).__name__}."
        if not close(got, _eod_reference(y, p, g), 1e-9):
            n_groups = len(np.unique(g))
            return f"wrong difference for a case with {n_groups} groups and {len(y)} cases."
    return None


def _blocks_reference(img: np.ndarray, f: int) -> np.ndarray:
    h, w = img.shape
    small = img.reshape(h // f, f, w // f, f).mean(axis=(1, 3))
    return np.kron(small, np.ones((f, f)))


@exercise(
    "13.2",
    "A resolution shift by hand",
    hint="Reshape (H, W) to (H/f, f, W/f, f) and average over the two block axes; np.repeat along each axis "
    "brings the image back to (H, W).",
    wrong=[
        lambda img, f: img,
        lambda img, f: np.repeat(np.repeat(img[::f, ::f], f, axis=0), f, axis=1),
        lambda img, f: img.reshape(img.shape[0] // f, f, img.shape[1] // f, f).mean(axis=(1, 3)),
    ],
)
def _check_13_2(answer: Any) -> str | None:
    rng = np.random.default_rng(132)
    for shape, f in [((28, 28), 2), ((28, 28), 4), ((28, 28), 7), ((6, 9), 3)]:
        img = rng.random(shape)
        got = np.asarray(call(answer, img.copy(), f), dtype=float)
        if got.shape != shape:
            return f"for a {shape} image and factor {f} the output must keep the shape {shape}, got {got.shape}."
        if not close(got, _blocks_reference(img, f), 1e-9):
            return f"wrong pixel values for a {shape} image with factor {f}."
    return None


def _auc_drop_reference(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, a) - roc_auc_score(y, b))


@exercise(
    "13.3",
    "AUC drop",
    hint="Compute the AUC of the clean scores and of the shifted scores against the same labels; subtract "
    "shifted from clean.",
    wrong=[
        lambda y, a, b: -_auc_drop_reference(y, a, b),
        lambda y, a, b: float(np.mean((a >= 0.5) == y) - np.mean((b >= 0.5) == y)),
        lambda y, a, b: float(np.mean(a) - np.mean(b)),
    ],
)
def _check_13_3(answer: Any) -> str | None:
    rng = np.random.default_rng(133)
    y = rng.integers(0, 2, 300)
    clean = np.clip(0.5 + 0.35 * (y - 0.5) + rng.normal(0, 0.2, 300), 0, 1)
    shifted = np.clip(0.6 + 0.1 * (y - 0.5) + rng.normal(0, 0.2, 300), 0, 1)
    for a, b in [(clean, shifted), (shifted, clean)]:
        got = call(answer, y.copy(), a.copy(), b.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number, got {type(got).__name__}."
        if not close(got, _auc_drop_reference(y, a, b), 1e-9):
            return "wrong value: it should be positive when the shifted scores rank the cases worse."
    return None
