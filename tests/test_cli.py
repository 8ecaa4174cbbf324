"""The medtutor command: data list/where/verify/fetch, doctor; exit codes that scripts can trust."""

from __future__ import annotations

import shutil

from medtutor.cli import main


def test_list_and_where(isolated, capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "pneumoniamnist" in out and "CC BY 4.0" in out
    assert main(["data", "where"]) == 0
    assert "MEDTUTOR_DATA_DIR" in capsys.readouterr().out


def test_verify_real_folder_and_a_corrupt_copy(real_dir, tmp_path, capsys):
    assert main(["data", "verify", "--dir", str(real_dir)]) == 0
    assert "0 checksum mismatch" in capsys.readouterr().out
    bad = tmp_path / "copy"
    shutil.copytree(real_dir / "pneumoniamnist", bad / "pneumoniamnist")
    target = bad / "pneumoniamnist" / "pneumoniamnist.npz"
    raw = bytearray(target.read_bytes())
    raw[1000] ^= 1
    target.write_bytes(bytes(raw))
    assert main(["data", "verify", "--dir", str(bad)]) == 1
    assert "MISMATCH" in capsys.readouterr().out
    assert main(["data", "verify", "--dir", str(tmp_path / "nope")]) == 2


def test_fetch_offline_fails_clearly(isolated, capsys):
    assert main(["data", "fetch", "breastmnist"]) == 1
    assert "FAILED  breastmnist" in capsys.readouterr().err


def test_fetch_dest_from_seeded_folder(real_dir, isolated, monkeypatch, capsys):
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(real_dir))
    dest = isolated / "class"
    assert main(["data", "fetch", "breastmnist", "ecg5000", "--dest", str(dest)]) == 0
    assert main(["data", "verify", "--dir", str(dest)]) == 0


def test_doctor_without_tensorflow(isolated, capsys):
    assert main(["doctor", "--no-tf"]) == 0
    out = capsys.readouterr().out
    assert "python" in out and "cores" in out and "nodulemnist3d" in out
