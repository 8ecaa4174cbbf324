"""The data layer: registry, resolution order, checksums, stand-ins, downloads (on loopback only)."""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from medtutor import data


def test_registry_entries_are_complete():
    reg = data.registry()
    assert {"pneumoniamnist", "breastmnist", "nodulemnist3d", "ecg5000", "physionet2016", "ct_small", "mni152"} <= set(
        reg
    )
    for name, entry in reg.items():
        for key in ("title", "modality", "format", "license", "citation", "homepage"):
            assert entry.get(key), f"{name} lacks {key}"
        if "md5_manifest" not in entry:  # physionet2016, isles22: per-file MD5s in a manifest file
            for spec in entry["files"]:
                assert len(spec["md5"]) == 32, f"{name} lacks an md5"
        if entry["format"] in ("medmnist-npz", "ecg-csv"):
            assert entry["files"][0]["url"].startswith("http")
            assert sum(entry["splits"].values()) > 0
    cards = Path(data._registry_file("registry.json")).parent / "cards"
    for name in reg:
        assert (cards / f"{name}.md").is_file(), f"dataset card missing for {name}"


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(KeyError, match="pneumoniamnist"):
        data.load("pneumonia")


def test_require_real_parsing(monkeypatch):
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "1")
    assert data.require_real("anything")
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "pneumoniamnist, ecg5000")
    assert data.require_real("ecg5000") and not data.require_real("nodulemnist3d")
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "0")
    assert not data.require_real("ecg5000")


def test_real_pneumoniamnist_from_data_dir(real_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(tmp_path / "cache"))
    ds = data.load("pneumoniamnist")
    assert ds.source == "real"
    assert ds.x_train.shape == (4708, 28, 28) and ds.x_train.dtype == np.uint8
    assert ds.y_test.shape == (624,) and set(np.unique(ds.y_test)) == {0, 1}
    assert np.bincount(ds.y_train).tolist() == [1214, 3494]
    assert not (tmp_path / "cache").exists(), "a pre-seeded file must not be copied into the cache"


