"""Every notebook follows the course skeleton, is committed clean, and no data file is committed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
COURSE = [
    "00_welcome", "01_ai_and_medical_imaging", "02_image_processing_and_features", "03_cnn_math",
    "04_rnn_math", "05_preprocessing", "06_training_a_cnn", "07_evaluation", "08_imbalanced_data",
    "09_ct_lung_nodules_3d", "10_mri_stroke_lesions", "11_heart_sounds_rnn", "12_explainability",
    "13_generalization_fairness_ethics", "14_capstone_diagnosis_assistant",
    "15_neural_networks_from_the_ground_up", "16_transfer_learning",
]  # fmt: skip
SKELETON = ["Learning objectives", "Prerequisites", "Estimated time", "Setup", "Summary", "Exercises", "References"]


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def test_notebook_names_follow_the_course_map():
    names = [p.stem for p in NOTEBOOKS]
    assert names == [n for n in COURSE if n in names], "notebooks out of course order or misnamed"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", n) for n in names)
    assert "00_welcome" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_skeleton(path):
    cells = _nb(path)["cells"]
    first = _src(cells[0])
    assert cells[0]["cell_type"] == "markdown" and re.match(rf"# {path.name[:2]} · \S", first), (
        f"{path.name}: the first cell must be the title '# {path.name[:2]} · Title'"
    )
    headings = [
        line[3:].strip()
        for c in cells
        if c["cell_type"] == "markdown"
        for line in _src(c).splitlines()
        if line.startswith("## ")
    ]
    positions = []
    for h in SKELETON:
        assert h in headings, f"{path.name}: missing '## {h}'"
        positions.append(headings.index(h))
    assert positions == sorted(positions), f"{path.name}: skeleton headings out of order"
    # the cell right after '## Setup' is the setup code cell
    idx = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "## Setup" in _src(c))
    setup = next(c for c in cells[idx + 1 :] if c["cell_type"] == "code")
    assert "medtutor.setup(" in _src(setup), f"{path.name}: the setup cell must call medtutor.setup(...)"
    assert re.search(r"^SEED = \d+", _src(setup), re.M), f"{path.name}: SEED must be a plain literal in setup"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_clean(path):
    nb = _nb(path)
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name}: clear outputs"


def test_no_data_or_model_files_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    bad = [f for f in tracked if re.search(r"\.(npz|npy|wav|dcm|nii|nii\.gz|mat|h5|keras|hea|pkl|pickle)$", f)]
    big = [f for f in tracked if (ROOT / f).is_file() and (ROOT / f).stat().st_size > 300_000]
    assert not bad and not big, f"data-like or large files are committed: {bad + big}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_links_the_glossary(path):
    text = "\n".join(_src(c) for c in _nb(path)["cells"] if c["cell_type"] == "markdown")
    assert "../instructors/glossary.md" in text, f"{path.name}: link the course glossary in its References"
