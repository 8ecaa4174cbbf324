"""Notebook 10's helpers: the ImageNet weights are verified like a data set (no network), and its checks."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from medtutor import data, exercises, models
from medtutor.exercises import nb10

WEIGHTS_FILE = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"


@pytest.fixture(autouse=True)
def _not_strict(monkeypatch):
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)


def _seed(isolated: Path, content: bytes) -> Path:
    """Put a file under the official name into the isolated MEDTUTOR_DATA_DIR."""
    folder = isolated / "data" / models.IMAGENET_WEIGHTS
    folder.mkdir(parents=True)
    path = folder / WEIGHTS_FILE
    path.write_bytes(content)
    return path


def test_registry_pins_keras_official_url_and_md5():
    spec = data.info(models.IMAGENET_WEIGHTS)["files"][0]
    assert spec["name"] == WEIGHTS_FILE
    assert spec["url"] == "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/" + WEIGHTS_FILE
    keras_dir = Path(importlib.util.find_spec("keras").origin).parent  # read Keras' source without importing it
    source = (keras_dir / "src" / "applications" / "mobilenet_v3.py").read_text(encoding="utf-8")
    hashes = re.search(r'"small_224_1\.0_float": \(\s*"([0-9a-f]{32})",\s*"([0-9a-f]{32})"', source)
    assert hashes and spec["md5"] == hashes.group(2)  # the second hash is the no-top file's


def test_tampered_weights_file_is_refused(isolated):
    _seed(isolated, b"not the official weights")
    with pytest.raises(data.ChecksumError, match="NOT used"):
        models.imagenet_weights_path()
    with pytest.raises(data.ChecksumError):
        models.imagenet_backbone(64)  # refused before Keras ever reads it


def test_matching_weights_file_is_accepted(isolated, monkeypatch):
    path = _seed(isolated, b"stand-in bytes whose md5 we pin for this test")
    spec = data.info(models.IMAGENET_WEIGHTS)["files"][0]
    monkeypatch.setitem(spec, "md5", data.md5sum(path))
    assert models.imagenet_weights_path() == path


def test_offline_without_weights_is_unavailable_not_a_crash(isolated):
    with pytest.raises(data.DataUnavailableError, match="MEDTUTOR_OFFLINE"):
        models.imagenet_weights_path()


def test_backbone_refuses_too_small_inputs():
    with pytest.raises(ValueError, match=">= 32"):
        models.imagenet_backbone(28, weights_path="unused.h5")


def test_16_1_head_layers_pass_and_wrong_sets_get_feedback(capsys):
    assert exercises.check("10.1", lambda: {"dense", "prob"})
    assert not exercises.check("10.1", lambda: {"dense", "prob", "conv1"})
    assert "frozen" in capsys.readouterr().out
    assert not exercises.check("10.1", lambda: ["dense", 3])
    assert "set of layer names" in capsys.readouterr().out
    assert not exercises.check("10.1", lambda: {"dense", "prob", "bn1", "bn2", "bn3"})
    assert "batch-normalisation" in capsys.readouterr().out


def test_16_2_checks_the_course_cnn_with_batch_norm(capsys):
    def convs_and_head_by_name(model):  # freezes the convolutions by name but forgets the BN layers
        for layer in model.layers:
            layer.trainable = layer.name in ("dense", "prob") or layer.name.startswith("bn")

    assert not exercises.check("10.2", convs_and_head_by_name)
    assert "batch-normalisation" in capsys.readouterr().out
    assert len(nb10._models_16_2()) == 3 and any("bn1" in [lay.name for lay in m.layers] for m in nb10._models_16_2())


def test_16_2_freeze_by_name_passes_and_the_batch_norm_slip_is_named(capsys):
    def by_name(model):
        for layer in model.layers:
            layer.trainable = layer.name in ("dense", "prob")

    assert exercises.check("10.2", by_name)
    assert not exercises.check("10.2", nb10._freeze_convolutions_only)
    assert "batch-normalisation" in capsys.readouterr().out
    assert not exercises.check("10.2", nb10._buggy_freeze)
    assert "base layer" in capsys.readouterr().out


def test_16_3_reads_the_interval_not_the_point_estimate(capsys):
    def read(gain, low, high):
        return "transfer better" if low > 0 else "scratch better" if high < 0 else "no evidence"

    assert exercises.check("10.3", read)
    assert not exercises.check("10.3", lambda g, lo, hi: "better")
    assert "return one of" in capsys.readouterr().out
