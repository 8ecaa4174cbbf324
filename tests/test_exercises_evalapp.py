"""Reference solutions of exercises 08.2-07.5 and 14.3 pass their checks (test_exercises refuses the wrong ones)."""

from __future__ import annotations

import numpy as np
import pytest

from medtutor import exercises, metrics
from medtutor.exercises.nb08 import _paired_ci


def _prevalence_for_ppv(sens, spec, target_ppv):
    odds = target_ppv / (1 - target_ppv) / (sens / (1 - spec))
    return odds / (1 + odds)


def _cost_threshold(y, p, cost_fn, cost_fp):
    cands = np.unique(p)
    costs = [cost_fn * np.sum((y == 1) & (p < t)) + cost_fp * np.sum((y == 0) & (p >= t)) for t in cands]
    return float(cands[int(np.argmin(costs))])


def _width_ratio():
    _, lo1, hi1 = metrics.wilson_interval(160, 200)
    _, lo4, hi4 = metrics.wilson_interval(640, 800)
    return (hi4 - lo4) / (hi1 - lo1)


@pytest.mark.parametrize(
    "ex_id, answer",
    [
        ("08.2", _prevalence_for_ppv),
        ("08.3", _cost_threshold),
        ("08.4", _paired_ci),  # the checker's own paired bootstrap (the notebook's solution runs under nbval)
        ("08.5", _width_ratio()),
        ("16.3", lambda in_val_scores, ood_scores, accept=0.95: float(np.quantile(in_val_scores, accept))),
    ],
)
def test_reference_solutions_pass(ex_id, answer, capsys):
    assert exercises.check(ex_id, answer, strict=False), capsys.readouterr().out


def test_feedback_never_contains_the_expected_value(capsys, monkeypatch):
    monkeypatch.delenv("MEDTUTOR_STRICT_EXERCISES", raising=False)
    assert not exercises.check("08.5", 0.3)
    out = capsys.readouterr().out
    assert f"{_width_ratio():.2f}" not in out and f"{_width_ratio():.3f}" not in out
    assert not exercises.check("16.3", lambda s_in, s_out, accept=0.95: float(np.max(s_in)))
    out = capsys.readouterr().out
    assert "quantile" not in out  # the hint must not name the answer's function
