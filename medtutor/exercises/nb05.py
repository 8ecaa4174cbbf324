"""Checks for the exercises of notebook 05."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, exercise


@exercise(
    "05.1",
    "Centre crop",
    hint="Start at (n - size) // 2 on each axis, and compare size with the image's shape before slicing.",
    wrong=[
        lambda img, size: img[:size, :size],
        lambda img, size: img[70 : 70 + size, 70 : 70 + size],
        lambda img, size: img[(img.shape[0] - size) // 2 :, (img.shape[1] - size) // 2 :],
        lambda img, size: img[
            (img.shape[0] - size) // 2 : (img.shape[0] - size) // 2 + size,
            (img.shape[1] - size) // 2 : (img.shape[1] - size) // 2 + size,
        ],
    ],
)
def _check_05_1(answer: Any) -> str | None:
    rng = np.random.default_rng(5)
    for shape, size in [((10, 10), 4), ((9, 12), 5), ((28, 28), 28), ((7, 8), 1)]:
        img = rng.random(shape)
        top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
        expected = img[top : top + size, left : left + size]
        got = np.asarray(call(answer, img, size))
        if got.shape != expected.shape:
            return f"for a {shape} image and size {size} your crop has shape {got.shape}, not ({size}, {size})."
        if not np.array_equal(got, expected):
            return f"for a {shape} image and size {size} your crop is not the central window."
    try:
        call(answer, rng.random((10, 10)), 11)
    except ValueError:
        return None
    except Exception as err:  # any other error is feedback too
        return f"a crop larger than the image should raise ValueError, yours raised {type(err).__name__}."
    return "a crop larger than the image must raise a ValueError, not return a shorter array."


@exercise(
    "05.2",
    "A CT window",
    hint="Subtract the window's lower edge (center - width / 2), divide by the width, then clip to [0, 1].",
    wrong=[
        lambda hu, c, w: (hu - (c - w / 2)) / w,
        lambda hu, c, w: (hu - hu.min()) / (hu.max() - hu.min()),
        lambda hu, c, w: np.clip((hu - c) / w, 0, 1),
    ],
)
def _check_05_2(answer: Any) -> str | None:
    from medtutor.imaging import apply_window

    hu = np.linspace(-1200.0, 1500.0, 541)
    for center, width in [(-600.0, 1500.0), (50.0, 350.0), (40.0, 80.0)]:
        got = np.asarray(call(answer, hu.copy(), center, width), dtype=float)
        if got.shape != hu.shape:
            return f"the output has shape {got.shape}; it must have the input's shape {hu.shape}."
        if np.isnan(got).any():
            return "the output contains NaN."
        if got.min() < 0 or got.max() > 1:
            return "some values fall outside [0, 1]: values outside the window must be clipped."
        # DICOM's exact formula differs from center +/- width/2 by at most 1 HU, i.e. 1/(width-1) here
        if np.abs(got - apply_window(hu, center, width)).max() > 1.5 / (width - 1):
            return f"with center {center:g} and width {width:g} some HU values get the wrong brightness."
    return None


@exercise(
    "05.3",
    "A split by patient",
    hint="Draw a set of test PATIENTS first (np.unique, then a seeded rng.choice), then mark all their images.",
    wrong=[
        lambda ids, f, seed: np.random.default_rng(seed).random(len(ids)) < f,
        lambda ids, f, seed: np.zeros(len(ids), dtype=bool),
        lambda ids, f, seed: np.isin(ids, np.unique(ids)),
        # ignores the seed: every "random" split is the same one
        lambda ids, f, seed: np.isin(
            ids, np.random.default_rng(0).choice(np.unique(ids), round(f * len(np.unique(ids))), replace=False)
        ),
        # ignores the seed the other way: not reproducible
        lambda ids, f, seed: np.isin(
            ids, np.random.default_rng().choice(np.unique(ids), round(f * len(np.unique(ids))), replace=False)
        ),
    ],
)
def _check_05_3(answer: Any) -> str | None:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 40, 400)  # 40 patients, about 10 images each
    for patient_ids, seed in [(ids, 0), (ids, 1), (np.array([f"p{i:02d}" for i in ids]), 2)]:
        is_test = np.asarray(call(answer, patient_ids, 0.25, seed))
        if is_test.shape != patient_ids.shape or is_test.dtype != bool:
            return f"return a boolean array with one entry per image {patient_ids.shape}, got {is_test.shape} {is_test.dtype}."
        shared = set(patient_ids[is_test].tolist()) & set(patient_ids[~is_test].tolist())
        if shared:
            return f"{len(shared)} patients have images on both sides of the split."
        share = len(set(patient_ids[is_test].tolist())) / len(set(patient_ids.tolist()))
        if abs(share - 0.25) > 0.1:
            return f"{share:.0%} of the patients are in the test set; expected about 25 %."
    return _check_05_3_seed(answer, ids)


def _check_05_3_seed(answer: Any, ids: np.ndarray) -> str | None:
    """The split must be reproducible for one seed and change with the seed."""
    splits = [np.asarray(call(answer, ids, 0.25, seed)) for seed in (0, 0, 1, 2, 3)]
    if not np.array_equal(splits[0], splits[1]):
        return "calling it twice with the same seed gave two different splits: it must be reproducible."
    if all(np.array_equal(splits[0], other) for other in splits[2:]):
        return "seeds 0, 1, 2 and 3 all gave the same split: your code ignores the seed."
    return None
