"""Unit tests for medtutor.imaging (DICOM, HU, windows, de-identification).

The DICOM files are pydicom's own test files, shipped inside the pydicom wheel (no network).
"""

from __future__ import annotations

import copy

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut, apply_windowing

from medtutor import imaging


@pytest.fixture(scope="module")
def ct() -> pydicom.Dataset:
    return imaging.read_dicom(get_testdata_file("CT_small.dcm"))


@pytest.fixture(scope="module")
def mr() -> pydicom.Dataset:
    return imaging.read_dicom(get_testdata_file("MR_small.dcm"))


def _pydicom_window01(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """pydicom's DICOM LINEAR windowing, rescaled from its signed 16-bit output range to [0, 1]."""
    ds = pydicom.Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 16
    ds.PixelRepresentation = 1
    ds.WindowCenter = center
    ds.WindowWidth = width
    y_min, y_max = -(2**15), 2**15 - 1
    return (apply_windowing(x.astype(np.float64), ds) - y_min) / (y_max - y_min)


# --- read_dicom -------------------------------------------------------------------------------


def test_read_dicom_returns_dataset(ct):
    assert isinstance(ct, pydicom.Dataset)
    assert ct.Modality == "CT"
    assert ct.pixel_array.shape == (128, 128)


def test_read_dicom_refuses_non_dicom(tmp_path):
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    with pytest.raises(ValueError, match="not a DICOM file"):
        imaging.read_dicom(fake)


def test_read_dicom_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="dicom_path"):
        imaging.read_dicom(tmp_path / "nope.dcm")


def test_read_dicom_wrong_type():
    with pytest.raises(TypeError, match="file path"):
        imaging.read_dicom(123)


# --- to_hu ------------------------------------------------------------------------------------


def test_to_hu_matches_pydicom_modality_lut(ct):
    hu = imaging.to_hu(ct)
    assert hu.dtype == np.float32
    np.testing.assert_allclose(hu, apply_modality_lut(ct.pixel_array, ct), atol=1e-4)
    # CT_small: slope 1, intercept -1024
    assert hu.min() == ct.pixel_array.min() - 1024


def test_to_hu_uses_slope(ct):
    ds = copy.deepcopy(ct)
    ds.RescaleSlope = 2
    ds.RescaleIntercept = -1000
    np.testing.assert_allclose(imaging.to_hu(ds), ct.pixel_array * 2.0 - 1000.0)


def test_to_hu_refuses_mr(mr):
    with pytest.raises(ValueError, match="only for CT"):
        imaging.to_hu(mr)


def test_to_hu_refuses_non_dataset():
    with pytest.raises(TypeError, match="read_dicom"):
        imaging.to_hu(np.zeros((4, 4)))


def test_to_hu_refuses_dataset_without_pixels():
    ds = pydicom.Dataset()
    ds.Modality = "CT"
    with pytest.raises(ValueError, match="no Pixel Data"):
        imaging.to_hu(ds)


# --- apply_window -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(imaging.WINDOW_PRESETS))
def test_apply_window_matches_pydicom(ct, name):
    hu = imaging.to_hu(ct)
    center, width = imaging.WINDOW_PRESETS[name]
    out = imaging.apply_window(hu, center, width)
    assert out.dtype == np.float32 and out.shape == hu.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_allclose(out, _pydicom_window01(hu, center, width), atol=1e-6)


def test_apply_window_formula_small_case():
    x = np.array([-1000.0, 39.5, 40.0, 79.0, 1000.0])
    out = imaging.apply_window(x, center=40, width=80)
    # DICOM LINEAR: ((x - (c - 0.5)) / (w - 1) + 0.5), clipped
    expected = np.clip((x - 39.5) / 79.0 + 0.5, 0, 1)
    np.testing.assert_allclose(out, expected, atol=1e-7)
    assert out[0] == 0.0 and out[-1] == 1.0
    np.testing.assert_allclose(out, _pydicom_window01(x, 40, 80), atol=1e-6)


def test_apply_window_width_one_is_threshold():
    out = imaging.apply_window(np.array([0.0, 0.4, 0.6, 5.0]), center=1, width=1)
    np.testing.assert_array_equal(out, [0, 0, 1, 1])


def test_window_bounds():
    lo, hi = imaging.window_bounds(40, 80)
    assert lo == pytest.approx(0.0) and hi == pytest.approx(79.0)


