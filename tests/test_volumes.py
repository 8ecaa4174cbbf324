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


# --------------------------------------------------------------------------- real CT helpers


def test_resample_isotropic_scales_each_axis():
    vol = np.arange(4 * 6 * 6, dtype=np.float32).reshape(4, 6, 6)
    out, spacing = volumes.resample_isotropic(vol, (2.5, 0.5, 0.5), new_spacing=1.0)
    assert out.shape == (10, 3, 3)
    assert np.allclose(spacing, (1.0, 1.0, 1.0))
    assert out[0, 0, 0] == vol[0, 0, 0] and out[-1, -1, -1] == vol[-1, -1, -1]  # corners map to corners
    assert vol.min() <= out.min() and out.max() <= vol.max()  # linear: no overshoot
    with pytest.raises(ValueError, match="positive voxel sizes"):
        volumes.resample_isotropic(vol, (1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="new_spacing"):
        volumes.resample_isotropic(vol, (1.0, 1.0, 1.0), new_spacing=0)


def test_crop_patch_centres_and_pads_with_air():
    vol = np.zeros((10, 10, 10), dtype=np.float32)
    vol[5, 5, 5] = 7
    patch = volumes.crop_patch(vol, (5, 5, 5), size=4)
    assert patch.shape == (4, 4, 4) and patch[2, 2, 2] == 7
    edge = volumes.crop_patch(vol, (0, 0, 0), size=4, fill=-1000)
    assert edge[0, 0, 0] == -1000 and edge[2, 2, 2] == 0
    with pytest.raises(ValueError, match="outside the volume"):
        volumes.crop_patch(vol, (50, 5, 5), size=4)
    with pytest.raises(ValueError, match="positive integer"):
        volumes.crop_patch(vol, (5, 5, 5), size=0)


def test_contour_mask_fills_the_polygon_and_its_outline():
    square = [[2, 2], [6, 2], [6, 5], [2, 5]]  # [x, y]
    mask = volumes.contour_mask(square, (8, 10))
    assert mask.sum() == 5 * 4 and mask[2, 2] and mask[5, 6] and not mask[1, 2] and not mask[2, 7]
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        volumes.contour_mask([1, 2, 3], (8, 8))


class _Series:
    """Just what annotation_mask needs from a CTSeries: hu.shape and index_of_position."""

    hu = np.zeros((3, 8, 8))

    @staticmethod
    def index_of_position(z):
        return {0.0: 0, -2.5: 1, -5.0: 2}[z]


def test_annotation_mask_places_contours_and_cuts_holes():
    outer = {"image_z_position": -2.5, "inclusion": True, "points_xy": [[1, 1], [6, 1], [6, 6], [1, 6]]}
    hole = {"image_z_position": -2.5, "inclusion": False, "points_xy": [[3, 3], [4, 3], [4, 4], [3, 4]]}
    mask = volumes.annotation_mask({"contours": [hole, outer]}, _Series())  # hole listed first on purpose
    assert mask[1].sum() == 36 - 4 and not mask[0].any() and not mask[2].any() and not mask[1, 3, 3]


def test_dice_and_its_bad_inputs():
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    a[:2] = True
    b[1:3] = True
    assert volumes.dice(a, a) == 1.0 and volumes.dice(a, b) == 0.5
    with pytest.raises(ValueError, match="same shape"):
        volumes.dice(a, b[:2])
    with pytest.raises(ValueError, match="empty"):
        volumes.dice(np.zeros(3, bool), np.zeros(3, bool))


def test_cluster_centres_links_chains_and_separates_far_points():
    pts = [[0, 0, 0], [0, 0, 8], [0, 0, 16], [50, 0, 0], [0, 0, 1]]
    assert volumes.cluster_centres(pts, 10).tolist() == [0, 0, 0, 1, 0]  # single linkage: a chain is one group
    assert volumes.cluster_centres(pts, 5).tolist() == [0, 1, 2, 3, 0]
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        volumes.cluster_centres([[0, 0]], 10)


def test_nodule_label_rule():
    assert volumes.nodule_label([4, 3, 3]) == 1
    assert volumes.nodule_label([3, 3, 3, 2]) == 0
    assert volumes.nodule_label([4, 2]) is None and volumes.nodule_label([3]) is None
    with pytest.raises(ValueError, match="1-5"):
        volumes.nodule_label([6, 3])
    with pytest.raises(ValueError, match="1-5"):
        volumes.nodule_label([])


def test_fleiss_kappa_known_values():
    # Fleiss (1971)-style check cases: perfect agreement, and agreement exactly at chance level.
    perfect = [[3, 0], [0, 3], [3, 0]]
    assert volumes.fleiss_kappa(perfect) == pytest.approx(1.0)
    # two raters, two items, split votes on both: P_obs = 0, P_chance = 0.5 -> kappa = -1
    assert volumes.fleiss_kappa([[1, 1], [1, 1]]) == pytest.approx(-1.0)
    # a hand-computed case: 3 raters, items (3,0), (2,1), (0,3): P_obs = (1 + 1/3 + 1) / 3 = 7/9,
    # category shares 5/9 and 4/9 -> P_chance = 41/81, kappa = (7/9 - 41/81) / (1 - 41/81) = 22/40
    assert volumes.fleiss_kappa([[3, 0], [2, 1], [0, 3]]) == pytest.approx(22 / 40)
    with pytest.raises(ValueError, match="same number of raters"):
        volumes.fleiss_kappa([[3, 0], [1, 1]])
    with pytest.raises(ValueError, match="undefined"):
        volumes.fleiss_kappa([[2, 0], [2, 0]])


def test_lidc_database_readers(tmp_path):
    import sqlite3

    db = tmp_path / "mini.sqlite"
    with sqlite3.connect(db) as con:
        con.execute(
            "CREATE TABLE scans (id, study_instance_uid, series_instance_uid, patient_id, slice_thickness, "
            "pixel_spacing)"
        )
        con.execute(
            'CREATE TABLE annotations (id, scan_id, _nodule_id, subtlety, "internalStructure", calcification, '
            "sphericity, margin, lobulation, spiculation, texture, malignancy)"
        )
        con.execute("CREATE TABLE contours (id, annotation_id, inclusion, image_z_position, dicom_file_name, coords)")
        con.execute("INSERT INTO scans VALUES (1, 's', '1.2.3', 'P1', 2.5, 0.5)")
        for aid, (z, x, m) in enumerate([(-10.0, 10, 4), (-10.0, 12, 3), (-10.0, 90, 1)], start=1):
            con.execute("INSERT INTO annotations VALUES (?, 1, 'n', 1, 1, 6, 1, 1, 1, 1, 5, ?)", (aid, m))
            con.execute("INSERT INTO contours VALUES (?, ?, 1, ?, 'f.dcm', ?)", (aid, aid, z, f"{x},20\n{x + 2},20\n"))
    table = volumes.lidc_all_annotations(db)
    assert table["malignancy"].tolist() == [4, 3, 1]
    assert np.allclose(table["centre_mm"][0], (-10.0, 10.0, 5.5))  # (z, y * 0.5, x * 0.5)
    nodules = volumes.lidc_nodules(table, max_distance=10.0)
    assert sorted(len(n) for n in nodules) == [1, 2]
    one = volumes.lidc_annotations_from_db(db, "1.2.3")
    assert one["patient_id"] == "P1" and one["annotations"][0]["contours"][0]["points_xy"] == [
        [10.0, 20.0],
        [12.0, 20.0],
    ]
    with pytest.raises(FileNotFoundError, match="lidc_database"):
        volumes.lidc_all_annotations(tmp_path / "none.sqlite")


def test_annotation_mask_box_and_centre():
    outer = {"image_z_position": -2.5, "inclusion": True, "points_xy": [[1, 1], [6, 1], [6, 6], [1, 6]]}
    full = volumes.annotation_mask({"contours": [outer]}, _Series())
    box = (slice(1, 3), slice(0, 4), slice(2, 8))
    assert np.array_equal(volumes.annotation_mask({"contours": [outer]}, _Series(), box=box), full[box])
    assert np.allclose(volumes.annotation_centre({"contours": [outer]}, _Series()), (1, 3.5, 3.5))
    with pytest.raises(ValueError, match="unit-step slices"):
        volumes.annotation_mask({"contours": [outer]}, _Series(), box=(slice(0, 2),))
    with pytest.raises(ValueError, match="no included contour"):
        volumes.annotation_centre({"contours": []}, _Series())
