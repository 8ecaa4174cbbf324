"""Unit tests for medtutor.features: each batch feature equals scikit-image's per-image reference."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import filters, measure
from skimage.feature import canny, graycomatrix, graycoprops, hog, local_binary_pattern

from medtutor import features as F


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """Eight 28 x 28 uint8 test images: smooth blobs plus noise, and one constant image."""
    rng = np.random.default_rng(0)
    r, c = np.mgrid[0:28, 0:28]
    out = []
    for k in range(7):
        blob = 120 + 100 * np.exp(-((r - 8 - 2 * k) ** 2 + (c - 14) ** 2) / 40.0)
        dark = 80 * (((r - 14) ** 2 / 60 + (c - 7 - k) ** 2 / 20) < 1)
        out.append(np.clip(blob - dark + rng.normal(0, 12, (28, 28)), 0, 255))
    out.append(np.full((28, 28), 77.0))
    return np.round(np.stack(out)).astype(np.uint8)


ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)


@pytest.mark.parametrize("distance", [1, 2, 3])
@pytest.mark.parametrize("angle", ANGLES)
def test_glcm_matches_skimage(images, distance, angle):
    q = F.quantize(images, 8)
    p = F.glcm(q, 8, distance, angle)
    assert p.shape == (len(images), 8, 8)
    for k in range(len(images)):
        ref = graycomatrix(q[k].astype(np.uint8), [distance], [angle], levels=8, symmetric=True, normed=True)
        np.testing.assert_allclose(p[k], ref[:, :, 0, 0], atol=1e-12)
        props = [graycoprops(ref, name)[0, 0] for name in F.GLCM_PROPS]
        np.testing.assert_allclose(F._glcm_props(p[k : k + 1])[0], props, atol=1e-10)


def test_glcm_features_average_over_angles(images):
    q = F.quantize(images, 8)
    out = F.glcm_features(images)
    assert out.shape == (len(images), 2 * len(F.GLCM_PROPS))
    k = 3
    ref = graycomatrix(q[k].astype(np.uint8), [1, 2], list(ANGLES), levels=8, symmetric=True, normed=True)
    expected = [graycoprops(ref, name)[d].mean() for d in range(2) for name in F.GLCM_PROPS]
    np.testing.assert_allclose(out[k], expected, atol=1e-10)


def test_glcm_offsets_follow_skimage_rounding():
    assert F.glcm_offsets(1, 0.0) == (0, 1)
    assert F.glcm_offsets(2, np.pi / 4) == (1, 1)
    with pytest.raises(ValueError, match="positive"):
        F.glcm_offsets(0, 0.0)


def test_sobel_matches_skimage(images):
    mag = F.sobel_magnitude(images)
    for k in range(len(images)):
        np.testing.assert_allclose(mag[k], filters.sobel(images[k] / 255.0), atol=1e-12)
    out = F.sobel_features(images)
    assert out.shape == (len(images), 2 + 16)
    np.testing.assert_allclose(out[:, 0], mag.mean(axis=(1, 2)))


def test_intensity_features(images):
    out = F.intensity_features(images)
    assert out.shape == (len(images), 9)
    f = images[0].astype(np.float64) / 255
    np.testing.assert_allclose(out[0, :2], [f.mean(), f.std()])
    np.testing.assert_allclose(out[0, 4], np.median(f))
    from scipy import stats

    np.testing.assert_allclose(out[0, 7:], [stats.skew(f.ravel()), stats.kurtosis(f.ravel())], atol=1e-10)
    assert np.isfinite(out).all()  # the constant image too


def test_block_features(images):
    out = F.block_features(images, grid=4)
    assert out.shape == (len(images), 32)
    np.testing.assert_allclose(out[1, 0], images[1, :7, :7].mean() / 255)
    np.testing.assert_allclose(out[1, 16 + 5], images[1, 7:14, 7:14].std() / 255)


def test_hog_lbp_canny_match_skimage(images):
    k = 2
    np.testing.assert_allclose(
        F.hog_features(images)[k], hog(images[k], orientations=9, pixels_per_cell=(7, 7), cells_per_block=(2, 2))
    )
    lbp = local_binary_pattern(images[k], 8, 1.0, method="uniform")
    np.testing.assert_allclose(F.lbp_features(images)[k], np.bincount(lbp.astype(int).ravel(), minlength=10) / 784)
    assert F.lbp_features(images).sum(axis=1) == pytest.approx(np.ones(len(images)))
    edges = canny(images[k] / 255.0, sigma=1.0)
    out = F.canny_features(images)
    assert out[k, 0] == pytest.approx(edges.mean())
    assert out[k, 1] == pytest.approx(edges[:14, :14].mean())


def test_shape_features_match_regionprops(images):
    out = F.shape_features(images)
    assert out.shape == (len(images), 2 + 2 * 4)
    for k in range(7):
        t = filters.threshold_otsu(images[k])
        dark = images[k] < t
        regions = sorted(measure.regionprops(measure.label(dark, connectivity=1)), key=lambda p: -p.area)[:2]
        ref = [[p.area / 784, p.centroid[0] / 28, p.centroid[1] / 28, p.eccentricity] for p in regions]
        np.testing.assert_allclose(out[k, :2], [dark.mean(), t / 255])
        np.testing.assert_allclose(out[k, 2 : 2 + 4 * len(ref)], np.ravel(ref), atol=1e-9)
    np.testing.assert_array_equal(out[7, 2:], 0)  # constant image: no dark region


def test_extract_features(images):
    x, names = F.extract_features(images)
    assert x.shape == (len(images), len(names)) and x.dtype == np.float64
    assert np.isfinite(x).all()
    assert len(set(names)) == len(names)
    assert names[0] == "intensity_mean" and "glcm_d1_contrast" in names and names[-1] == "shape_region2_eccentricity"


@pytest.mark.parametrize(
    ("bad", "err", "match"),
    [
        ([[1, 2], [3, 4]], TypeError, "NumPy array"),
        (np.zeros((2, 28, 28), dtype=np.float32), TypeError, "uint8"),
        (np.zeros((2, 28, 28, 1), dtype=np.uint8), ValueError, r"x\[\.\.\., 0\]"),
        (np.zeros((28, 28), dtype=np.uint8), ValueError, r"x\[None\]"),
        (np.zeros((0, 28, 28), dtype=np.uint8), ValueError, "empty"),
        (np.zeros((2, 30, 30), dtype=np.uint8), ValueError, "divisible"),
    ],
)
def test_bad_input_is_refused(bad, err, match):
    with pytest.raises(err, match=match):
        F.extract_features(bad)


def test_bad_glcm_arguments(images):
    with pytest.raises(ValueError, match="power of two"):
        F.quantize(images, 10)
    with pytest.raises(ValueError, match="quantize"):
        F.glcm(images, 8)  # raw 0..255 values, not quantised
    with pytest.raises(ValueError, match="too large"):
        F.glcm(F.quantize(images, 8), 8, distance=28)
