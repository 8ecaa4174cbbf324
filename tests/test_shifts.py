"""Tests of medtutor.shifts: shapes, dtypes, severities and clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from medtutor import shifts


@pytest.fixture
def images() -> np.ndarray:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:28, 0:28]
    base = (127 + 100 * np.sin(xx / 3.0) * np.cos(yy / 4.0)).astype(np.uint8)
    return np.stack([base, np.roll(base, 3, axis=1), rng.integers(0, 256, (28, 28), dtype=np.uint8)])


@pytest.mark.parametrize("name", sorted(shifts.SHIFTS))
def test_shape_dtype_and_severity_zero(images, name):
    for sev in range(6):
        out = shifts.apply_shift(images, name, sev)
        assert out.shape == images.shape and out.dtype == np.uint8
    assert np.array_equal(shifts.apply_shift(images, name, 0), images)
    f = images.astype(np.float32) / 255
    out = shifts.apply_shift(f, name, 3)
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    single = shifts.apply_shift(images[0], name, 2)
    assert single.shape == (28, 28)


@pytest.mark.parametrize("name", sorted(shifts.SHIFTS))
def test_damage_grows_with_severity(images, name):
    ref = images[:2].astype(float)
    damage = [np.abs(shifts.apply_shift(images[:2], name, s).astype(float) - ref).mean() for s in range(6)]
    assert damage[0] == 0
    assert all(b >= a - 0.5 for a, b in zip(damage, damage[1:])), damage
    assert damage[5] > damage[1]


def test_single_image_matches_batch(images):
    for name in ("gaussian_blur", "contrast", "resolution"):
        batch = shifts.apply_shift(images, name, 4)
        assert np.array_equal(shifts.apply_shift(images[1], name, 4), batch[1])


def test_noise_is_reproducible_and_has_the_documented_std():
    flat = np.full((50, 28, 28), 0.5, dtype=np.float32)
    a = shifts.gaussian_noise(flat, 3, seed=1)
    assert np.array_equal(a, shifts.gaussian_noise(flat, 3, seed=1))
    assert not np.array_equal(a, shifts.gaussian_noise(flat, 3, seed=2))
    assert abs(float((a - 0.5).std()) - shifts.SEVERITIES["gaussian_noise"][2]) < 0.003


def test_contrast_formula_and_blur_keeps_the_mean():
    x = np.array([[[0.0, 1.0], [0.5, 0.5]]], dtype=np.float32).repeat(2, axis=1).repeat(2, axis=2)
    c = shifts.SEVERITIES["contrast"][1]
    expected = x.mean() + c * (x - x.mean())
    np.testing.assert_allclose(shifts.contrast(x, 2), expected, atol=1e-6)
    flat = np.full((1, 28, 28), 0.3, dtype=np.float32)
    np.testing.assert_allclose(shifts.gaussian_blur(flat, 5), flat, atol=1e-6)
    np.testing.assert_allclose(shifts.resolution(flat, 5), flat, atol=1e-6)


def test_clear_errors(images):
    with pytest.raises(ValueError, match="unknown shift"):
        shifts.apply_shift(images, "snow", 1)
    with pytest.raises(ValueError, match="severity must be 0"):
        shifts.contrast(images, 6)
    with pytest.raises(ValueError, match="severity must be 0"):
        shifts.contrast(images, -1)
    with pytest.raises(TypeError, match="severity must be an integer"):
        shifts.gaussian_blur(images, 1.5)
    with pytest.raises(TypeError, match="severity must be an integer"):
        shifts.gaussian_blur(images, True)
    with pytest.raises(ValueError, match="channel axis"):
        shifts.resolution(images[..., None], 1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        shifts.contrast(images.astype(np.float32), 1)
    with pytest.raises(ValueError, match="NaN"):
        shifts.contrast(np.full((2, 8, 8), np.nan, dtype=np.float32), 1)
    with pytest.raises(TypeError, match="uint8"):
        shifts.contrast(images.astype(np.int32), 1)
    with pytest.raises(TypeError, match="numeric"):
        shifts.contrast(np.array([["a"] * 8] * 8), 1)
    with pytest.raises(ValueError, match="grey image"):
        shifts.gaussian_noise(np.zeros(28, dtype=np.uint8), 1)
    with pytest.raises(ValueError, match="empty"):
        shifts.gaussian_noise(np.zeros((0, 28, 28), dtype=np.uint8), 1)
