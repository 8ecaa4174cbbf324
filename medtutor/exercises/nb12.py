"""Checks for the exercises of notebook 12."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise

# 10.1: a missed lesion slice costs this many false alarms (stated in the notebook's exercise text).
MISS_COST, FALSE_ALARM_COST = 10.0, 1.0


def _cost(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    """Total cost of calling every slice with p >= threshold positive."""
    pred = p >= threshold
    fn = np.sum((y == 1) & ~pred)
    fp = np.sum((y == 0) & pred)
    return float(MISS_COST * fn + FALSE_ALARM_COST * fp)


def _cost_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Validation-like sets: varied seeds, sizes, prevalences and score separations."""
    cases = []
    for seed, n, prev, sep in ((11, 300, 0.2, 1.0), (12, 120, 0.4, 0.6), (13, 500, 0.1, 1.5), (14, 80, 0.3, 0.3)):
        rng = np.random.default_rng(seed)
        y = (rng.random(n) < prev).astype(int)
        logit = rng.normal(0, 1, n) + sep * (2 * y - 1)
        cases.append((y, 1 / (1 + np.exp(-logit))))
    return cases


def _youden(y: Any, p: Any) -> float:
    from sklearn.metrics import roc_curve

    fpr, tpr, thr = roc_curve(y, p)
    return float(thr[np.argmax(tpr - fpr)])


def _swapped_costs(y: Any, p: Any) -> float:
    y, p = np.asarray(y), np.asarray(p)
    cands = np.append(np.unique(p), np.inf)
    costs = [np.sum((y == 1) & (p < t)) + 10 * np.sum((y == 0) & (p >= t)) for t in cands]
    return float(cands[int(np.argmin(costs))])


@exercise(
    "12.1",
    "A detection threshold under stated costs",
    hint="Try every distinct validation score as the threshold, count the misses and false alarms each gives, "
    "and weigh them by what each costs.",
    wrong=[lambda y, p: 0.5, _youden, _swapped_costs],
)
def _check_10_1(answer: Any) -> str | None:
    for y, p in _cost_cases():
        cands = np.append(np.unique(p), np.inf)
        best = min(_cost(y, p, t) for t in cands)
        got = float(call(answer, y.copy(), p.copy()))
        if not np.isfinite(got) and got != np.inf:
            return "the threshold must be a number (np.inf means: never call a slice positive)."
        mine = _cost(y, p, got)
        if mine > best + 1e-9:
            return (
                f"on a validation set of {len(y)} slices ({int(y.sum())} with lesion) your threshold costs "
                f"{mine:.0f}: a cheaper threshold exists."
            )
    return None


@exercise(
    "12.2",
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


def _rotation(ax: float, ay: float) -> np.ndarray:
    cx, sx, cy, sy = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    return rx @ ry


def _volume_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Masks on grids a lesion is really stored on: 2 mm DWI, thick-slice FLAIR, flipped (LAS) and oblique."""
    cases = []
    for seed, zooms, flip, angles in (
        (21, (2.0, 2.0, 2.0), False, (0.0, 0.0)),
        (22, (0.449, 0.449, 5.0), False, (0.0, 0.0)),
        (23, (2.0, 1.95, 2.0), True, (0.21, 0.0)),
        (24, (0.9, 0.9, 3.0), True, (0.3, -0.25)),
    ):
        rng = np.random.default_rng(seed)
        linear = _rotation(*angles) @ np.diag(zooms)
        if flip:
            linear = np.diag([-1.0, 1.0, 1.0]) @ linear
        affine = np.eye(4)
        affine[:3, :3], affine[:3, 3] = linear, rng.normal(0, 50, 3)
        mask = rng.random((12, 10, 8)) > 0.7
        cases.append((mask.astype(np.uint16) if seed % 2 else mask, affine))
    return cases


@exercise(
    "12.3",
    "Find the bug: lesion volume on any grid",
    hint="A voxel's volume is the volume of the box its three affine columns span: not always the 2 mm cube, "
    "and not only the diagonal of the affine.",
    wrong=[
        lambda mask, affine: np.asarray(mask).sum() * 8 / 1000,  # the given buggy code: 2 mm voxels assumed
        lambda mask, affine: np.asarray(mask).sum() * abs(np.prod(np.diag(affine)[:3])) / 1000,  # diagonal only
        lambda mask, affine: np.asarray(mask).sum() * abs(np.linalg.det(np.asarray(affine)[:3, :3])),  # mm^3
        lambda mask, affine: np.asarray(mask).size * abs(np.linalg.det(np.asarray(affine)[:3, :3])) / 1000,
    ],
)
def _check_10_3(answer: Any) -> str | None:
    for mask, affine in _volume_cases():
        zooms = np.linalg.norm(affine[:3, :3], axis=0)
        expected = float((np.asarray(mask) > 0).sum()) * abs(float(np.linalg.det(affine[:3, :3]))) / 1000.0
        got = call(answer, mask.copy(), affine.copy())
        if not close(got, expected, 1e-6 * max(expected, 1.0)):
            return (
                f"wrong volume for a {mask.shape} mask with {int((mask > 0).sum())} lesion voxels of "
                f"{zooms[0]:.2f} x {zooms[1]:.2f} x {zooms[2]:.2f} mm (answer in millilitres)."
            )
    return None
