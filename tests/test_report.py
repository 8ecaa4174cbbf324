"""log_metric writes one JSON line per figure when MEDTUTOR_RESULTS is set, nothing otherwise."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medtutor import report


def test_log_metric_appends_json_lines(tmp_path, monkeypatch):
    target = tmp_path / "results.jsonl"
    monkeypatch.setenv("MEDTUTOR_RESULTS", str(target))
    report.log_metric("pneumonia_test_auc", np.float32(0.5), source="real")
    report.log_metric("pneumonia_test_auc", 0.75, source="synthetic")
    lines = [json.loads(x) for x in target.read_text().splitlines()]
    assert [r["value"] for r in lines] == [0.5, 0.75] and lines[0]["source"] == "real"
    assert report.latest_metric("pneumonia_test_auc") == 0.75
    assert report.latest_metric("missing") is None


def test_unset_writes_nothing_and_prints_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MEDTUTOR_RESULTS", raising=False)
    assert report.log_metric("x_auc", 0.1, source="real") is None
    assert capsys.readouterr().out == ""
    assert report.read_metrics() == []


@pytest.mark.parametrize("extra", [{}, {"source": "simulated"}])
def test_source_is_required(extra, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_RESULTS", raising=False)
    with pytest.raises((TypeError, ValueError)):
        report.log_metric("x_auc", 0.1, **extra)


@pytest.mark.parametrize(
    "name, value, err", [("bad name", 1, ValueError), ("ok", float("nan"), ValueError), ("ok", "high", TypeError)]
)
def test_bad_input(name, value, err, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_RESULTS", raising=False)
    with pytest.raises(err):
        report.log_metric(name, value, source="real")
