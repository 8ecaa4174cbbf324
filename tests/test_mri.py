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


# --------------------------------------------------------------------------- ISLES'22/BIDS roots, registration


def write_nifti(path, arr, affine=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.asarray(arr), np.diag([2.0, 2.0, 2.0, 1.0]) if affine is None else affine), path)
    return path


def make_bids(root, sub="sub-01", shape=(10, 9, 7), adc=True, mask=True, flair=False):
    """A small ISLES'22-style root: rawdata/<sub>/ses-0001/<sub>_ses-0001_{dwi,adc[,flair]}, derivatives mask."""
    rng = np.random.default_rng(0)
    ses = root / "rawdata" / sub / "ses-0001"
    write_nifti(ses / f"{sub}_ses-0001_dwi.nii.gz", rng.random(shape).astype(np.float32) * 100)
    if adc:
        write_nifti(ses / f"{sub}_ses-0001_adc.nii.gz", rng.random(shape).astype(np.float32))
    if flair:
        write_nifti(
            ses / f"{sub}_ses-0001_flair.nii.gz", rng.random((20, 18, 3)).astype(np.float32), np.diag([1, 1, 5, 1.0])
        )
    if mask:
        m = np.zeros(shape, np.uint16)
        m[3:6, 3:5, 2:4] = 1
        write_nifti(root / "derivatives" / sub / "ses-0001" / f"{sub}_ses-0001_msk.nii.gz", m)
    return root


def test_load_stroke_case_reads_a_bids_root(tmp_path):
    root = make_bids(tmp_path, flair=True)
    make_bids(tmp_path, sub="sub-02", mask=False)
    assert mri.stroke_subjects(root) == ["sub-01", "sub-02"]
    case = mri.load_stroke_case(root, "sub-01")
    assert case.dwi.shape == case.adc.shape == case.mask.shape == (10, 9, 7)
    assert case.flair.shape == (20, 18, 3)  # FLAIR may sit on its own grid
    assert set(np.unique(case.array("mask"))) == {0, 1} and case.array("mask").sum() == 12
    assert np.isclose(case.voxel_ml, 0.008)
    assert mri.load_stroke_case(root, "sub-02").mask is None


@pytest.mark.parametrize(
    "damage, match",
    [
        ("no_rawdata", "no rawdata/ folder"),
        ("no_subjects", "no subjects"),
        ("unknown", "unknown subject 'sub-99'.*sub-01"),
        ("no_adc", "no adc file"),
        ("two_d", "3D"),
        ("one_slice", "2D image"),
        ("nan", "NaN"),
        ("not_nifti", "not a readable NIfTI"),
        ("adc_grid", "another grid"),
        ("mask_affine", "another grid"),
    ],
)
def test_bad_bids_input_gives_one_line_error_naming_the_fix(tmp_path, damage, match):
    root = tmp_path / "root"
    make_bids(root, adc=damage != "no_adc")
    ses = root / "rawdata" / "sub-01" / "ses-0001"
    subject = "sub-99" if damage == "unknown" else "sub-01"
    if damage == "no_rawdata":
        root = tmp_path
    elif damage == "no_subjects":
        for f in ses.iterdir():
            f.unlink()
    elif damage == "two_d":
        write_nifti(ses / "sub-01_ses-0001_dwi.nii.gz", np.ones((10, 9), np.float32))
    elif damage == "one_slice":
        write_nifti(ses / "sub-01_ses-0001_adc.nii.gz", np.ones((10, 9, 1), np.float32))
    elif damage == "nan":
        vol = np.ones((10, 9, 7), np.float32)
        vol[1, 2, 3] = np.nan
        write_nifti(ses / "sub-01_ses-0001_dwi.nii.gz", vol)
    elif damage == "not_nifti":
        (ses / "sub-01_ses-0001_adc.nii.gz").write_text("this is not an image")
    elif damage == "adc_grid":
        write_nifti(ses / "sub-01_ses-0001_adc.nii.gz", np.ones((10, 9, 6), np.float32))
    elif damage == "mask_affine":
        m = root / "derivatives" / "sub-01" / "ses-0001" / "sub-01_ses-0001_msk.nii.gz"
        write_nifti(m, np.zeros((10, 9, 7), np.uint8), np.diag([2.0, 2.0, 3.0, 1.0]))
    with pytest.raises((ValueError, FileNotFoundError, KeyError), match=match) as err:
        mri.load_stroke_case(root, subject)
    assert "\n" not in str(err.value)


def test_slices_to_volume_inverts_model_slices(brain):
    rng = np.random.default_rng(3)
    blocks = rng.random((49, 58, 94)).astype(np.float32)
    vol = np.repeat(np.repeat(blocks, 2, axis=0), 2, axis=1)  # constant on 2 x 2 blocks of the crop
    vol = np.roll(vol, (1, 2), axis=(0, 1))  # align blocks with the crop x 1..96, y 2..113
    z = [30, 31, 50]
    back = mri.slices_to_volume(mri.model_slices(vol, z, normalise=False), z)
    assert np.allclose(back[1:97, 2:114][:, :, z], vol[1:97, 2:114][:, :, z], atol=1e-6)
    assert not back[:, :, 40].any() and not back[0].any()
    with pytest.raises(ValueError, match="z indices"):
        mri.slices_to_volume(np.zeros((2, 56, 48)), [30])


