"""Issue 12: bad inputs and faults get a clear error naming the fix, and nothing is lost.

One test per defect (each failed before the fix). The table in tests/BAD_INPUTS.md lists every bad input
the suite covers and what it gets; keep the two in step.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import sys
import time
import types
import zlib
from pathlib import Path

import numpy as np
import pytest

from medtutor import _modelcache, _validate, app, data, exercises, metrics
from medtutor.cli import main


@pytest.fixture(autouse=True)
def _fresh_warnings():
    """Environment warnings are issued once per process: start every test with none issued."""
    _validate._WARNED.clear()
    yield
    _validate._WARNED.clear()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------- classroom pre-seed: file modes
def test_fetch_dest_copies_are_world_readable(real_dir, isolated, monkeypatch):
    """A 0600 source (pooch's temp-file mode) becomes umask-readable in the classroom copy."""
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(isolated / "data"))  # empty
    cached = isolated / "cache" / "breastmnist" / "breastmnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes((real_dir / "breastmnist" / "breastmnist.npz").read_bytes())
    cached.chmod(0o600)
    old = os.umask(0o022)
    try:
        (target,) = data.fetch("breastmnist", dest=isolated / "class")
    finally:
        os.umask(old)
    assert _mode(target) == 0o644


def test_downloaded_file_respects_the_umask(isolated, monkeypatch):
    class FakeFetcher:  # what pooch does: a private temp file renamed into place
        def fetch(self, name, downloader=None):
            path = isolated / "cache" / "demo" / name
            path.write_bytes(b"payload")
            path.chmod(0o600)
            return str(path)

    import pooch

    monkeypatch.setattr(pooch, "create", lambda **kwargs: FakeFetcher())
    old = os.umask(0o022)
    try:
        path = data._download("http://127.0.0.1:9/f.bin", isolated / "cache" / "demo" / "f.bin", None)
    finally:
        os.umask(old)
    assert _mode(path) == 0o644


def test_unreadable_data_file_names_chmod(isolated, monkeypatch):
    seeded = isolated / "data" / "breastmnist" / "breastmnist.npz"
    seeded.parent.mkdir(parents=True)
    seeded.write_bytes(b"x")
    monkeypatch.setattr(data.os, "access", lambda path, mode: False)  # root reads everything: simulate a student
    with pytest.raises(PermissionError, match="chmod -R a\\+rX"):
        data.load("breastmnist")


def test_closed_data_folder_names_chmod(isolated, monkeypatch):
    (isolated / "data" / "breastmnist").mkdir()  # its files are hidden when the folder may not be entered
    monkeypatch.setattr(data.os, "access", lambda path, mode: not str(path).endswith("breastmnist"))
    with pytest.raises(PermissionError, match="breastmnist exists but this user may not read it.*chmod"):
        data.load("breastmnist")


def test_verify_reports_unreadable_files_naming_chmod(isolated, monkeypatch, capsys):
    folder = isolated / "seeded"
    (folder / "breastmnist").mkdir(parents=True)
    (folder / "breastmnist" / "breastmnist.npz").write_bytes(b"x")

    def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(data, "md5sum", denied)
    assert main(["data", "verify", "--dir", str(folder)]) == 1
    captured = capsys.readouterr()
    assert "UNREADABLE" in captured.out and "chmod" in captured.err


# --------------------------------------------------------------------------- data verify exit codes
def test_verify_missing_file_is_listed_and_fails(isolated, capsys):
    (isolated / "seeded" / "pneumoniamnist").mkdir(parents=True)
    assert main(["data", "verify", "--dir", str(isolated / "seeded")]) == 1
    captured = capsys.readouterr()
    assert (
        re.search(r"missing +pneumoniamnist/pneumoniamnist.npz", captured.out)
        and "no dataset has every" in captured.err
    )


