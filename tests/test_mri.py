"""Unit tests of medtutor.mri: template tissue maps, the DWI equation, simulated strokes, NIfTI folders."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from medtutor import mri


@pytest.fixture(scope="module")
def brain():
    return mri.load_brain(2)


def test_load_brain_grid_and_maps(brain):
    assert brain.shape == (98, 116, 94)
    for vol in (brain.t1, brain.gm, brain.wm, brain.csf, brain.mask):
        assert vol.shape == brain.shape and vol.dtype == np.float32
        assert vol.min() >= 0 and vol.max() <= 1
    assert np.allclose(np.diag(brain.affine)[:3], 2.0)
    # 2 mm voxel 0 is the block of 1 mm voxels 0 and 1: its centre is half a millimetre further
    assert np.allclose(brain.voxel_to_mm([0, 0, 0]), [-97.5, -133.5, -71.5])
    assert np.all(brain.csf <= brain.mask + 1e-6) and brain.csf.max() > 0.9  # CSF = mask - GM - WM
    with pytest.raises(ValueError, match="1, 2 or 4"):
        mri.load_brain(3)


def test_dwi_signal_is_the_stejskal_tanner_equation():
    assert np.isclose(mri.dwi_signal(0.8, 0.8, 1000), 0.8 * np.exp(-0.8), atol=1e-6)
    assert np.isclose(mri.dwi_signal(1.0, 3.0, 0), 1.0)
    with pytest.raises(ValueError, match="b must be"):
        mri.dwi_signal(1.0, 0.8, -1)
    with pytest.raises(ValueError, match="adc"):
        mri.dwi_signal(1.0, -0.1)
    with pytest.raises(ValueError, match="adc"):
        mri.dwi_signal(1.0, np.nan)


def test_simulate_lesion_respects_territory_side_and_seed(brain):
    les, info = mri.simulate_lesion(brain, np.random.default_rng(0), territory="MCA", side="left", size=0.8)
    again, _ = mri.simulate_lesion(brain, np.random.default_rng(0), territory="MCA", side="left", size=0.8)
    assert np.array_equal(les, again)
    assert les.shape == brain.shape and les.dtype == np.float32 and les.max() <= 1 and les.max() > 0.5
    x_mm = brain.voxel_to_mm(np.argwhere(les > 0.01))[:, 0]
    assert np.all(x_mm < 0), "a left-hemisphere lesion must stay left of the midline"
    assert info["territory"] == "MCA" and info["side"] == "left" and info["volume_ml"] > 1
    right, _ = mri.simulate_lesion(brain, 1, territory="PCA", side="right", size=0.8)
    assert np.all(brain.voxel_to_mm(np.argwhere(right > 0.01))[:, 0] > 0)
    assert np.all(les <= np.clip(brain.gm + brain.wm, 0, 1) + 1e-6), "lesions are parenchymal"


@pytest.mark.parametrize(
    "kwargs, err, words",
    [
        ({"territory": "carotid"}, ValueError, "unknown territory"),
        ({"side": "up"}, ValueError, "left"),
        ({"size": 0}, ValueError, "size"),
        ({"size": 2}, ValueError, "size"),
    ],
)
def test_simulate_lesion_bad_arguments(brain, kwargs, err, words):
    with pytest.raises(err, match=words):
        mri.simulate_lesion(brain, 0, **kwargs)


def test_simulate_lesion_bad_brain_and_rng(brain):
    with pytest.raises(TypeError, match="load_brain"):
        mri.simulate_lesion(np.zeros((3, 3, 3)), 0)
    with pytest.raises(TypeError, match="Generator"):
        mri.simulate_lesion(brain, "seed")


def test_simulate_dwi_lesion_is_bright_on_dwi_dark_on_adc(brain):
    les, _ = mri.simulate_lesion(brain, 0, territory="MCA", side="left", size=0.9)
    scan = mri.simulate_dwi(brain, les, 0, adc_drop=0.5, noise=0.0, bias=0.0)
    healthy = mri.simulate_dwi(brain, None, 0, noise=0.0, bias=0.0)
    core = les > 0.9
    assert scan["dwi"][core].mean() > 1.2 * healthy["dwi"][core].mean()
    assert scan["adc"][core].mean() < 0.6 * healthy["adc"][core].mean()
    assert set(scan) == {"dwi", "adc", "s0"} and scan["dwi"].dtype == np.float32
    noisy = mri.simulate_dwi(brain, None, 1, noise=0.05)
    assert noisy["dwi"].min() >= 0, "Rician magnitudes are never negative"


def test_simulate_dwi_bad_arguments(brain):
    with pytest.raises(ValueError, match="lesion has shape"):
        mri.simulate_dwi(brain, np.zeros((2, 2, 2)), 0)
    with pytest.raises(ValueError, match="adc_drop"):
        mri.simulate_dwi(brain, None, 0, adc_drop=0)
    with pytest.raises(ValueError, match=">= 0"):
        mri.simulate_dwi(brain, None, 0, noise=-1)


def test_axial_image_orientation():
    vol = np.zeros((4, 5, 3))
    vol[0, 4, 1] = 1  # the subject's far left, most anterior voxel
    img = mri.axial_image(vol, 1)
    assert img.shape == (5, 4) and img[0, 0] == 1  # anterior at the top, left on the left
    with pytest.raises(ValueError, match="3D"):
        mri.axial_image(np.zeros((4, 4)), 0)
    with pytest.raises(IndexError):
        mri.axial_image(vol, 3)


def test_model_slices_shape_scale_and_errors(brain):
    out = mri.model_slices(brain.t1)
    assert out.shape == (len(mri.DEFAULT_Z), 56, 48) and out.dtype == np.float32
    assert 0.9 < np.percentile(out, 99.9) < 1.2
    assert mri.model_slices(brain.t1, [40], downsample=1).shape == (1, 112, 96)
    with pytest.raises(ValueError, match="MNI"):
        mri.model_slices(np.zeros((10, 10, 10)))
    bad = brain.t1.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        mri.model_slices(bad)
    with pytest.raises(IndexError, match="z_indices"):
        mri.model_slices(brain.t1, [200])
    with pytest.raises(ValueError, match="downsample"):
        mri.model_slices(brain.t1, downsample=3)


def test_make_stroke_slices_consistent(brain):
    d = mri.make_stroke_slices(3, seed=5, p_stroke=1.0, brain=brain, z_indices=[30, 40, 50])
    assert d["x"].shape == (9, 56, 48) and d["mask"].shape == (9, 56, 48) and d["mask"].dtype == np.uint8
    assert np.array_equal(d["y"], (d["mask"].sum(axis=(1, 2)) > 0).astype(np.int64))
    assert d["subject"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert all(info is not None for info in d["lesions"])
    healthy = mri.make_stroke_slices(2, seed=5, p_stroke=0.0, brain=brain, z_indices=[40])
    assert healthy["y"].sum() == 0 and healthy["lesions"] == [None, None]
    with pytest.raises(ValueError, match="n_subjects"):
        mri.make_stroke_slices(0, brain=brain)
    with pytest.raises(ValueError, match="p_stroke"):
        mri.make_stroke_slices(2, p_stroke=1.5, brain=brain)


# --------------------------------------------------------------------------- NIfTI folder loader


def _write(folder, name, arr):
    nib.save(nib.Nifti1Image(np.asarray(arr), np.eye(4)), folder / name)


def _folder(tmp_path, rows, header="file,label,mask"):
    vol = np.random.default_rng(0).random((6, 7, 5)).astype(np.float32)
    mask = np.zeros((6, 7, 5), np.uint8)
    mask[2:4, 2:4, 2] = 1
    _write(tmp_path, "a.nii.gz", vol)
    _write(tmp_path, "b.nii", vol * 2)
    _write(tmp_path, "a_mask.nii.gz", mask)
    (tmp_path / "labels.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    return tmp_path


def test_load_nifti_folder_happy_path(tmp_path):
    folder = _folder(tmp_path, ["a.nii.gz,1,a_mask.nii.gz", "b.nii,0,"])
    ds = mri.load_nifti_folder(folder)
    assert ds.y_all.tolist() == [1, 0] and ds.y_all.dtype == np.int64
    assert ds.x_all[0].shape == (6, 7, 5) and ds.x_all[0].dtype == np.float32
    assert ds.meta["files"] == ["a.nii.gz", "b.nii"]
    assert ds.meta["masks"][0].sum() == 4 and ds.meta["masks"][1] is None
    assert ds.class_names == ["no lesion", "lesion"]
    # an explicit CSV path and no mask column also work
    (tmp_path / "other.csv").write_text("file,label\nb.nii,0\n")
    assert mri.load_nifti_folder(folder, tmp_path / "other.csv").y_all.tolist() == [0]


@pytest.mark.parametrize(
    "rows, header, err, words",
    [
        (["a.nii.gz,2,"], "file,label,mask", ValueError, "use 1"),
        (["missing.nii.gz,1,"], "file,label,mask", FileNotFoundError, "does not exist"),
        (["a.nii.gz,1,", "a.nii.gz,0,"], "file,label,mask", ValueError, "twice"),
        (["a.nii.gz,1"], "scan,diagnosis", ValueError, "header"),
        ([], "file,label,mask", ValueError, "no scans"),
        (["a.nii.gz,1,nomask.nii.gz"], "file,label,mask", FileNotFoundError, "mask"),
        (["a.nii.gz,0,a_mask.nii.gz"], "file,label,mask", ValueError, "not empty"),
        (["labels.csv,1,"], "file,label,mask", ValueError, "NIfTI"),
    ],
)
def test_load_nifti_folder_errors_name_the_fix(tmp_path, rows, header, err, words):
    folder = _folder(tmp_path, rows, header)
    with pytest.raises(err, match=words):
        mri.load_nifti_folder(folder)


def test_load_nifti_folder_bad_folder_csv_and_volumes(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        mri.load_nifti_folder(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="header 'file,label'"):
        mri.load_nifti_folder(tmp_path)
    _write(tmp_path, "flat.nii.gz", np.zeros((4, 4), np.float32))
    (tmp_path / "labels.csv").write_text("file,label\nflat.nii.gz,0\n")
    with pytest.raises(ValueError, match="3D"):
        mri.load_nifti_folder(tmp_path)
    nan = np.zeros((3, 3, 3), np.float32)
    nan[1, 1, 1] = np.nan
    _write(tmp_path, "nan.nii.gz", nan)
    (tmp_path / "labels.csv").write_text("file,label\nnan.nii.gz,0\n")
    with pytest.raises(ValueError, match="NaN"):
        mri.load_nifti_folder(tmp_path)
    _write(tmp_path, "small_mask.nii.gz", np.zeros((2, 2, 2), np.uint8))
    _write(tmp_path, "vol.nii.gz", np.zeros((3, 3, 3), np.float32))
    (tmp_path / "labels.csv").write_text("file,label,mask\nvol.nii.gz,1,small_mask.nii.gz\n")
    with pytest.raises(ValueError, match="mask shape"):
        mri.load_nifti_folder(tmp_path)


def test_tissue_maps_are_checksum_verified(monkeypatch):
    from medtutor import data

    monkeypatch.setattr(data, "md5sum", lambda path: "0" * 32)
    with pytest.raises(data.ChecksumError, match="reinstall"):
        mri._nilearn_data_file("mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz")
    with pytest.raises(KeyError, match="not registered"):
        mri._nilearn_data_file("no_such_file.nii.gz")
