"""The result-floor checker (benchmarks/check_floors.py) and the floors file agree with the course map."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from medtutor import course

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_floors", ROOT / "benchmarks" / "check_floors.py")
floors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(floors)

EXPECTED = {"real": {"auc": {"min": 0.9}, "seconds": {"max": 60}}, "synthetic": {"dice": {"min": 0.5}}}


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_passes_when_every_figure_meets_its_floor():
    results = {("real", "auc"): 0.95, ("real", "seconds"): 30.0, ("synthetic", "dice"): 0.7}
    assert floors.check(results, EXPECTED) == []


def test_names_each_figure_that_falls_short_or_is_unknown_or_missing():
    results = {("real", "auc"): 0.85, ("real", "seconds"): 61.0, ("real", "new_figure"): 1.0}
    problems = floors.check(results, EXPECTED)
    assert any(p.startswith("SHORT") and "auc" in p for p in problems)
    assert any(p.startswith("OVER") and "seconds" in p for p in problems)
    assert any(p.startswith("UNKNOWN") and "new_figure" in p for p in problems)
    assert any(p.startswith("MISSING") and "dice" in p for p in problems)
    assert len(problems) == 4


def test_a_synthetic_figure_is_not_judged_by_the_real_floor():
    # a stand-in AUC of 0.95 must not pass as a real one: the real section does not know "dice"
    problems = floors.check({("real", "dice"): 0.9, ("real", "auc"): 0.95, ("real", "seconds"): 1.0}, EXPECTED)
    assert problems == ["UNKNOWN  dice (real) = 0.9000: add a floor to benchmarks/expected.json"]


def test_last_value_counts_and_source_is_required(tmp_path):
    path = _write(tmp_path / "r.jsonl", [{"name": "auc", "value": 0.5, "source": "real"},
                                         {"name": "auc", "value": 0.95, "source": "real"}])  # fmt: skip
    assert floors.read_results(path) == {("real", "auc"): 0.95}
    bad = _write(tmp_path / "bad.jsonl", [{"name": "auc", "value": 0.9}])
    with pytest.raises(ValueError, match="source='real'"):
        floors.read_results(bad)


def test_command_line_exit_codes(tmp_path, capsys):
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(EXPECTED))
    good = _write(tmp_path / "good.jsonl", [{"name": "auc", "value": 0.95, "source": "real"},
                                            {"name": "seconds", "value": 10, "source": "real"},
                                            {"name": "dice", "value": 0.6, "source": "synthetic"}])  # fmt: skip
    assert floors.main([str(good), "--expected", str(expected)]) == 0
    short = _write(tmp_path / "short.jsonl", [{"name": "auc", "value": 0.1, "source": "real"}])
    assert floors.main([str(short), "--expected", str(expected)]) == 1
    assert "SHORT    auc" in capsys.readouterr().out
    assert floors.main([str(tmp_path / "absent.jsonl"), "--expected", str(expected)]) == 2


def test_a_rule_needs_a_bound(tmp_path):
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"real": {"auc": {"measured": 0.9}}}))
    with pytest.raises(ValueError, match="needs a 'min'"):
        floors.load_expected(path)


def test_floors_cover_exactly_the_figures_of_the_course_map():
    expected = floors.load_expected()
    in_file = {name for section in expected.values() for name in section}
    in_map = {name for entry in course.course_map() for name in entry["figures"]}
    assert in_file == in_map, f"only in expected.json: {in_file - in_map}; only in course.json: {in_map - in_file}"


@pytest.mark.parametrize("entry", course.course_map(), ids=lambda e: e["file"][:2])
def test_course_map_lists_what_each_notebook_logs(entry):
    import fnmatch

    logged = course.logged_figures(ROOT / "notebooks" / entry["file"])
    for pattern in logged:
        assert fnmatch.filter(entry["figures"], pattern), f"{entry['file']} logs {pattern}: add it to course.json"
    for name in entry["figures"]:
        assert any(fnmatch.fnmatch(name, p) for p in logged), f"course.json lists {name}; {entry['file']} never logs it"


def test_an_alternative_figure_stands_in_for_a_missing_one():
    expected = {
        "real": {"nodule_auc": {"min": 0.9, "or": "adrenal_auc"}, "adrenal_auc": {"min": 0.8, "or": "nodule_auc"}}
    }
    assert floors.check({("real", "adrenal_auc"): 0.85}, expected) == []
    assert any("MISSING  nodule_auc" in p for p in floors.check({}, expected))