def test_real_ecg5000_split_is_fixed_and_disjoint(real_dir, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    a, b = data.load("ecg5000"), data.load("ecg5000")
    assert a.x_train.shape == (3498, 140) and a.x_test.shape == (1000, 140)
    assert np.array_equal(a.x_test, b.x_test)
    rows = {r.tobytes() for r in a.x_train} & {r.tobytes() for r in a.x_test}
    assert not rows


def test_real_physionet_site(real_dir, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    ds = data.load("physionet2016", sites="c")
    assert ds.source == "real" and len(ds.x_all) == 31 and ds.y_all.sum() == 24
    assert ds.meta["fs"] == 2000 and ds.meta["records"][0] == "c0001"
    assert all(np.abs(s).max() <= 1 for s in ds.x_all)
    with pytest.raises(ValueError, match="sites"):
        data.load("physionet2016", sites="z")


def _copy_with_flipped_byte(real_dir: Path, tmp_path: Path) -> Path:
    seeded = tmp_path / "seeded"
    (seeded / "pneumoniamnist").mkdir(parents=True)
    target = seeded / "pneumoniamnist" / "pneumoniamnist.npz"
    shutil.copy(real_dir / "pneumoniamnist" / "pneumoniamnist.npz", target)
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    return seeded


def test_flipped_byte_is_refused_never_replaced_by_stand_in(real_dir, isolated, monkeypatch):
    seeded = _copy_with_flipped_byte(real_dir, isolated)
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(seeded))
    with pytest.raises(data.ChecksumError) as err:
        data.load("pneumoniamnist")
    text = str(err.value)
    assert "pneumoniamnist.npz" in text and "28209eda62fecd6e6a2d98b1501bb15f" in text and "Fix" in text


def test_offline_empty_dir_gives_announced_stand_in(isolated, capsys):
    ds = data.load("pneumoniamnist")
    assert ds.source == "synthetic"
    assert "SYNTHETIC STAND-IN" in capsys.readouterr().out
    assert ds.x_train.shape == (4708, 28, 28) and ds.x_test.shape == (624, 28, 28)
    assert ds.x_train.dtype == np.uint8 and set(np.unique(ds.y_train)) == {0, 1}


def test_require_real_fails_naming_the_fix(isolated, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "1")
    with pytest.raises(data.DataUnavailableError, match="MEDTUTOR_DATA_DIR"):
        data.load("pneumoniamnist")


def test_stand_ins_have_the_real_shapes(isolated, capsys):
    ecg = data.load("ecg5000")
    assert ecg.source == "synthetic" and ecg.x_train.shape == (3498, 140) and ecg.x_train.dtype == np.float32
    pcg = data.load("physionet2016", sites="c")
    assert pcg.source == "synthetic" and pcg.meta["fs"] == 2000 and len(pcg.x_all) == len(pcg.y_all) > 0
    assert capsys.readouterr().out.count("SYNTHETIC STAND-IN") == 2


def test_nodulemnist3d_real_path_with_official_format(isolated, monkeypatch):
    """The real loader on a small file of the official format (the real file is online-only)."""
    rng = np.random.default_rng(0)
    arrays, splits = {}, {"train": 6, "val": 2, "test": 3}
    for split, n in splits.items():
        arrays[f"{split}_images"] = rng.integers(0, 255, (n, 28, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (n, 1), dtype=np.uint8)
    folder = isolated / "data" / "nodulemnist3d"
    folder.mkdir()
    np.savez_compressed(folder / "nodulemnist3d.npz", **arrays)
    md5 = data.md5sum(folder / "nodulemnist3d.npz")
    entry = dict(data.info("nodulemnist3d"), splits=splits)
    entry["files"] = [dict(entry["files"][0], md5=md5)]
    monkeypatch.setattr(data, "info", lambda name: entry)
    ds = data.load("nodulemnist3d")
    assert ds.source == "real" and ds.x_train.shape == (6, 28, 28, 28) and ds.y_test.shape == (3,)
    assert np.array_equal(ds.x_val, arrays["val_images"])


def test_wrong_array_shape_in_file_is_an_error(isolated, monkeypatch):
    folder = isolated / "data" / "breastmnist"
    folder.mkdir()
    np.savez(
        folder / "breastmnist.npz",
        **{f"{s}_images": np.zeros((2, 27, 27), np.uint8) for s in ("train", "val", "test")},
        **{f"{s}_labels": np.zeros((2, 1), np.uint8) for s in ("train", "val", "test")},
    )
    entry = dict(data.info("breastmnist"), splits={"train": 2, "val": 2, "test": 2})
    entry["files"] = [dict(entry["files"][0], md5=data.md5sum(folder / "breastmnist.npz"))]
    monkeypatch.setattr(data, "info", lambda name: entry)
    with pytest.raises(ValueError, match="expected"):
        data.load("breastmnist")


def test_package_files_are_verified():
    assert data.dicom_path("CT_small.dcm").name == "CT_small.dcm"
    assert data.load_mni152().shape == (197, 233, 189)
    with pytest.raises(KeyError, match="CT_small.dcm"):
        data.dicom_path("brain.dcm")
    with pytest.raises(ValueError, match="dicom_path"):
        data.load("ct_small")


def test_fetch_dest_and_verify(real_dir, isolated, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    dest = isolated / "classroom"
    data.fetch("breastmnist", dest=dest)
    data.fetch("physionet2016", dest=dest, sites="c")
    report = data.verify_dir(dest)
    assert report and all(status == "ok" for _, status in report)
    assert (dest / "physionet2016" / "training-c" / "c0001.wav").is_file()
    # the copy is a working read-only classroom folder
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(dest))
    os.chmod(dest / "breastmnist", 0o555)
    try:
        assert data.load("breastmnist").source == "real"
    finally:
        os.chmod(dest / "breastmnist", 0o755)
    (dest / "breastmnist" / "breastmnist.npz").write_bytes(b"not the file")
    assert ("breastmnist/breastmnist.npz", "MISMATCH") in data.verify_dir(dest)


# ---------------------------------------------------------------- downloads, on a loopback server only


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: _Quiet(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_verifies_and_caches(http_root, isolated, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_OFFLINE")
    root, url = http_root
    payload = os.urandom(300_000)
    (root / "f.bin").write_bytes(payload)
    md5 = hashlib.md5(payload).hexdigest()
    with ThreadPoolExecutor(4) as pool:  # four "kernels" fetching the same file at once
        paths = list(pool.map(lambda _: data.fetch_file("demo", "f.bin", md5, f"{url}/f.bin"), range(4)))
    assert all(p.read_bytes() == payload for p in paths)
    assert sorted(p.name for p in (isolated / "cache" / "demo").iterdir()) == ["f.bin"]


def test_download_with_wrong_checksum_is_refused(http_root, isolated, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_OFFLINE")
    root, url = http_root
    (root / "g.bin").write_bytes(b"tampered")
    with pytest.raises(data.ChecksumError):
        data.fetch_file("demo", "g.bin", "0" * 32, f"{url}/g.bin")
    assert not (isolated / "cache" / "demo" / "g.bin").exists()


def test_unreachable_server_is_data_unavailable(isolated, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_OFFLINE")
    with pytest.raises(data.DataUnavailableError, match="Could not download"):
        data.fetch_file("demo", "h.bin", "0" * 32, "http://127.0.0.1:9/h.bin")


def test_read_only_classroom_folder_is_never_written(real_dir, isolated, monkeypatch):
    """A shared read-only data folder (JupyterHub, lab) works and loading writes nothing into it."""
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    classroom = isolated / "srv-medtutor-data"
    data.fetch("pneumoniamnist", dest=classroom)
    data.fetch("physionet2016", dest=classroom, sites="d")

    def snapshot():
        return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in classroom.rglob("*"))

    for path in sorted(classroom.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    classroom.chmod(0o555)
    before = snapshot()
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(classroom))
    monkeypatch.setenv("MEDTUTOR_REQUIRE_REAL", "1")
    try:
        assert data.load("pneumoniamnist").source == "real"
        assert data.load("physionet2016", sites="d").source == "real"
        assert data.dataset_dir("physionet2016", sites="d") == classroom / "physionet2016"
        assert snapshot() == before
        assert not (isolated / "cache").exists(), "nothing may be copied or written when the data dir has it"
    finally:
        for path in [classroom, *classroom.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
