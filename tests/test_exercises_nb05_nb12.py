"""Notebooks 06 and 14: reference answers pass their checks, known mistakes are refused with targeted feedback."""

from __future__ import annotations

import numpy as np
import pytest

from medtutor import exercises
from medtutor.exercises import nb06, nb14


@pytest.fixture(autouse=True)
def _not_strict(monkeypatch):
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)


def _feedback(ex_id: str, answer, capsys) -> str:
    """The check's printed line for a wrong answer (asserting it was refused)."""
    assert not exercises.check(ex_id, answer)
    return capsys.readouterr().out


def test_05_1_bug_hunt(capsys):
    assert exercises.check("06.1", {"B", "E", "F"})
    assert exercises.check("06.1", ["b", "e", "f"])  # letters in any case, any container
    assert "anatomy" in _feedback("06.1", {"B", "E"}, capsys)
    assert "computes" in _feedback("06.1", {"E", "F"}, capsys)
    assert "correct as written" in _feedback("06.1", {"A", "B", "E", "F"}, capsys)
    assert "labelled" in _feedback("06.1", {"B", "E", "G"}, capsys)


def test_05_1_feedback_never_names_a_line(capsys):
    for answer in [set(), {"B"}, {"A", "C", "D"}, {"B", "E", "F", "D"}]:
        out = _feedback("06.1", answer, capsys)
        assert not any(f'"{letter}"' in out or f" {letter}:" in out for letter in "ABCDEF")


def _grey_levels_by_floor() -> dict[str, int]:
    """An independent count (floor instead of round, the exact DICOM window): within 1 level of the reference."""
    from medtutor import data, imaging

    hu = imaging.to_hu(imaging.read_dicom(data.dicom_path("CT_small.dcm"))).astype(np.float64)
    soft = (hu > 0) & (hu < 100)
    mm = (hu - hu.min()) / (hu.max() - hu.min())
    win = imaging.apply_window(hu, 50.0, 350.0)
    return {k: int(np.unique(np.floor(255 * v[soft])).size) for k, v in {"min-max": mm, "mediastinum": win}.items()}


def test_05_2_grey_levels(capsys):
    expected = nb06._grey_levels_05_2()
    assert expected["mediastinum"] > 3 * expected["min-max"]  # the window spends far more levels on soft tissue
    assert exercises.check("06.2", expected)
    assert exercises.check("06.2", _grey_levels_by_floor())
    swapped = {"min-max": expected["mediastinum"], "mediastinum": expected["min-max"]}
    assert "swapped" in _feedback("06.2", swapped, capsys)
    assert "distinct" in _feedback("06.2", {"min-max": 5000, "mediastinum": 5000}, capsys)
    off = {"min-max": expected["min-max"], "mediastinum": expected["mediastinum"] + 5}
    assert "mediastinum" in _feedback("06.2", off, capsys)


def _fixed_pipeline(ds, augment, batch_size, seed):
    return ds.cache().shuffle(1000, seed=seed).batch(batch_size).map(lambda x, i: (augment(x), i))


def test_05_4_fixed_pipeline_passes_and_each_mistake_is_named(capsys):
    assert exercises.check("06.4", _fixed_pipeline)
    buggy, no_cache, no_augment = exercises.EXERCISES["06.4"].wrong[:3]
    assert "only once" in _feedback("06.4", buggy, capsys)
    assert "not cached" in _feedback("06.4", no_cache, capsys)
    assert "unchanged" in _feedback("06.4", no_augment, capsys)
    assert "tf.data.Dataset" in _feedback("06.4", lambda ds, aug, b, seed: [1, 2], capsys)


def _occlude_with_noise(signal, starts, window, noise_std, seed):
    gen = np.random.default_rng(seed)
    out = np.repeat(np.asarray(signal, dtype=float)[None], len(starts), axis=0)
    for k, s in enumerate(starts):
        n = len(out[k, s : s + window])
        out[k, s : s + window] = gen.normal(0.0, noise_std, n)
    return out


def test_12_2_bug_hunt(capsys):
    assert exercises.check("14.2", {"A", "D", "F"})
    assert "same positive number" in _feedback("14.2", {"A", "C", "D", "F"}, capsys)
    assert "missing" in _feedback("14.2", {"D", "F"}, capsys)
    assert "correct as written" in _feedback("14.2", {"A", "B", "D", "F"}, capsys)


def test_12_2_line_c_is_harmless_and_line_a_vanishes():
    """The two facts the bug hunt rests on, measured on random arrays and a confident float32 probability."""
    rng = np.random.default_rng(0)
    A, dA = rng.random((2, 7, 7, 5)), rng.normal(0.5, 1.0, size=(2, 7, 7, 5))  # maps not all zero
    cams = [np.maximum(np.einsum("nijk,nk->nij", A, w), 0) for w in (dA.sum(axis=(1, 2)), dA.mean(axis=(1, 2)))]
    scaled = [c / c.max(axis=(1, 2), keepdims=True) for c in cams]
    assert np.all(np.isfinite(scaled[0])) and np.allclose(scaled[0], scaled[1])
    p = np.float32(1) / (np.float32(1) + np.exp(np.float32(-20)))
    assert p * (1 - p) == 0  # float32: the probability's gradient is exactly zero for a confident case


def test_12_3_noise_occlusion(capsys):
    assert exercises.check("14.3", _occlude_with_noise)
    zeros, added, unseeded, one_too_long, wrong_std = exercises.EXERCISES["14.3"].wrong
    assert "zeros" in _feedback("14.3", zeros, capsys)
    assert "REPLACE" in _feedback("14.3", added, capsys)
    assert "same seed" in _feedback("14.3", unseeded, capsys)
    assert "outside its window" in _feedback("14.3", one_too_long, capsys)
    assert "standard deviation" in _feedback("14.3", wrong_std, capsys)


def test_12_3_cases_vary_lengths_windows_and_seeds():
    cases = nb14._cases_12_3()
    assert len({len(c[0]) for c in cases}) == len(cases) and len({c[4] for c in cases}) == len(cases)
    assert any(c[1][-1] + c[2] > len(c[0]) - 1 for c in cases)  # a window that reaches the end of the signal
