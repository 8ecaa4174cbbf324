"""Shared fixtures: isolated cache/data folders, the real data folder when it exists, no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
REAL_DIR = Path(os.environ.get("MEDTUTOR_DATA_DIR") or SHARED)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty cache and data dir, no network: what a fresh offline machine looks like."""
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDTUTOR_OFFLINE", "1")
    monkeypatch.delenv("MEDTUTOR_REQUIRE_REAL", raising=False)
    monkeypatch.delenv("MEDTUTOR_RESULTS", raising=False)
    (tmp_path / "data").mkdir()
    return tmp_path


@pytest.fixture
def real_dir():
    """The folder of real files (../shared/datasets or MEDTUTOR_DATA_DIR); skip when absent."""
    if not (REAL_DIR / "pneumoniamnist" / "pneumoniamnist.npz").is_file():
        pytest.skip("real data folder not available")
    return REAL_DIR
