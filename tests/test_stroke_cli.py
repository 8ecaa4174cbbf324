"""`medtutor stroke train|evaluate`: output checks before training, one-line errors, masks written, Dice printed."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from test_mri import make_bids, write_nifti  # tests/ is on sys.path (pytest rootdir conftest)

from medtutor import cli, mri


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """An untrained, tiny U-Net saved as .keras (evaluation plumbing, not accuracy)."""
    import keras

    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    mri.stroke_unet(filters=2).save(path)
    return path


def _one_line_error(capsys, argv):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err, err
    return err


@pytest.mark.parametrize(
    "out, match",
    [("model.h5", "must end in .keras"), ("missing/model.keras", "does not exist"), ("folder.keras", "is a folder")],
)
def test_train_checks_the_output_before_training(tmp_path, capsys, monkeypatch, out, match):
    (tmp_path / "folder.keras").mkdir()
    monkeypatch.setattr(mri, "train_stroke_unet", lambda *a, **k: pytest.fail("training started"))
    assert match in _one_line_error(capsys, ["stroke", "train", "--out", str(tmp_path / out)])


def test_train_refuses_a_path_inside_a_file(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert "not exist" in _one_line_error(capsys, ["stroke", "train", "--out", str(tmp_path / "afile" / "m.keras")])


def test_train_tinywrite_niftis_a_loadable_model(tmp_path, capsys):
    import keras

    out = tmp_path / "m.keras"
    assert cli.main(["stroke", "train", "--out", str(out), "--subjects", "4", "--epochs", "1", "--seed", "3"]) == 0
    assert out.is_file() and "validation Dice" in capsys.readouterr().out
    model = keras.models.load_model(out, compile=False)
    assert model.output_shape == (None, 56, 48, 1)


def test_evaluate_bad_inputs(tmp_path, tiny_model, capsys):
    ok = make_bids(tmp_path / "ok")
    base = ["stroke", "evaluate", "--model", str(tiny_model)]
    assert "medtutor stroke train" in _one_line_error(
        capsys, ["stroke", "evaluate", "--model", str(tmp_path / "no.keras"), "--data", str(ok)]
    )
    assert "no rawdata" in _one_line_error(capsys, [*base, "--data", str(tmp_path)])
    assert "unknown subject" in _one_line_error(capsys, [*base, "--data", str(ok), "--subject", "sub-x"])
    (tmp_path / "empty" / "rawdata").mkdir(parents=True)
    assert "no subjects" in _one_line_error(capsys, [*base, "--data", str(tmp_path / "empty")])
    no_adc = make_bids(tmp_path / "noadc", adc=False)
    assert "no adc file" in _one_line_error(capsys, [*base, "--data", str(no_adc)])
    bad = make_bids(tmp_path / "bad")
    ses = bad / "rawdata" / "sub-01" / "ses-0001"
    write_nifti(ses / "sub-01_ses-0001_adc.nii.gz", np.ones((10, 9, 5), np.float32))
    assert "another grid" in _one_line_error(capsys, [*base, "--data", str(bad)])
    vol = np.ones((10, 9, 7), np.float32)
    vol[0, 0, 0] = np.nan
    write_nifti(ses / "sub-01_ses-0001_adc.nii.gz", vol)
    assert "NaN" in _one_line_error(capsys, [*base, "--data", str(bad)])
    write_nifti(ses / "sub-01_ses-0001_adc.nii.gz", np.ones((10, 9), np.float32))
    assert "3D" in _one_line_error(capsys, [*base, "--data", str(bad)])
    (ses / "sub-01_ses-0001_adc.nii.gz").write_bytes(b"\x89PNG not a nifti")
    assert "NIfTI" in _one_line_error(capsys, [*base, "--data", str(bad)])


def test_evaluate_simulated_subjects_prints_volume_dice_andwrite_niftis_masks(tmp_path, tiny_model, capsys):
    brain = mri.load_brain(2)
    lesion, _ = mri.simulate_lesion(brain, 5, territory="MCA", side="left", size=0.9)
    scan = mri.simulate_dwi(brain, lesion, 5, adc_drop=0.5)
    for sub, with_mask in (("sub-a", True), ("sub-b", False)):
        ses = tmp_path / "root" / "rawdata" / sub / "ses-1"
        write_nifti(ses / f"{sub}_ses-1_dwi.nii.gz", scan["dwi"], brain.affine)
        write_nifti(ses / f"{sub}_ses-1_adc.nii.gz", scan["adc"], brain.affine)
        if with_mask:
            m = (lesion >= 0.5).astype(np.uint8)
            write_nifti(tmp_path / "root" / "derivatives" / sub / "ses-1" / f"{sub}_ses-1_msk.nii.gz", m, brain.affine)
    out = tmp_path / "pred"
    argv = ["stroke", "evaluate", "--model", str(tiny_model), "--data", str(tmp_path / "root"), "--out", str(out)]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("sub-a lesion_ml=") and " Dice=" in lines[0]
    assert lines[1].startswith("sub-b lesion_ml=") and "Dice" not in lines[1]
    assert lines[-1].startswith("Dice=") and float(lines[-1].split("=")[1]) == float(lines[0].split("Dice=")[1])
    pred = nib.load(out / "sub-a_pred_msk.nii.gz")
    assert pred.shape == brain.shape and np.allclose(pred.affine, brain.affine)
    ml = float(lines[0].split("lesion_ml=")[1].split()[0])
    assert np.isclose(ml, np.asarray(pred.dataobj).sum() * 0.008, atol=0.01)


@pytest.mark.slow
def test_evaluate_the_real_isles22_case(real_dir, tiny_model, tmp_path, capsys):
    root = real_dir / "isles22"
    if not root.is_dir():
        pytest.skip("isles22 not pre-seeded")
    argv = ["stroke", "evaluate", "--model", str(tiny_model), "--data", str(root), "--subject", "sub-strokecase0009"]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("sub-strokecase0009 lesion_ml=") and "Dice=" in lines[0]
    assert lines[-1].startswith("Dice=") and 0.0 <= float(lines[-1].split("=")[1]) <= 1.0
    assert nib.load(tmp_path / "sub-strokecase0009_pred_msk.nii.gz").shape == (112, 112, 73)
