"""Checks for the exercises of notebook 11 (3D CT: series order, 2.5D planes, label fragility, costed threshold)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, exercise


def _series_case(rng: np.random.Generator, n: int, ascending_names: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    """File names in exporter style (``1-7.dcm``), positions in mm, and the expected head-first order."""
    top = rng.uniform(-100, 100)
    step = rng.choice([1.0, 1.25, 2.5, 5.0])
    positions = top - step * np.arange(n)  # slice k of the acquisition, superior first
    numbers = np.arange(1, n + 1) if ascending_names else np.arange(n, 0, -1)
    perm = rng.permutation(n)  # the order the files were listed in
    names = [f"1-{numbers[p]}.dcm" for p in perm]
    pos = positions[perm]
    return names, pos, np.argsort(-pos, kind="stable")


@exercise(
    "11.1",
    "Slices in anatomical order",
    hint="File names and their sort order say nothing about anatomy; only the position along the slice normal does.",
    wrong=[
        lambda names, pos: np.argsort(names, kind="stable"),  # the tutorial's bug: sort by file name
        lambda names, pos: np.argsort(np.asarray(pos, dtype=float), kind="stable"),  # feet first
        lambda names, pos: np.argsort([int(n.split("-")[1].split(".")[0]) for n in names]),  # by number in the name
        lambda names, pos: np.arange(len(names)),  # the listing order
    ],
)
def _check_09_1(answer: Any) -> str | None:
    rng = np.random.default_rng(91)
    for n, ascending in ((12, True), (12, False), (30, True), (5, False)):
        names, pos, expected = _series_case(rng, n, ascending)
        got = np.asarray(call(answer, list(names), pos.copy()))
        if got.shape != (n,) or not np.issubdtype(got.dtype, np.integer):
            return (
                f"return {n} integer indices (one per slice), got an array of shape {got.shape} and dtype {got.dtype}."
            )
        if sorted(got.tolist()) != list(range(n)):
            return "the indices must be a permutation of 0..n-1 (each slice exactly once)."
        if not np.array_equal(pos[got], pos[expected]):
            return f"for a series of {n} slices, the resulting positions are not ordered from the most superior down."
    return None


@exercise(
    "11.2",
    "Planes through any point",
    hint=(
        "Section 2 says which index each plane fixes; the three planes become the last axis, in the order axial, "
        "coronal, sagittal."
    ),
    wrong=[
        lambda v, k, j, i: np.stack([v[k], v[:, j], v[:, :, i]], axis=0),  # channels first
        lambda v, k, j, i: np.stack([v[14], v[:, 14], v[:, :, 14]], axis=-1),  # always the centre
        lambda v, k, j, i: np.stack([v[:, :, i], v[:, j], v[k]], axis=-1),  # planes in the wrong order
    ],
)
def _check_09_2(answer: Any) -> str | None:
    rng = np.random.default_rng(92)
    for size, point in ((28, (3, 20, 9)), (7, (1, 5, 2))):
        vol = rng.integers(0, 255, (size, size, size)).astype(np.uint8)
        got = np.asarray(call(answer, vol.copy(), *point))
        k, j, i = point
        expected = np.stack([vol[k, :, :], vol[:, j, :], vol[:, :, i]], axis=-1)
        if got.shape != expected.shape:
            return f"expected shape {expected.shape} for a {size}^3 volume, got {got.shape}."
        for c, plane in enumerate(("axial", "coronal", "sagittal")):
            if not np.array_equal(got[..., c], expected[..., c]):
                return f"channel {c} is not the {plane} slice through {point} of a {size}^3 volume."
    return None


def _label(ratings: Any) -> int | None:
    mean = float(np.mean(ratings))
    return None if np.isclose(mean, 3.0) else int(mean > 3)


def _fragile(ratings: Any) -> bool:
    r = list(ratings)
    return any(_label(r[:i] + r[i + 1 :]) != _label(r) for i in range(len(r)))


@exercise(
    "11.3",
    "How fragile is a label?",
    hint="Compute the label with all ratings, then once per left-out rating; 'excluded' is a label of its own.",
    wrong=[
        lambda r: False,  # labels never change
        lambda r: len(set(r)) > 1,  # any disagreement at all
        lambda r: (np.mean(r) > 3) != (np.mean(r[1:]) > 3),  # only drops the first reader, ignores exclusion
        lambda r: any((np.mean(np.delete(r, i)) > 3) != (np.mean(r) > 3) for i in range(len(r))),  # ignores '= 3'
    ],
)
def _check_09_3(answer: Any) -> str | None:
    rng = np.random.default_rng(93)
    cases = [[3, 3, 3, 2], [4, 3, 3], [5, 4], [1, 1, 1, 1], [4, 4, 2, 2], [3, 3, 4, 2], [5, 5, 5, 1]]
    cases += [rng.integers(1, 6, size=int(rng.integers(2, 5))).tolist() for _ in range(40)]
    for ratings in cases:
        got = call(answer, list(ratings))
        if not isinstance(got, (bool, np.bool_)):
            return f"return True or False, got {type(got).__name__}."
        if bool(got) != _fragile(ratings):
            return f"wrong answer for the ratings {ratings}."
    return None


def _cost(y: np.ndarray, prob: np.ndarray, t: float, cost_fn: float, cost_fp: float) -> float:
    pred = prob >= t
    return float(cost_fn * np.sum(~pred & (y == 1)) + cost_fp * np.sum(pred & (y == 0)))


def _costs_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(80) < 0.3).astype(int)
    prob = np.clip(rng.normal(0.35 + 0.3 * y, 0.18), 0.001, 0.999).round(3)
    return y, prob


@exercise(
    "11.4",
    "A threshold under stated costs",
    hint="Try every validation probability as the threshold, count FN and FP at each, weigh them by their costs.",
    wrong=[
        lambda y, p, cfn, cfp: 0.5,
        lambda y, p, cfn, cfp: float(
            np.unique(p)[
                np.argmin([cfp * np.sum((p < t) & (y == 1)) + cfn * np.sum((p >= t) & (y == 0)) for t in np.unique(p)])
            ]
        ),  # costs swapped
        lambda y, p, cfn, cfp: float(
            np.unique(p)[np.argmax([np.mean(p[y == 1] >= t) + np.mean(p[y == 0] < t) for t in np.unique(p)])]
        ),  # Youden, costs ignored
    ],
)
def _check_09_4(answer: Any) -> str | None:
    for seed, (cfn, cfp) in zip((941, 942, 943), ((5, 1), (10, 1), (1, 3))):
        y, prob = _costs_case(seed)
        got = call(answer, y.copy(), prob.copy(), cfn, cfp)
        if not isinstance(got, (int, float, np.integer, np.floating)) or isinstance(got, bool):
            return f"return one number (the threshold), got {type(got).__name__}."
        best = min(_cost(y, prob, t, cfn, cfp) for t in np.append(np.unique(prob), np.inf))
        if not np.isclose(_cost(y, prob, float(got), cfn, cfp), best):
            return (
                f"with cost_fn={cfn}, cost_fp={cfp} your threshold does not give the lowest total cost on the "
                f"given cases."
            )
    return None