def test_verify_one_level_too_deep_or_empty_fails_with_a_hint(isolated, capsys):
    deep = isolated / "seeded" / "pneumoniamnist"
    deep.mkdir(parents=True)
    (deep / "pneumoniamnist.npz").write_bytes(b"x")
    assert main(["data", "verify", "--dir", str(deep)]) == 1
    assert f"--dir {deep.parent}" in capsys.readouterr().err
    assert main(["data", "verify", "--dir", str(isolated / "data")]) == 1  # the empty folder
    assert "empty" in capsys.readouterr().err
    assert main(["data", "verify", "--dir", str(isolated)]) == 1  # one level too high
    assert f"--dir {isolated / 'seeded'}" in capsys.readouterr().err


def test_verify_complete_dataset_passes(real_dir, isolated, capsys):
    folder = isolated / "seeded"
    (folder / "breastmnist").mkdir(parents=True)
    (folder / "breastmnist" / "breastmnist.npz").write_bytes(
        (real_dir / "breastmnist" / "breastmnist.npz").read_bytes()
    )
    (folder / "pneumoniamnist").mkdir()  # another dataset still missing: listed, but one is complete
    assert main(["data", "verify", "--dir", str(folder)]) == 0
    assert re.search(r"missing +pneumoniamnist/pneumoniamnist.npz", capsys.readouterr().out)


# --------------------------------------------------------------------------- guard variables
def test_require_real_on_and_typo(monkeypatch):
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "on")
    assert data.require_real("pneumoniamnist")
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "pneumoniamnst")
    with pytest.warns(UserWarning, match="MEDTUTOR_REQUIRE_REAL.*pneumoniamnst"):
        assert not data.require_real("pneumoniamnist")


def test_offline_values(isolated, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_OFFLINE", "on")
    assert data._offline()
    monkeypatch.setenv("MEDTUTOR_OFFLINE", "offline")
    with pytest.raises(ValueError, match="MEDTUTOR_OFFLINE='offline'"):
        data.fetch_file("demo", "f.bin", None, "http://127.0.0.1:9/f.bin")


def test_data_dir_that_does_not_exist_is_warned_about(isolated, monkeypatch, capsys):
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(isolated / "typo"))
    with pytest.warns(UserWarning, match="MEDTUTOR_DATA_DIR=.*not an existing folder"):
        data.load("breastmnist")  # still runs (on the announced stand-in)


def test_load_refuses_unknown_keywords(isolated):
    with pytest.raises(TypeError, match="split"):
        data.load("pneumoniamnist", split="test")
    with pytest.raises(TypeError, match="sites="):
        data.load("physionet2016", site="a")


# --------------------------------------------------------------------------- cache
def test_corrupt_cache_file_is_reported_and_removed(isolated, monkeypatch, capsys):
    cached = isolated / "cache" / "breastmnist" / "breastmnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "breastmnist")
    with pytest.raises(data.DataUnavailableError, match="corrupt copy.*removed"):
        data.load("breastmnist")
    assert "was corrupt" in capsys.readouterr().out and not cached.exists()


def test_cache_path_that_is_a_file(isolated, monkeypatch):
    blocker = isolated / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(blocker))
    with pytest.raises(NotADirectoryError, match="MEDTUTOR_CACHE_DIR"):
        data.cache_dir()
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setenv("MEDTUTOR_OFFLINE", "0")
    with pytest.raises(NotADirectoryError, match="is a file"):
        data.fetch_file("demo", "f.bin", None, "http://127.0.0.1:9/f.bin")


