"""Checks for the exercises of notebook 01."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _ref_window_01(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """Reference DICOM LINEAR window in [0, 1] (medtutor.imaging.apply_window), for the 01 checks."""
    from medtutor.imaging import apply_window

    return apply_window(hu, center, width)


# Exercise 01.1: five tissues (HU) seen through three windows (center, width).
TISSUES_01_1 = {"air": -1000.0, "lung": -600.0, "soft tissue": 40.0, "trabecular bone": 400.0, "cortical bone": 1200.0}
WINDOWS_01_1 = {"lung": (-600.0, 1500.0), "soft tissue": (40.0, 400.0), "bone": (400.0, 1800.0)}


def _grey_level(value: float) -> str:
    return "black" if value <= 0.0 else "white" if value >= 1.0 else "grey"


def _expected_01_1() -> dict[str, dict[str, str]]:
    hu = np.array(list(TISSUES_01_1.values()))
    return {
        name: dict(zip(TISSUES_01_1, (_grey_level(v) for v in _ref_window_01(hu, c, w))))
        for name, (c, w) in WINDOWS_01_1.items()
    }


def _swap_windows_01_1() -> dict[str, dict[str, str]]:
    e = _expected_01_1()
    return {"lung": e["soft tissue"], "soft tissue": e["lung"], "bone": e["bone"]}


def _all_grey_01_1() -> dict[str, dict[str, str]]:
    return {w: {t: "grey" for t in TISSUES_01_1} for w in WINDOWS_01_1}


@exercise(
    "01.1",
    "Black, white or grey? Reading a window",
    hint="A window shows the HU range from about center - width/2 to center + width/2 as greys; "
    "everything below is black, everything above is white.",
    wrong=[_swap_windows_01_1(), _all_grey_01_1(), {"lung": {}, "soft tissue": {}, "bone": {}}],
)
def _check_01_1(answer: Any) -> str | None:
    expected = _expected_01_1()
    if not isinstance(answer, dict) or set(answer) != set(WINDOWS_01_1):
        return f"answer with a dict keyed by the windows {sorted(WINDOWS_01_1)}."
    for window_name, per_tissue in answer.items():
        if not isinstance(per_tissue, dict) or set(per_tissue) != set(TISSUES_01_1):
            return f"answer['{window_name}'] must map each tissue {sorted(TISSUES_01_1)} to a grey level."
        levels = {t: str(v).strip().lower() for t, v in per_tissue.items()}
        if not set(levels.values()) <= {"black", "white", "grey", "gray"}:
            return 'each grey level must be "black", "white" or "grey".'
        levels = {t: "grey" if v == "gray" else v for t, v in levels.items()}
        wrong = [t for t in TISSUES_01_1 if levels[t] != expected[window_name][t]]
        if wrong:
            return f"in the {window_name} window, {len(wrong)} tissue(s) are not right."
    return None


def _lung_display_buggy(stored: Any, slope: float, intercept: float) -> np.ndarray:
    lo, hi = -600 - 1500 / 2, -600 + 1500 / 2
    return np.clip((np.asarray(stored, dtype=float) - lo) / (hi - lo), 0.0, 1.0)


@exercise(
    "01.2",
    "Find the bug: an all-white lung window",
    hint="The window is defined in Hounsfield units. What are the numbers in pixel_array?",
    wrong=[
        _lung_display_buggy,
        lambda stored, slope, intercept: _lung_display_buggy(np.asarray(stored, float) + intercept, 1, 0),
        lambda stored, slope, intercept: _lung_display_buggy((np.asarray(stored, float) - intercept) * slope, 1, 0),
    ],
)
def _check_01_2(answer: Any) -> str | None:
    stored = np.array([[0, 24, 400], [1024, 1600, 4000]], dtype=np.int16)
    for slope, intercept in [(1.0, -1024.0), (2.0, -1000.0), (0.5, -1024.0)]:
        got = np.asarray(call(answer, stored.copy(), slope, intercept), dtype=float)
        hu = stored.astype(float) * slope + intercept
        expected = np.clip((hu - (-600 - 750)) / 1500, 0.0, 1.0)
        if got.shape != expected.shape:
            return f"the display should keep the image shape {expected.shape}, got {got.shape}."
        if close(got, _lung_display_buggy(stored, slope, intercept), 1e-6):
            return "this is still the original code: nothing changed in what is windowed."
        if not close(got, expected, 1e-5):
            return f"wrong display values for RescaleSlope={slope}, RescaleIntercept={intercept}."
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
