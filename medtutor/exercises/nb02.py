"""Checks for the exercises of notebook 02."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


@exercise(
    "02.1",
    "Contrast stretching",
    hint="Map `low` to 0 and `high` to 1 with a straight line, then clip what falls outside.",
    wrong=[
        lambda img, low, high: (np.asarray(img, float) - low) / (high - low),  # no clipping
        lambda img, low, high: np.clip(np.asarray(img, float) / high, 0, 1),  # ignores low
        lambda img, low, high: np.clip((np.asarray(img, float) - low) / high, 0, 1),  # divides by high
    ],
)
def _check_02_1(answer: Any) -> str | None:
    img = np.array([[0, 10, 50], [100, 200, 255]], dtype=np.uint8)
    for low, high in [(10.0, 200.0), (0.0, 255.0), (50.0, 100.0)]:
        got = np.asarray(call(answer, img.copy(), low, high), dtype=float)
        expected = np.clip((img.astype(float) - low) / (high - low), 0.0, 1.0)
        if got.shape != expected.shape:
            return f"keep the image shape {expected.shape}, got {got.shape}."
        if not close(got, expected, 1e-6):
            return f"wrong values for low={low}, high={high}."
    return None


def _otsu_cases_02() -> list[np.ndarray]:
    """Bimodal uint8 test images (fixed seed) for exercise 02.2."""
    rng = np.random.default_rng(2)
    cases = []
    for lo, hi, share in [(60, 180, 0.5), (30, 120, 0.2), (100, 220, 0.7)]:
        n = 400
        k = int(n * share)
        v = np.concatenate([rng.normal(lo, 15, k), rng.normal(hi, 25, n - k)])
        cases.append(np.clip(np.round(v), 0, 255).astype(np.uint8).reshape(20, 20))
    return cases


@exercise(
    "02.2",
    "Otsu's threshold by hand",
    hint="Try every grey level t; keep the one that maximises w0 * w1 * (mu0 - mu1)**2 with class 0 = pixels <= t.",
    wrong=[
        lambda img: float(np.mean(img)),  # the mean is not Otsu
        lambda img: float(np.median(img)),
        lambda img: float((int(np.min(img)) + int(np.max(img))) // 2),  # mid-range
    ],
)
def _check_02_2(answer: Any) -> str | None:
    from skimage.filters import threshold_otsu

    for k, img in enumerate(_otsu_cases_02()):
        got = call(answer, img.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number (the threshold), got {type(got).__name__}."
        if abs(got - float(threshold_otsu(img))) > 0.5:
            return f"test image {k + 1}: the threshold does not maximise the between-class variance."
    return None


@exercise(
    "02.3",
    "GLCM contrast",
    hint="Contrast weights each cell P[i, j] by the squared grey-level difference (i - j)**2 and sums.",
    wrong=[
        lambda p: float(np.sum(np.asarray(p) * np.abs(np.subtract.outer(np.arange(len(p)), np.arange(len(p)))))),
        lambda p: float(np.sum(np.asarray(p) ** 2)),  # that is ASM
        lambda p: float(np.sum(np.asarray(p) / (1 + np.subtract.outer(np.arange(len(p)), np.arange(len(p))) ** 2))),
    ],
)
def _check_02_3(answer: Any) -> str | None:
    from skimage.feature import graycomatrix, graycoprops

    rng = np.random.default_rng(23)
    for levels in (4, 8):
        img = rng.integers(0, levels, size=(12, 12)).astype(np.uint8)
        p = graycomatrix(img, [1], [0], levels=levels, symmetric=True, normed=True)
        got = call(answer, p[:, :, 0, 0].copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number, got {type(got).__name__}."
        if abs(got - float(graycoprops(p, "contrast")[0, 0])) > 1e-8:
            return f"wrong contrast for a {levels}-level GLCM."
    return None
