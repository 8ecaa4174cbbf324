"""Checks for the exercises of notebook 01."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _ref_window_01(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """Reference DICOM LINEAR window in [0, 1] (medtutor.imaging.apply_window), for the 01 checks."""
    from medtutor.imaging import apply_window

    return apply_window(hu, center, width)


@exercise(
    "01.1",
    "Hounsfield units from stored values",
    hint="The header stores a straight line: multiply by Rescale Slope, then add Rescale Intercept.",
    wrong=[
        lambda stored, slope, intercept: np.asarray(stored) * slope - intercept,  # subtracts the intercept
        lambda stored, slope, intercept: (np.asarray(stored) + intercept) * slope,  # adds before scaling
        lambda stored, slope, intercept: np.asarray(stored) + intercept,  # ignores the slope
    ],
)
def _check_01_1(answer: Any) -> str | None:
    stored = np.array([[0, 24, 1024], [2000, 4095, 500]], dtype=np.int16)
    for slope, intercept in [(1.0, -1024.0), (2.0, -1000.0), (0.5, -1024.0)]:
        got = np.asarray(call(answer, stored.copy(), slope, intercept), dtype=float)
        expected = stored.astype(float) * slope + intercept
        if got.shape != expected.shape:
            return f"the result should keep the image shape {expected.shape}, got {got.shape}."
        if not close(got, expected, 1e-4):
            return f"wrong values for slope={slope}, intercept={intercept}."
    return None


@exercise(
    "01.2",
    "A DICOM window by hand",
    hint="DICOM LINEAR: y = (x - (c - 0.5)) / (w - 1) + 0.5, then clip to [0, 1] (section 3 of this notebook).",
    wrong=[
        lambda hu, c, w: np.clip((np.asarray(hu, float) - (c - w / 2)) / w, 0, 1),  # the loose c +/- w/2 version
        lambda hu, c, w: (np.asarray(hu, float) - (c - 0.5)) / (w - 1) + 0.5,  # no clipping
        lambda hu, c, w: np.clip((np.asarray(hu, float) - c) / w, 0, 1),  # centre maps to black
    ],
)
def _check_01_2(answer: Any) -> str | None:
    hu = np.array([-1200.0, -1000.0, -600.5, -600.0, 0.0, 39.0, 40.0, 41.0, 80.0, 149.0, 3000.0])
    for c, w in [(-600.0, 1500.0), (40.0, 80.0), (40.0, 2.0), (50.0, 350.0)]:
        got = np.asarray(call(answer, hu.copy(), c, w), dtype=float)
        expected = _ref_window_01(hu, c, w)
        if got.shape != expected.shape:
            return f"the result should keep the shape {expected.shape}, got {got.shape}."
        if got.min() < 0 or got.max() > 1:
            return "display values must stay in [0, 1]: values outside the window are black or white."
        if not close(got, expected, 1e-5):
            return f"wrong values for center={c}, width={w} (try a narrow window: width 2)."
    return None


_CANDIDATE_TAGS_01 = (
    "PatientName",
    "PixelSpacing",
    "PatientBirthDate",
    "Modality",
    "InstitutionName",
    "SliceThickness",
    "ReferringPhysicianName",
    "RescaleSlope",
    "AccessionNumber",
    "StudyDate",
    "Rows",
    "OperatorsName",
)


@exercise(
    "01.3",
    "Which header elements are PHI?",
    hint="Ask of each element: could it help someone find out who the patient is, who treated them, where or when?",
    wrong=[
        {"PatientName", "PatientBirthDate"},
        {"PatientName", "PatientBirthDate", "InstitutionName", "ReferringPhysicianName", "AccessionNumber"},
        set(_CANDIDATE_TAGS_01),
    ],
)
def _check_01_3(answer: Any) -> str | None:
    from medtutor.imaging import PHI_KEYWORDS

    if callable(answer):  # the notebook passes a function of the candidate list
        answer = answer(list(_CANDIDATE_TAGS_01))
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(a, str) for a in answer):
        return "answer with a set of keyword strings, e.g. {'PatientName', ...}."
    chosen = set(answer)
    unknown = chosen - set(_CANDIDATE_TAGS_01)
    if unknown:
        return f"{sorted(unknown)} are not in the candidate list; pick from the list in the exercise."
    expected = set(_CANDIDATE_TAGS_01) & set(PHI_KEYWORDS)
    missing, extra = expected - chosen, chosen - expected
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} identifying element(s) are missing")
        if extra:
            parts.append(f"{len(extra)} chosen element(s) describe the image, not a person, place or time")
        return "; ".join(parts) + "."
    return None
