"""Unit tests of medtutor.volumes (3D slices, augmentation, 2.5D) and the volume viewer callback."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from medtutor import volumes
from medtutor.widgets import volume_slices_view


def _vol(shape=(4, 5, 6)):
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape)


def test_orthogonal_slices_index_the_right_planes():
    v = _vol()
    s = volumes.orthogonal_slices(v, (1, 2, 3))
    assert np.array_equal(s["axial"], v[1])
    assert np.array_equal(s["coronal"], v[:, 2, :])
    assert np.array_equal(s["sagittal"], v[:, :, 3])
    centre = volumes.orthogonal_slices(v)
    assert np.array_equal(centre["axial"], v[2]) and np.array_equal(centre["sagittal"], v[:, :, 3])


@pytest.mark.parametrize(
    "bad, err, words",
    [
        (np.zeros((4, 4)), ValueError, "3D"),
        (np.zeros((4, 4, 4, 1)), ValueError, "channel"),
        ("volume", TypeError, "numpy array"),
        (np.full((3, 3, 3), np.nan), ValueError, "NaN"),
        (np.array([[["a"]]]), TypeError, "numbers"),
    ],
)
def test_bad_volumes_are_refused_with_the_fix(bad, err, words):
    with pytest.raises(err, match=words):
        volumes.orthogonal_slices(bad)


def test_bad_index_is_refused():
    with pytest.raises(IndexError, match="outside"):
        volumes.orthogonal_slices(_vol(), (9, 0, 0))
    with pytest.raises(ValueError, match="triple"):
        volumes.orthogonal_slices(_vol(), (1, 2))


def test_augment_volume_is_a_reproducible_symmetry():
    v = _vol((6, 5, 5))
    a = volumes.augment_volume(v, np.random.default_rng(3))
    b = volumes.augment_volume(v, np.random.default_rng(3))
    assert np.array_equal(a, b)
    assert a.shape == v.shape and np.allclose(np.sort(a.ravel()), np.sort(v.ravel()))  # same voxels, moved
    # the draw order is documented: three flip coins, then the rotation count
    rng = np.random.default_rng(3)
    flips = rng.random(3) < 0.5
    k = int(rng.integers(4))
    expected = v
    for axis in range(3):
        if flips[axis]:
            expected = np.flip(expected, axis)
    assert np.array_equal(a, np.rot90(expected, k, axes=(1, 2)))


def test_augment_shift_keeps_shape_and_pads_with_edges():
    v = _vol((5, 5, 5))
    out = volumes.augment_volume(v, np.random.default_rng(0), flip=False, rotate=False, max_shift=2)
    assert out.shape == v.shape
    assert set(np.unique(out)) <= set(np.unique(v))


def test_augment_bad_inputs():
    with pytest.raises(TypeError, match="default_rng"):
        volumes.augment_volume(_vol(), 0)
    with pytest.raises(ValueError, match="square"):
        volumes.augment_volume(_vol((4, 5, 6)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_shift"):
        volumes.augment_volume(_vol((4, 5, 5)), np.random.default_rng(0), max_shift=-1)


def test_augment_batch_shape_dtype_and_seed():
    batch = np.random.default_rng(0).integers(0, 255, (3, 4, 4, 4)).astype(np.uint8)
    a = volumes.augment_batch(batch, 7)
    assert a.shape == batch.shape and a.dtype == np.uint8
    assert np.array_equal(a, volumes.augment_batch(batch, 7))
    with pytest.raises(ValueError, match="batch"):
        volumes.augment_batch(batch[0], 0)
    with pytest.raises(ValueError, match="channel"):
        volumes.augment_batch(batch[..., None], 0)


def test_two_and_half_d_stacks_three_planes():
    batch = np.random.default_rng(1).random((2, 5, 5, 5)).astype(np.float32)
    out = volumes.two_and_half_d(batch)
    assert out.shape == (2, 5, 5, 3) and out.dtype == np.float32
    assert np.array_equal(out[1, ..., 0], batch[1, 2])
    assert np.array_equal(out[1, ..., 1], batch[1, :, 2, :])
    assert np.array_equal(out[1, ..., 2], batch[1, :, :, 2])
    with pytest.raises(ValueError, match="cubic"):
        volumes.two_and_half_d(np.zeros((2, 4, 5, 5)))
    with pytest.raises(ValueError, match="NaN"):
        volumes.two_and_half_d(np.full((1, 3, 3, 3), np.inf))


def test_show_orthogonal_draws_three_panels():
    import matplotlib.pyplot as plt

    fig = volumes.show_orthogonal(_vol((5, 5, 5)), (1, 2, 3))
    assert len(fig.axes) == 3
    plt.close(fig)
    with pytest.raises(ValueError, match="three"):
        volumes.show_orthogonal(_vol(), axes=[None])


def test_volume_slices_view_callback():
    v = _vol((4, 5, 6))
    slices, caption = volume_slices_view(v, 1, 2, 3)
    assert np.array_equal(slices["coronal"], v[:, 2, :])
    assert "(1, 2, 3)" in caption and f"{v[1, 2, 3]:.3g}" in caption
    with pytest.raises(IndexError):
        volume_slices_view(v, 4, 0, 0)
