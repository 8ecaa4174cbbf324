"""Tests for medtutor.preprocess: scaling, geometry and the tf.data pipeline, including bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from medtutor import preprocess as P


def _batch(n: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


# --------------------------------------------------------------------------- to_float01
def test_to_float01_shape_dtype_range():
    x = _batch()
    out = P.to_float01(x)
    assert out.shape == (5, 28, 28, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], x / 255.0, atol=1e-7)
    assert P.to_float01(x[..., None]).shape == (5, 28, 28, 1)
    full = P.to_float01(np.array([[[0, 255]]], dtype=np.uint8))
    assert full.min() == 0.0 and full.max() == 1.0


@pytest.mark.parametrize(
    "bad, err, words",
    [
        (np.zeros((2, 28, 28), np.float32), TypeError, "already looks scaled"),
        (np.zeros((2, 28, 28), np.int64), TypeError, "uint8"),
        (np.zeros((28, 28), np.uint8), ValueError, "x[None]"),
        (np.zeros((2, 28, 28, 3), np.uint8), ValueError, "grey"),
        (np.zeros((0, 28, 28), np.uint8), ValueError, "empty"),
    ],
)
def test_to_float01_bad_input(bad, err, words):
    with pytest.raises(err, match=None) as info:
        P.to_float01(bad)
    assert words in str(info.value)


# --------------------------------------------------------------------------- intensity
def test_minmax_and_zscore():
    img = np.array([[10.0, 20.0], [30.0, 50.0]])
    mm = P.minmax_scale(img)
    assert mm.min() == 0 and mm.max() == 1 and mm.dtype == np.float32
    z = P.zscore(img)
    assert abs(float(z.mean())) < 1e-6 and abs(float(z.std()) - 1) < 1e-6
    np.testing.assert_allclose(P.zscore(img, mean=10.0, std=2.0), (img - 10) / 2)
    assert not P.minmax_scale(np.ones((3, 3))).any() and not P.zscore(np.ones((3, 3))).any()


def test_intensity_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        P.minmax_scale(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="both mean and std"):
        P.zscore(np.ones((2, 2)), mean=1.0)
    with pytest.raises(ValueError, match="positive"):
        P.zscore(np.ones((2, 2)), mean=0.0, std=0.0)
    with pytest.raises(ValueError, match="ONE image"):
        P.minmax_scale(np.ones((2, 2, 2, 2)))
    with pytest.raises(TypeError, match="numbers"):
        P.minmax_scale(np.array([["a", "b"]]))


# --------------------------------------------------------------------------- geometry
def test_resize_keeps_range_and_shape():
    img = np.full((28, 28), 200, np.uint8)
    out = P.resize(img, 224)
    assert out.shape == (224, 224) and out.dtype == np.float32
    np.testing.assert_allclose(out, 200.0, atol=1e-3)  # preserve_range: not rescaled to [0, 1]
    assert P.resize(np.zeros((10, 20, 3)), (5, 8)).shape == (5, 8, 3)


def test_center_crop_is_central_and_refuses_too_big():
    img = np.arange(100).reshape(10, 10)
    out = P.center_crop(img, 4)
    np.testing.assert_array_equal(out, img[3:7, 3:7])
    assert P.center_crop(img, (2, 6)).shape == (2, 6)
    with pytest.raises(ValueError, match="must fit inside"):
        P.center_crop(img, 11)
    with pytest.raises(ValueError, match="positive"):
        P.center_crop(img, 0)
    with pytest.raises(ValueError, match="pair of ints"):
        P.center_crop(img, (2.5, 3))


def test_shift_moves_content():
    img = np.zeros((9, 9), np.float32)
    img[4, 4] = 1.0
    out = P.shift(img, 2, -3)
    assert out[6, 1] == pytest.approx(1.0) and out.sum() == pytest.approx(1.0)
    assert P.shift(img, 20, 0).sum() == 0  # shifted out of view: fill value
    with pytest.raises(ValueError, match="finite"):
        P.shift(img, np.nan, 0)


def test_rotate_90_matches_rot90():
    img = np.random.default_rng(0).random((7, 7)).astype(np.float32)
    np.testing.assert_allclose(P.rotate(img, 90), np.rot90(img), atol=1e-5)
    np.testing.assert_allclose(P.rotate(img, 0), img, atol=1e-6)
    with pytest.raises(ValueError, match="finite"):
        P.rotate(img, np.inf)


# --------------------------------------------------------------------------- tf.data
def test_make_dataset_batches_and_reproducible_shuffle():
    x = P.to_float01(_batch(10))
    y = np.arange(10) % 2
    ds = P.make_dataset(x, y, batch_size=4, shuffle=False)
    batches = list(ds.as_numpy_iterator())
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    order = lambda: np.concatenate([b[0][:, 0, 0, 0] for b in P.make_dataset(x, y, 4, True, 7)])
    np.testing.assert_array_equal(order(), order())


def test_make_dataset_applies_augmentation_to_batches():
    x = P.to_float01(_batch(6))
    ds = P.make_dataset(x, np.zeros(6), batch_size=3, augment=lambda xb: xb * 0.0)
    assert all(not b[0].any() for b in ds.as_numpy_iterator())


@pytest.mark.parametrize(
    "x, y, kw, words",
    [
        (_batch(4), np.zeros(4), {}, "to_float01"),
        (np.zeros((4, 28, 28), np.float32), np.zeros(4), {}, "(N, H, W, C)"),
        (np.full((4, 28, 28, 1), np.nan, np.float32), np.zeros(4), {}, "NaN"),
        (np.zeros((4, 28, 28, 1), np.float32), np.zeros(3), {}, "one label per image"),
        (np.zeros((4, 28, 28, 1), np.float32), np.zeros(4), {"batch_size": 0}, "batch_size"),
        (np.zeros((4, 28, 28, 1), np.float32), np.zeros(4), {"augment": "flip"}, "callable"),
    ],
)
def test_make_dataset_bad_input(x, y, kw, words):
    with pytest.raises((TypeError, ValueError)) as info:
        P.make_dataset(x, y, **kw)
    assert words in str(info.value)
