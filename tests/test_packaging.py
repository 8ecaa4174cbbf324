"""The wheel carries the dataset registry, so `pip install` from the repo (Colab) finds it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_registry_and_cards(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("medtutor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "medtutor/_datasets/registry.json" in names
    assert "medtutor/_datasets/physionet2016.md5" in names
    assert "medtutor/_datasets/cards/pneumoniamnist.md" in names
    assert "medtutor/data.py" in names and not any(n.startswith(("notebooks/", "tests/")) for n in names)
