"""Checks for the exercises of notebook 02."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise
from ._bughunt import bug_hunt_exercise


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


def _ct_small_hu() -> np.ndarray:
    """The HU slice of pydicom's CT_small.dcm, as notebook 02 reads it."""
    from medtutor import data, imaging

    return imaging.to_hu(imaging.read_dicom(data.dicom_path("CT_small.dcm"))).astype(np.float64)


def _noisy_otsu(seed: int = 2, noise_hu: float = 150.0) -> tuple[int, int]:
    """Otsu's threshold of CT_small before and after adding Gaussian noise (the experiment of exercise 02.2)."""
    from skimage import filters

    hu = _ct_small_hu()
    noisy = hu + np.random.default_rng(seed).normal(0.0, noise_hu, hu.shape)
    return int(filters.threshold_otsu(np.round(hu).astype(np.int16))), int(
        filters.threshold_otsu(np.round(noisy).astype(np.int16))
    )


@exercise(
    "02.2",
    "Change the experiment: Otsu on a noisier scan",
    hint="Add the noise exactly as the exercise says (generator seed 2, standard deviation 150 HU) to `hu`, "
    "round to integers, then apply the same threshold function as section 2.",
    wrong=[lambda: None, "-400", 10**6],
)
def _check_02_2(answer: Any) -> str | None:
    clean, noisy = _noisy_otsu()
    if not isinstance(answer, (int, np.integer, float)) or isinstance(answer, bool):
        return "set `noisy_threshold` to a number of HU."
    if int(round(float(answer))) == clean and clean != noisy:
        return "this is the threshold of the clean slice: was the noise added before thresholding?"
    if abs(float(answer) - noisy) > 1:
        return "this is not Otsu's threshold of the noisy slice described in the exercise."
    return None


# Exercise 02.3: the lines of the leaky pipeline shown in the notebook, and which of them leak test information.
LEAKY_LINES_02_3 = {"A", "B", "C", "D", "E"}
LEAKS_02_3 = {"B", "D"}


bug_hunt_exercise(
    "02.3",
    "Find the leaks",
    hint="A line leaks when information from the test images or labels influences a choice or a fitted value "
    "before the final score.",
    lines=LEAKY_LINES_02_3,
    bugs=LEAKS_02_3,
    wrong=[{"D"}, {"B"}, {"A", "B", "D"}, {"B", "D", "E"}, set()],
    missing_note=": a fitted statistic counts as information too",
    extra_note=" (they do not leak): scoring once on test is allowed",
    noun="leak",
)