def test_presets_are_center_width_pairs():
    assert set(imaging.WINDOW_PRESETS) >= {"lung", "mediastinum", "bone", "brain"}
    for center, width in imaging.WINDOW_PRESETS.values():
        assert width >= 1 and -1100 < center < 1100


@pytest.mark.parametrize(
    ("center", "width", "err", "match"),
    [
        (40, 0.5, ValueError, ">= 1"),
        (40, -80, ValueError, ">= 1"),
        (np.nan, 80, ValueError, "finite"),
        ("lung", 80, TypeError, "WINDOW_PRESETS"),
    ],
)
def test_apply_window_bad_window(center, width, err, match):
    with pytest.raises(err, match=match):
        imaging.apply_window(np.zeros((2, 2)), center, width)


def test_apply_window_bad_image():
    with pytest.raises(ValueError, match="NaN"):
        imaging.apply_window(np.array([0.0, np.nan]), 40, 80)
    with pytest.raises(TypeError, match="to_hu"):
        imaging.apply_window(np.array(["a", "b"]), 40, 80)
    with pytest.raises(ValueError, match="empty"):
        imaging.apply_window(np.array([]), 40, 80)


# --- de-identification ------------------------------------------------------------------------


def test_find_phi_sees_identifiers(ct, mr):
    found = " ".join(imaging.find_phi(ct))
    for keyword in (
        "PatientName",
        "PatientID",
        "InstitutionName",
        "StudyDate",
        "private tag",
    ):
        assert keyword in found
    assert "OperatorsName" in " ".join(imaging.find_phi(mr))


@pytest.mark.parametrize("which", ["ct", "mr"])
def test_deidentify_removes_all_phi(which, request):
    ds = request.getfixturevalue(which)
    name_before = str(ds.PatientName)
    out = imaging.deidentify(ds)
    assert imaging.find_phi(out) == []
    assert str(ds.PatientName) == name_before  # the original is untouched
    assert out.PatientIdentityRemoved == "YES"
    assert out.SOPInstanceUID != ds.SOPInstanceUID
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    np.testing.assert_array_equal(out.pixel_array, ds.pixel_array)


def test_deidentify_is_deterministic_and_salted(ct):
    a, b = imaging.deidentify(ct), imaging.deidentify(ct)
    c = imaging.deidentify(ct, salt="other")
    assert a.StudyInstanceUID == b.StudyInstanceUID != c.StudyInstanceUID


def test_deidentified_file_round_trips(ct, tmp_path):
    out = imaging.deidentify(ct)
    path = tmp_path / "anon.dcm"
    out.save_as(path, enforce_file_format=True)
    back = imaging.read_dicom(path)
    assert imaging.find_phi(back) == []
    np.testing.assert_allclose(imaging.to_hu(back), imaging.to_hu(ct))


def test_deidentify_bad_input():
    with pytest.raises(TypeError, match="read_dicom"):
        imaging.deidentify({"PatientName": "x"})
    with pytest.raises(TypeError, match="read_dicom"):
        imaging.find_phi("file.dcm")
    with pytest.raises(ValueError, match="salt"):
        imaging.deidentify(pydicom.Dataset(), salt="")


# --- the window/level widget's callback (medtutor.widgets) ------------------------------------


def test_window_level_view_is_apply_window(ct):
    from medtutor.widgets import window_level_view

    hu = imaging.to_hu(ct)
    image, caption = window_level_view(hu, -600, 1500)
    np.testing.assert_array_equal(image, imaging.apply_window(hu, -600, 1500))
    assert caption == "C=-600 W=1500: black <= -1350 HU, white > 149 HU"


def test_window_level_view_bad_input():
    from medtutor.widgets import window_level_view

    with pytest.raises(ValueError, match=">= 1"):
        window_level_view(np.zeros((4, 4)), 40, 0)
    with pytest.raises(ValueError, match="NaN"):
        window_level_view(np.full((4, 4), np.nan), 40, 80)


def test_window_level_widget_builds(ct):
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from medtutor.widgets import window_level_widget

    box = window_level_widget(imaging.to_hu(ct))
    preset, center, width, _ = box.children
    preset.value = "lung"
    assert (center.value, width.value) == imaging.WINDOW_PRESETS["lung"]
    with pytest.raises(ValueError, match="2-D slice"):
        window_level_widget(np.zeros((2, 4, 4)))