def test_read_only_cache_is_a_clear_error(isolated, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_OFFLINE", "0")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_validate.tempfile, "mkstemp", denied)
    with pytest.raises(PermissionError, match="MEDTUTOR_CACHE_DIR.*chmod u\\+w"):
        data.fetch_file("demo", "f.bin", None, "http://127.0.0.1:9/f.bin")


def test_fetch_dest_under_a_file(isolated, capsys, real_dir, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    blocker = isolated / "a-file"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError, match="--dest"):
        data.fetch("breastmnist", dest=blocker / "class")


def test_cli_environment_errors_are_one_line(isolated, monkeypatch, capsys):
    blocker = isolated / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(blocker))
    assert main(["data", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "MEDTUTOR_CACHE_DIR" in err and "Traceback" not in err
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(isolated / "cache"))
    monkeypatch.setenv("MEDTUTOR_OFFLINE", "maybe")
    assert main(["data", "fetch", "breastmnist"]) == 1
    assert "MEDTUTOR_OFFLINE='maybe'" in capsys.readouterr().err


# --------------------------------------------------------------------------- cached models
def _key(source: str) -> dict:
    return _modelcache.cache_key({"epochs": 12}, source)


def test_model_cache_key_differences_are_named():
    assert _modelcache.reuse_problem({"cache_key": _key("real")}, _key("real")) is None
    assert "synthetic" in _modelcache.reuse_problem({"cache_key": _key("synthetic")}, _key("real"))
    assert "no cache key" in _modelcache.reuse_problem({}, _key("real"))
    other = {**_key("real"), "recipe": {"epochs": 3}}
    assert "epochs" in _modelcache.reuse_problem({"cache_key": other}, _key("real"))
    old = {**_key("real"), "medtutor_version": "0.0.1"}
    assert "0.0.1" in _modelcache.reuse_problem({"cache_key": old}, _key("real"))
    with pytest.raises(ValueError, match="source"):
        _modelcache.cache_key({}, "stand-in")


def test_stand_in_model_is_never_reused_on_real_data(monkeypatch, tmp_path, capsys):
    from medtutor import models

    class Retrained(Exception):
        pass

    def train(*args, **kwargs):
        raise Retrained

    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(tmp_path))
    fake = types.SimpleNamespace(source="real", **{f"{a}_{b}": None for a in "xy" for b in ("train", "val")})
    monkeypatch.setattr(data, "load", lambda name: fake)
    monkeypatch.setattr("medtutor.preprocess.to_float01", lambda x: x)

    monkeypatch.setattr(models, "load_pneumonia_model", lambda: "the cached model")
    stale = {"cache_key": _modelcache.cache_key(models.RECIPE, "synthetic")}
    monkeypatch.setattr(models, "pneumonia_model_info", lambda: stale)
    monkeypatch.setattr(models, "train_pneumonia_model", train)
    with pytest.raises(Retrained):
        models.load_or_train_pneumonia_model(verbose=False)
    assert "NOT reusing" in capsys.readouterr().out
    fresh = {"cache_key": _modelcache.cache_key(models.RECIPE, "real")}
    monkeypatch.setattr(models, "pneumonia_model_info", lambda: fresh)
    assert models.load_or_train_pneumonia_model(verbose=False) == "the cached model"


# --------------------------------------------------------------------------- logits are not probabilities
def test_logits_refused_by_clinical_metrics_and_operating_point():
    y, logits = [0, 0, 1, 1], [-2.0, 0.3, 0.2, 3.0]
    with pytest.raises(ValueError, match="sigmoid"):
        metrics.clinical_metrics(y, logits)
    with pytest.raises(ValueError, match="sigmoid"):
        app.operating_point(y, logits, threshold=0.5)


# --------------------------------------------------------------------------- medtutor student
def _notebook(*sources: str) -> dict:
    cells = [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [], "execution_count": None} for s in sources
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


SOLVED = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"


def _write_nb(path: Path, nb: dict | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb), encoding="utf-8")
    return path


def test_student_swapped_arguments_never_overwrite_solutions(tmp_path, capsys):
    src = tmp_path / "notebooks"
    _write_nb(src / "01_a.ipynb", _notebook(SOLVED))
    assert main(["student", str(src), "-o", str(tmp_path / "student")]) == 0
    before = (src / "01_a.ipynb").read_bytes()
    assert main(["student", str(tmp_path / "student"), "-o", str(src)]) == 2  # swapped
    assert "01_a.ipynb holds solution markers" in capsys.readouterr().err
    assert (src / "01_a.ipynb").read_bytes() == before
    assert main(["student", str(src), "-o", str(tmp_path / "student")]) == 0  # rebuilding a student build is fine


