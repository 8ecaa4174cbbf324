"""Unit tests for medtutor.app (the capstone's logic): loading user files, prediction, decisions."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image

from medtutor import app


# --------------------------------------------------------------------------- helpers
def _png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")  # uint16 arrays become 16-bit PNGs
    return buf.getvalue()


def _dicom_bytes(pixels: np.ndarray | None, modality: str = "DX", photometric: str = "MONOCHROME2") -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.Modality = modality
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    if pixels is not None:
        ds.Rows, ds.Columns = pixels.shape
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = photometric
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = pixels.astype(np.uint16).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def _gradient(h: int = 64, w: int = 64) -> np.ndarray:
    return (np.add.outer(np.arange(h), np.arange(w)) * 255 // (h + w - 2)).astype(np.uint8)


# --------------------------------------------------------------------------- load_image
def test_png_from_bytes_path_and_upload(tmp_path):
    raw = _png_bytes(_gradient())
    img, info = app.load_image(raw)
    assert img.shape == (28, 28) and img.dtype == np.uint8 and info["format"] == "image"
    assert img[0, 0] < img[-1, -1]  # orientation kept
    path = tmp_path / "x.png"
    path.write_bytes(raw)
    np.testing.assert_array_equal(app.load_image(path)[0], img)
    np.testing.assert_array_equal(app.load_image({"name": "x.png", "content": memoryview(raw)})[0], img)


def test_rgb_png_and_16bit_png():
    rgb = np.repeat(_gradient()[..., None], 3, axis=-1)
    img, _ = app.load_image(_png_bytes(rgb))
    assert img.shape == (28, 28)
    img16, _ = app.load_image(_png_bytes(_gradient().astype(np.uint16) * 200))
    assert img16.shape == (28, 28) and img16.max() > 200


def test_8bit_keeps_grey_levels_16bit_is_stretched():
    arr = np.full((56, 56), 50, np.uint8)
    arr[:, 28:] = 150
    img, _ = app.load_image(_png_bytes(arr))
    assert img.min() == 50 and img.max() == 150  # like PneumoniaMNIST: no per-image stretching
    img16, _ = app.load_image(_png_bytes(arr.astype(np.uint16) * 100))
    assert img16.min() == 0 and img16.max() == 255


def test_non_square_is_center_cropped():
    arr = np.zeros((40, 60), np.uint8)
    arr[:, 10:50] = 200
    arr[:, 20:40] = 100
    img, info = app.load_image(_png_bytes(arr))
    assert info["original_shape"] == (40, 60) and img.shape == (28, 28)


def test_dicom_radiograph_and_monochrome1():
    pix = _gradient().astype(np.uint16) * 10
    img, info = app.load_image(_dicom_bytes(pix))
    assert info["format"] == "DICOM" and info["modality"] == "DX" and img[0, 0] < img[-1, -1]
    inv, _ = app.load_image(_dicom_bytes(pix, photometric="MONOCHROME1"))
    assert inv[0, 0] > inv[-1, -1]


def test_dicom_ct_uses_lung_window():
    pytest.importorskip("pydicom")
    from medtutor import data

    try:
        path = data.dicom_path("CT_small.dcm")
    except Exception:  # pragma: no cover - pydicom test files absent
        pytest.skip("pydicom's CT_small.dcm is not available")
    img, info = app.load_image(path)
    assert info["modality"] == "CT" and img.shape == (28, 28)
    assert any("lung window" in w for w in info["warnings"])


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"this is a text file, not an image" * 10, "neither an image"),
        (b"", "empty"),
        (_dicom_bytes(None), "without pixel data"),
        (_png_bytes(np.zeros((20, 20), np.uint8) + 3), "at least 28x28"),
        (_png_bytes(_gradient(30, 100)), "far from square"),
        (_png_bytes(np.full((50, 50), 7, np.uint8)), "blank"),
    ],
)
def test_bad_files_give_clear_messages(raw, words):
    with pytest.raises(app.AppInputError, match=words):
        app.load_image(raw, name="file")


def test_decompression_bomb_is_a_clear_message(monkeypatch):
    from PIL import Image as PILImage

    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100)  # any image above 2 x 100 pixels is a "bomb"
    with pytest.raises(app.AppInputError, match="cannot be opened"):
        app.load_image(_png_bytes(_gradient(64, 64)), name="huge.png")


def test_bad_sources(tmp_path):
    with pytest.raises(app.AppInputError, match="No file"):
        app.load_image(tmp_path / "missing.png")
    with pytest.raises(app.AppInputError, match="Cannot read"):
        app.load_image(12345)
    assert issubclass(app.AppInputError, ValueError)


# --------------------------------------------------------------------------- decisions
def test_operating_point_matches_hand_computation():
    y = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    p = np.array([0.1, 0.4, 0.6, 0.7, 0.8, 0.3, 0.9, 0.2])
    op = app.operating_point(y, p, threshold=0.5, prevalence=0.1)
    assert op["sensitivity"] == pytest.approx(3 / 4) and op["specificity"] == pytest.approx(3 / 4)
    assert op["ppv"] == pytest.approx(0.75 * 0.1 / (0.75 * 0.1 + 0.25 * 0.9))
    assert op["npv"] == pytest.approx(0.75 * 0.9 / (0.75 * 0.9 + 0.25 * 0.1))
    assert op["fpr"] == pytest.approx(0.25) and app.operating_point(y, p, 0.5)["prevalence"] == 0.5


def test_operating_point_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        app.operating_point([0, 1], [0.2, 0.8], threshold=1.5)
    with pytest.raises(ValueError, match="prevalence"):
        app.operating_point([0, 1], [0.2, 0.8], threshold=0.5, prevalence=0.0)


def test_suggestion_text():
    assert app.suggestion(0.8, 0.5).startswith("REFER")
    assert app.suggestion(0.2, 0.5).startswith("NO REFERRAL")
    assert "UNCERTAIN" in app.suggestion(0.45, 0.5, 0.3, 0.6)
    assert "UNCERTAIN" not in app.suggestion(0.45, 0.5, 0.4, 0.48)
    assert app.NOTICE in app.suggestion(0.2, 0.5) and "NOT a medical device" in app.NOTICE
    with pytest.raises(ValueError, match="prob"):
        app.suggestion(float("nan"), 0.5)


def test_triage():
    y = np.array([1, 0, 1, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.3])
    t = app.triage(p, y, k=3)
    assert list(t["order"]) == [0, 1, 2, 5, 4, 3]
    assert t["found"] == 2 and t["total_positives"] == 3 and t["recall_at_k"] == pytest.approx(2 / 3)
    assert t["random_expected"] == pytest.approx(1.5) and list(t["found_curve"]) == [1, 1, 2, 3, 3, 3]
    with pytest.raises(ValueError, match="k must be"):
        app.triage(p, y, k=0)
    with pytest.raises(ValueError, match="aligned"):
        app.triage(p[:3], y, k=1)


# --------------------------------------------------------------------------- model-based
keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def model():
    from medtutor.models import pneumonia_cnn

    keras.utils.set_random_seed(0)
    return pneumonia_cnn()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)


def test_case_logits_match_model(model, images):
    from medtutor.preprocess import to_float01

    p = model.predict(to_float01(images), verbose=0)[:, 0].astype(np.float64)
    np.testing.assert_allclose(app.case_logits(model, images), np.log(p / (1 - p)), atol=1e-4)


def test_fit_calibration_positive(model, images):
    with warnings.catch_warnings():  # an untrained model's logits are tiny: fit_temperature warns
        warnings.simplefilter("ignore")
        t = app.fit_calibration(model, images, np.array([0, 1, 0, 1]))
    assert np.isfinite(t) and t > 0


def test_predict_with_uncertainty(model, images):
    from medtutor.preprocess import to_float01

    out = app.predict_with_uncertainty(model, images[0], temperature=1.0, n_samples=20, seed=1)
    p = float(model.predict(to_float01(images[:1]), verbose=0)[0, 0])
    assert out["prob"] == pytest.approx(p, abs=1e-5)
    assert 0 <= out["low"] <= out["high"] <= 1 and out["samples"].shape == (20,)
    again = app.predict_with_uncertainty(model, images[0], n_samples=20, seed=1)
    np.testing.assert_array_equal(out["samples"], again["samples"])
    hot = app.predict_with_uncertainty(model, images[0], temperature=2.0, n_samples=20, seed=1)
    assert abs(hot["prob"] - 0.5) <= abs(out["prob"] - 0.5) + 1e-9  # a higher temperature softens


def test_predict_bad_input(model, images):
    with pytest.raises(TypeError, match="uint8"):
        app.predict_with_uncertainty(model, images[0].astype(np.float32))
    with pytest.raises(ValueError, match="ONE image"):
        app.predict_with_uncertainty(model, images)
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        app.predict_with_uncertainty(model, np.zeros((30, 30), np.uint8))
    with pytest.raises(ValueError, match="temperature"):
        app.predict_with_uncertainty(model, images[0], temperature=0)


def test_analyse_case(model, images):
    res = app.analyse_case(model, images[0], temperature=1.0, threshold=0.5, n_samples=10)
    assert res["heatmap"].shape == (28, 28) and res["image"].shape == (28, 28)
    assert app.NOTICE in res["suggestion"] and 0 <= res["prob"] <= 1


# --------------------------------------------------------------------------- widget callbacks (medtutor.widgets)
def test_diagnosis_assistant_view_and_figure(model, images):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from medtutor import widgets

    y = np.array([0, 1, 0, 1])
    p = np.array([0.2, 0.7, 0.4, 0.9])
    view = widgets.diagnosis_assistant_view(model, images[0], 0.5, 0.05, y, p, n_samples=5)
    assert view["error"] is None and view["heatmap"].shape == (28, 28)
    assert view["op"]["prevalence"] == 0.05 and app.NOTICE in view["suggestion"]
    fig = widgets.diagnosis_assistant_figure(view, y, p)
    assert len(fig.axes) == 5  # the suggestion's text panel first, then four evidence panels
    headline = fig.axes[0].texts[0]
    assert headline.get_text().startswith(("REFER", "NO REFERRAL")) and headline.get_fontsize() >= 16
    assert all(t.get_fontsize() < headline.get_fontsize() for ax in fig.axes[1:] for t in [ax.title])
    plt.close(fig)
    png = widgets.diagnosis_assistant_view(model, _png_bytes(_gradient()), 0.5, 0.05, y, p, n_samples=5)
    assert png["error"] is None and png["warnings"]
    bad = widgets.diagnosis_assistant_view(model, b"not an image at all", 0.5, 0.05, y, p)
    assert "neither an image" in bad["error"]
    fig = widgets.diagnosis_assistant_figure(bad, y, p)
    plt.close(fig)
    with pytest.raises(ValueError, match="threshold"):
        widgets.diagnosis_assistant_view(model, images[0], 2.0, 0.05, y, p)


def test_triage_figure_and_widgets_build(model, images):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from medtutor import widgets

    y = np.array([0, 1, 0, 1])
    p = np.array([0.2, 0.7, 0.4, 0.9])
    fig = widgets.triage_figure(y, p, 2)
    assert "2 of 2" in fig.axes[0].get_title()
    plt.close(fig)
    box = widgets.diagnosis_assistant_widget(model, images, y, p, n_samples=3)
    assert box.children
    assert widgets.triage_widget(y, p, k=2).children
    plt.close("all")
    with pytest.raises(ValueError, match="uint8"):
        widgets.diagnosis_assistant_widget(model, images.astype(float), y, p)


# --------------------------------------------------------------------------- out-of-distribution inputs
def _familiar(n: int, seed: int) -> np.ndarray:
    """Stand-in 'training' images: a fixed smooth gradient plus mild noise (what the detector learns)."""
    rng = np.random.default_rng(seed)
    base = _gradient(28, 28).astype(float) * 0.5 + 60
    return np.clip(base + rng.normal(0, 6, (n, 28, 28)), 0, 255).astype(np.uint8)


def test_ood_detector_accepts_familiar_and_flags_strangers(model):
    det = app.fit_ood_detector(model, _familiar(150, 0), _familiar(60, 1), accept=0.9)
    same = app.ood_detector_from_features(
        app.penultimate_features(model, _familiar(150, 0)),
        app.penultimate_features(model, _familiar(60, 1)),
        accept=0.9,
    )
    assert same.threshold == pytest.approx(det.threshold) and np.allclose(same.mean, det.mean)
    assert det.layer == "gap" and det.precision.shape == (128, 128) and np.isfinite(det.threshold)
    familiar = app.ood_scores(model, _familiar(60, 2), det)
    assert 0.7 <= np.mean(familiar <= det.threshold) <= 1.0  # about `accept` of new familiar images pass
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    strangers = app.ood_scores(model, noise, det)
    assert np.all(strangers > det.threshold)
    res = app.ood_check(model, noise[0], det)
    assert res["flagged"] and res["score"] == pytest.approx(strangers[0])


def test_app_refuses_ood_input_with_plain_message(model):
    from medtutor import widgets

    det = app.fit_ood_detector(model, _familiar(150, 0), _familiar(60, 1))
    noise = np.random.default_rng(4).integers(0, 256, (28, 28), dtype=np.uint8)
    res = app.analyse_case(model, noise, threshold=0.5, n_samples=5, ood=det)
    assert res["ood"]["flagged"]
    assert res["suggestion"].startswith("NO DIAGNOSIS") and "REFER" not in res["suggestion"]
    assert app.NOTICE in res["suggestion"] and "chest X-ray" in res["suggestion"]
    ok = app.analyse_case(model, _familiar(1, 9)[0], threshold=0.5, n_samples=5, ood=det)
    assert not ok["ood"]["flagged"] and ok["suggestion"].startswith(("REFER", "NO REFERRAL"))
    y, p = np.array([0, 1, 0, 1]), np.array([0.2, 0.7, 0.4, 0.9])
    view = widgets.diagnosis_assistant_view(model, noise, 0.5, 0.05, y, p, n_samples=5, ood=det)
    assert view["ood"]["flagged"] and view["suggestion"].startswith("NO DIAGNOSIS")
    assert widgets._suggestion_headline(view)[0].startswith("NO DIAGNOSIS")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = widgets.diagnosis_assistant_figure(view, y, p)
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert fig.axes[0].texts[0].get_text().startswith("NO DIAGNOSIS")
    assert "P =" not in titles and "Grad-CAM" not in titles and "withheld" in titles  # no diagnosis shown
    plt.close(fig)


def test_ood_bad_input(model):
    with pytest.raises(ValueError, match="accept"):
        app.fit_ood_detector(model, _familiar(10, 0), _familiar(10, 1), accept=1.0)
    with pytest.raises(ValueError, match="no layer"):
        app.penultimate_features(model, _familiar(2, 0), layer="nope")
    with pytest.raises(ValueError, match="same D"):
        app.ood_detector_from_features(np.zeros((10, 4)), np.zeros((5, 3)))
    with pytest.raises(TypeError, match="fit_ood_detector"):
        app.ood_scores(model, _familiar(2, 0), {"mean": 0})


def test_dicom_without_extension_is_read_by_content(tmp_path):
    raw = _dicom_bytes(_gradient(64, 64).astype(np.uint16) * 100)
    path = tmp_path / "IM0001"  # as many PACS exports name files: no extension at all
    path.write_bytes(raw)
    img, info = app.load_image(path)
    assert info["format"] == "DICOM" and img.shape == (28, 28)