def test_predict_lesion_volume_with_a_stand_in_model(brain):
    class Bright:  # "lesion" wherever the normalised image is bright: checks plumbing, not learning
        def predict(self, x, verbose=0):
            return (x > 0.9).astype(np.float32)

    vol = brain.t1.copy()
    prob = mri.predict_lesion_volume(Bright(), vol)
    assert prob.shape == brain.shape and set(np.unique(prob)) <= {0.0, 1.0}
    assert prob[:, :, list(mri.LESION_Z)].any() and not prob[:, :, : mri.LESION_Z[0]].any()


def test_register_to_mni_undoes_a_known_shift(brain):
    import nibabel.affines as aff

    shifted = brain.affine.copy()
    shifted[:3, 3] += [8.0, -6.0, 4.0]  # the same head, 8/6/4 mm off: the registration must find it
    img = nib.Nifti1Image(brain.t1 * brain.mask, shifted)
    reg = mri.register_to_mni(img, brain, seed=1)
    assert reg.brain_dice > 0.95
    point = reg.transform.TransformPoint((0.0, 0.0, 0.0))  # MNI origin, LPS, to native LPS
    native_voxel = aff.apply_affine(np.linalg.inv(shifted), [-point[0], -point[1], point[2]])
    expected = aff.apply_affine(np.linalg.inv(brain.affine), [0.0, 0.0, 0.0])
    assert np.allclose(native_voxel, expected, atol=0.5)
    blob = np.zeros(brain.shape, np.float32)
    blob[30:40, 50:60, 40:48] = 1
    assert mri.dice_score(reg.to_native(reg.to_mni(blob, nearest=True)), blob) > 0.9
    again = mri.register_to_mni(img, brain, seed=1)
    assert np.allclose(again.transform.GetParameters(), reg.transform.GetParameters())  # seeded: reproducible


def test_dice_score_and_s0_rise(brain):
    empty = np.zeros((4, 4))
    assert mri.dice_score(empty, empty) == 1.0
    with pytest.raises(ValueError, match="one grid"):
        mri.dice_score(empty, np.zeros((4, 5)))
    lesion, _ = mri.simulate_lesion(brain, 0, territory="MCA", side="left", size=0.8)
    low = mri.simulate_dwi(brain, lesion, 0, noise=0, bias=0, s0_rise=0.0)
    high = mri.simulate_dwi(brain, lesion, 0, noise=0, bias=0, s0_rise=0.3)
    inside = lesion > 0.9
    assert np.allclose(high["s0"][inside] / low["s0"][inside], 1 + 0.3 * lesion[inside], rtol=1e-5)
    with pytest.raises(ValueError, match="s0_rise"):
        mri.simulate_dwi(brain, lesion, 0, s0_rise=-0.1)


def test_real_isles22_case(real_dir):
    root = real_dir / "isles22"
    if not root.is_dir():
        pytest.skip("isles22 not pre-seeded")
    case = mri.load_stroke_case(root, "sub-strokecase0009")
    dwi, adc, m = case.array("dwi"), case.array("adc"), case.array("mask") > 0
    assert m.sum() == 523 and np.isclose(m.sum() * case.voxel_ml, 4.18, atol=0.01)
    rest = (dwi > 0) & (adc > 0) & ~m
    assert dwi[m].mean() > 1.5 * dwi[rest].mean() and adc[m].mean() < 0.6 * adc[rest].mean()  # restricted diffusion


def test_isles22_data_layer(real_dir, isolated, monkeypatch):
    from medtutor import data

    if not (real_dir / "isles22").is_dir():
        pytest.skip("isles22 not pre-seeded")
    sums = {}
    for line in (real_dir / "isles22" / "MD5SUMS").read_text().splitlines():
        md5, rel = line.split(None, 1)
        sums[rel.strip().removeprefix("./")] = md5
    assert data._md5_manifest(data.info("isles22")) == sums  # the pinned manifest is the organisers' files
    with pytest.raises(ValueError, match="dataset_dir"):
        data.load("isles22")
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "isles22")
    with pytest.raises(data.DataUnavailableError, match="isles22"):
        data.dataset_dir("isles22")  # offline, empty data dir: an error naming the fix, never a stand-in
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    assert data.dataset_dir("isles22") == real_dir / "isles22"
    copies = data.fetch("isles22", dest=isolated / "copy")
    assert len(copies) == 8 and (isolated / "copy" / "isles22" / "rawdata" / "sub-strokecase0009").is_dir()
    assert all(status == "ok" for _, status in data.verify_dir(isolated / "copy"))
    dwi = next(p for p in copies if p.name.endswith("_dwi.nii.gz"))
    raw = bytearray(dwi.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte
    dwi.write_bytes(bytes(raw))
    assert dict(data.verify_dir(isolated / "copy"))[f"isles22/{dwi.relative_to(isolated / 'copy' / 'isles22')}"] == (
        "MISMATCH"
    )