@pytest.mark.parametrize(
    "bad, words",
    [
        ("{not json", "not valid notebook JSON"),
        (json.dumps({"cells": "nope"}), "no list of 'cells'"),
        (json.dumps(_notebook("### BEGIN SOLUTION\nx = 1\n")), "unbalanced"),
        (json.dumps(_notebook("### END SOLUTION\nx = 1\n### BEGIN SOLUTION\n")), "out of order"),
        (json.dumps({"cells": [{"source": "x"}]}), "cell 0"),
    ],
)
def test_student_malformed_notebook_names_the_file_and_writes_nothing(tmp_path, capsys, bad, words):
    src = tmp_path / "notebooks"
    _write_nb(src / "01_good.ipynb", _notebook(SOLVED))
    _write_nb(src / "02_bad.ipynb", bad)
    out = tmp_path / "student"
    assert main(["student", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "02_bad.ipynb" in err and words in err and "Traceback" not in err
    assert not out.exists(), "no partial build"


def test_student_out_under_a_file(tmp_path, capsys):
    src = tmp_path / "notebooks"
    _write_nb(src / "01_a.ipynb", _notebook(SOLVED))
    (tmp_path / "a-file").write_text("x")
    assert main(["student", str(src), "-o", str(tmp_path / "a-file" / "out")]) == 2
    assert "a-file is a file" in capsys.readouterr().err


# --------------------------------------------------------------------------- exercises
def test_sys_exit_in_an_answer_does_not_escape_check(capsys, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)
    assert not exercises.check("04.4", lambda layers: sys.exit("bye"))
    assert "sys.exit()" in capsys.readouterr().out


def test_shadowed_namespace_package_is_named(monkeypatch):
    fake = types.ModuleType("medtutor")
    fake.__path__ = ["/home/me/medtutor"]  # a namespace package: no __file__
    monkeypatch.setitem(sys.modules, "medtutor", fake)
    with pytest.raises(ImportError, match="namespace package.*clone"):
        exercises.evaluate("08.1", lambda tn, fp: tn / (tn + fp))


def test_05_3_seed_ignoring_split_is_refused():
    def fixed_seed(ids, f, seed):  # a patient split that always uses seed 0
        rng = np.random.default_rng(0)
        patients = np.unique(ids)
        return np.isin(ids, rng.choice(patients, round(f * len(patients)), replace=False))

    def seeded(ids, f, seed):
        rng = np.random.default_rng(seed)
        patients = np.unique(ids)
        return np.isin(ids, rng.choice(patients, round(f * len(patients)), replace=False))

    assert exercises.evaluate("06.3", fixed_seed)[0] == "wrong"
    assert "seed" in exercises.evaluate("06.3", fixed_seed)[1]
    assert exercises.evaluate("06.3", seeded) == ("correct", None)


def test_13_1_two_group_answer_is_refused():
    def first_two_groups(y, p, g):
        a, b = np.unique(g)[:2]
        return abs(np.mean(p[(g == a) & (y == 1)]) - np.mean(p[(g == b) & (y == 1)]))

    assert exercises.evaluate("15.1", first_two_groups)[0] == "wrong"


def test_03_4_right_value_as_float_is_accepted():
    from medtutor.exercises import nb04

    assert exercises.evaluate("04.4", lambda layers: float(nb04._ref_receptive_field(layers))) == ("correct", None)
    assert exercises.evaluate("04.4", lambda layers: True)[0] == "wrong"


# --------------------------------------------------------------------------- user images (app.load_image)
def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header announces width x height, with a tiny IDAT: opening it costs nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _dicom(rows: int, cols: int, pixel_bytes: bytes, frames: int | None = None) -> bytes:
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.Modality, ds.Rows, ds.Columns = "DX", rows, cols
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    if frames is not None:
        ds.NumberOfFrames = frames
    ds.PixelData = pixel_bytes
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_oversize_png_is_refused_from_its_header():
    start = time.perf_counter()
    with pytest.raises(app.AppInputError, match="megapixels"):
        app.load_image(_png_header_only(8000, 8000), name="big.png")
    assert time.perf_counter() - start < 2.0


def test_oversize_and_multiframe_dicom_refused_before_decoding():
    with pytest.raises(app.AppInputError, match="megapixels"):
        app.load_image(_dicom(11000, 11000, b"\0" * 64), name="big.dcm")
    with pytest.raises(app.AppInputError, match="5 frames"):
        app.load_image(_dicom(64, 64, b"\0" * 64, frames=5), name="cine.dcm")


def test_truncated_dicom_is_called_truncated():
    raw = _dicom(64, 64, bytes(range(64)) * 64)
    with pytest.raises(app.AppInputError, match="truncated") as err:
        app.load_image(raw[: len(raw) - 1000], name="cut.dcm")
    assert "uncompressed" not in str(err.value)


def test_dicom_without_preamble_is_recognised_by_content():
    import pydicom

    from medtutor import data as data_

    ds = pydicom.dcmread(data_.dicom_path("MR_small.dcm"))
    ds.preamble = None
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, enforce_file_format=False)  # no 128-byte preamble, no 'DICM'
    img, info = app.load_image(buf.getvalue(), name="old.img")
    assert info["format"] == "DICOM" and img.shape == (28, 28)


def test_large_legal_image_is_shrunk_before_the_exact_resize(monkeypatch):
    from PIL import Image

    from medtutor import preprocess

    yy, xx = np.mgrid[0:1200, 0:1200]
    img = ((xx + yy) / 2400 * 200 + 20).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    seen = []
    real_resize = preprocess.resize
    monkeypatch.setattr(
        preprocess, "resize", lambda a, size, **k: seen.append(np.shape(a)) or real_resize(a, size, **k)
    )
    out, info = app.load_image(buf.getvalue(), name="big-but-legal.png")
    assert info["original_shape"] == (1200, 1200) and max(seen[0]) <= 448
    reference = np.clip(np.round(real_resize(img.astype(np.float32), 28)), 0, 255)
    assert np.abs(out.astype(float) - reference).max() <= 2  # same picture, within two grey levels


# --------------------------------------------------------------------------- labels.csv of a NIfTI folder
def _nifti_folder(tmp_path: Path, csv_bytes: bytes, lesion: bool = True) -> Path:
    nib = pytest.importorskip("nibabel")
    vol = np.random.default_rng(0).random((6, 7, 5)).astype(np.float32)
    mask = np.zeros((6, 7, 5), np.uint8)
    if lesion:
        mask[2:4, 2:4, 2] = 1
    nib.save(nib.Nifti1Image(vol, np.eye(4)), tmp_path / "a.nii.gz")
    nib.save(nib.Nifti1Image(mask, np.eye(4)), tmp_path / "a_mask.nii.gz")
    (tmp_path / "labels.csv").write_bytes(csv_bytes)
    return tmp_path


def test_labels_csv_with_a_bom_is_read(tmp_path):
    from medtutor import mri

    folder = _nifti_folder(tmp_path, "\ufefffile,label,mask\na.nii.gz,1,a_mask.nii.gz\n".encode())
    assert mri.load_nifti_folder(folder).y_all.tolist() == [1]


def test_labels_csv_in_latin1_names_the_fix(tmp_path):
    from medtutor import mri

    folder = _nifti_folder(tmp_path, "file,label,mask\na.nii.gz,1,a_mask.nii.gz\n# patiënt\n".encode("latin-1"))
    with pytest.raises(ValueError, match="labels.csv.*line 3.*save it as UTF-8"):
        mri.load_nifti_folder(folder)


def test_label_1_with_an_empty_mask_is_refused(tmp_path):
    from medtutor import mri

    folder = _nifti_folder(tmp_path, b"file,label,mask\na.nii.gz,1,a_mask.nii.gz\n", lesion=False)
    with pytest.raises(ValueError, match="label 1 .*mask of a.nii.gz is empty"):
        mri.load_nifti_folder(folder)


def test_bad_inputs_table_is_complete():
    """Every test of this file is listed in tests/BAD_INPUTS.md, so the table stays true."""
    table = (Path(__file__).parent / "BAD_INPUTS.md").read_text(encoding="utf-8")
    names = [n for n in globals() if n.startswith("test_") and n != "test_bad_inputs_table_is_complete"]
    missing = [n for n in names if f"`{n}`" not in table]
    assert not missing, f"add these tests to tests/BAD_INPUTS.md: {missing}"
