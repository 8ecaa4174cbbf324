"""Auto-checked exercises: formative feedback (what is wrong and a hint, never the answer).

In a notebook::

    medtutor.exercises.check("07.1", specificity)

prints ``✅ Exercise 07.1 (Specificity by hand): correct.`` or ``❌ ... not yet. <what is wrong> Hint: ...``.
Solutions in the notebooks sit between nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers;
``medtutor student`` (see :func:`make_student_notebook`) replaces them for the student build.

Each check is registered with :func:`exercise`; its ``wrong`` examples are answers that must be refused
(the test suite proves they are). A check returns None when the answer is right, else a message.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["EXERCISES", "Exercise", "check", "exercise", "make_student_notebook", "build_student_dir"]


@dataclass
class Exercise:
    """One registered exercise: its id, title, hint, checker and known-wrong answers."""

    id: str
    title: str
    hint: str
    checker: Callable[[Any], str | None]
    wrong: list[Any] = field(default_factory=list)


EXERCISES: dict[str, Exercise] = {}


def exercise(ex_id: str, title: str, hint: str, wrong: list[Any] | None = None):
    """Decorator registering ``checker(answer) -> None | message`` as exercise ``ex_id`` ("NN.k")."""
    if not re.fullmatch(r"\d\d\.\d+", ex_id):
        raise ValueError(f"exercise ids look like '07.1', got {ex_id!r}.")

    def register(checker: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
        if ex_id in EXERCISES:
            raise ValueError(f"exercise {ex_id} is registered twice.")
        EXERCISES[ex_id] = Exercise(ex_id, title, hint, checker, list(wrong or []))
        return checker

    return register


def evaluate(ex_id: str, answer: Any) -> tuple[str, str | None]:
    """Run a check without printing: ``("correct"|"wrong"|"todo", message)``."""
    if ex_id not in EXERCISES:
        raise KeyError(f"No exercise {ex_id!r}. Known: {', '.join(sorted(EXERCISES))}.")
    try:
        problem = EXERCISES[ex_id].checker(answer)
    except NotImplementedError:
        return "todo", None
    except Exception as err:  # the student's code raised: that is feedback, not a crash
        return "wrong", f"your code raised {type(err).__name__}: {err}"
    return ("correct", None) if problem is None else ("wrong", problem)


def strict_mode() -> bool:
    """True when ``MEDTUTOR_STRICT_EXERCISES=1``: the test suite runs the solution notebooks this way."""
    return os.environ.get("MEDTUTOR_STRICT_EXERCISES", "").strip().lower() in ("1", "true", "yes")


def check(ex_id: str, answer: Any, strict: bool | None = None) -> bool:
    """Check an answer, print formative feedback, return True when correct.

    In strict mode (``strict=True``, or ``MEDTUTOR_STRICT_EXERCISES=1`` as ``make test`` sets it) an answer
    that is not correct also raises AssertionError, so a broken solution fails the notebook's test.
    """
    state, message = evaluate(ex_id, answer)
    ex = EXERCISES[ex_id]
    if state == "correct":
        text = f"✅ Exercise {ex_id} ({ex.title}): correct."
    elif state == "todo":
        text = f"⏳ Exercise {ex_id} ({ex.title}): not attempted yet - replace `raise NotImplementedError()`."
    else:
        text = f"❌ Exercise {ex_id} ({ex.title}): not yet. {message}\n   Hint: {ex.hint}"
    print(text)
    if state != "correct" and (strict_mode() if strict is None else strict):
        raise AssertionError(text)
    return state == "correct"


# --------------------------------------------------------------------------- helpers for checkers


def close(a: Any, b: Any, tol: float = 1e-6) -> bool:
    """True when two numbers/arrays have the same shape and agree within ``tol``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))


def call(fn: Any, *args: Any) -> Any:
    """Call a student's function, insisting it is callable."""
    if not callable(fn):
        raise TypeError(f"expected a function, got {type(fn).__name__}")
    return fn(*args)


# --------------------------------------------------------------------------- student build

_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S)


def strip_solutions(source: str) -> str:
    """Replace every solution block with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise ValueError("unbalanced ### BEGIN SOLUTION / ### END SOLUTION markers:\n" + source[:200])
    return _SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()", source)


def make_student_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """The student version of a notebook (a JSON dict): solutions removed, outputs cleared."""
    out = json.loads(json.dumps(nb))
    for cell in out.get("cells", []):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell.get("cell_type") == "code":
            cell["source"] = strip_solutions(src)
            cell["outputs"] = []
            cell["execution_count"] = None
    return out


def build_student_dir(src_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the student build of every ``*.ipynb`` in ``src_dir`` into ``out_dir``; return the files."""
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder of notebooks.")
    if src.resolve() == out.resolve():
        raise ValueError("OUT_DIR must differ from SRC_DIR: the student build would overwrite the solutions.")
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no .ipynb files in {src}.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = make_student_notebook(json.loads(path.read_text(encoding="utf-8")))
        target = out / path.name
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


# =========================================================================== the checks, by notebook
# Each notebook appends its own section below. Keep sections in notebook order when tidying.

# --- notebook 00 ---


@exercise(
    "00.1",
    "Your first check",
    hint="Count the rows of the course map: numbering starts at 00.",
    wrong=[14, 16, "15"],
)
def _check_00_1(answer: Any) -> str | None:
    if not isinstance(answer, (int, np.integer)):
        return f"expected a whole number, got {type(answer).__name__}."
    if answer != 15:
        return f"{answer} is not the number of notebooks in the course map above."
    return None


@exercise(
    "00.2",
    "Real or synthetic?",
    hint="`medtutor.data.load(...)` returns a dataset whose `.source` attribute says where it came from.",
    wrong=["pneumoniamnist", None, 42],
)
def _check_00_2(answer: Any) -> str | None:
    if answer not in ("real", "synthetic"):
        return f"{answer!r} is neither 'real' nor 'synthetic': pass the dataset's `.source`."
    from medtutor import data

    try:
        data.fetch_file(
            "pneumoniamnist",
            data.info("pneumoniamnist")["files"][0]["name"],
            data.info("pneumoniamnist")["files"][0]["md5"],
            None,
        )
        actual = "real"
    except (data.DataUnavailableError, data.ChecksumError):
        actual = "synthetic"
    if answer != actual:
        return "that is not where this machine's PneumoniaMNIST comes from."
    return None


# --- notebook 03 ---


def _ref_convolve2d_valid(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Reference true convolution ('valid'), from SciPy, for the notebook 03 checks."""
    import scipy.signal

    return scipy.signal.convolve2d(x, w, mode="valid")


@exercise(
    "03.1",
    "Convolution with the flip",
    hint="The true convolution is a cross-correlation with the kernel rotated by 180 degrees: w[::-1, ::-1].",
    wrong=[
        lambda x, w: _ref_convolve2d_valid(np.asarray(x), np.asarray(w)[::-1, ::-1]),  # cross-correlation
        lambda x, w: _ref_convolve2d_valid(np.asarray(x), np.asarray(w)[::-1, :]),  # flips rows only
        lambda x, w: _ref_convolve2d_valid(np.asarray(x), np.asarray(w).T),  # transposes instead of flipping
    ],
)
def _check_03_1(answer: Any) -> str | None:
    rng = np.random.default_rng(3)
    for shape, kshape in [((6, 7), (3, 3)), ((9, 8), (2, 3)), ((5, 5), (5, 1))]:
        x, w = rng.normal(size=shape), rng.normal(size=kshape)
        got = np.asarray(call(answer, x.copy(), w.copy()), dtype=float)
        expected = _ref_convolve2d_valid(x, w)
        if got.shape != expected.shape:
            return f"for x of shape {shape} and w of shape {kshape} the output shape should be (n-k+1, m-l+1), got {got.shape}."
        if not close(got, expected, 1e-5):
            if close(got, _ref_convolve2d_valid(x, w[::-1, ::-1]), 1e-5):
                return "this is the cross-correlation (what Keras computes), not the convolution."
            return f"wrong values for x of shape {shape} and a {kshape[0]}x{kshape[1]} kernel."
    return None


@exercise(
    "03.2",
    "Output size of a convolution",
    hint="Count the positions of the kernel in the padded input (n + 2P pixels), one every `stride` pixels.",
    wrong=[
        lambda n, k, s, p: (n + 2 * p - k) / s + 1,  # no floor
        lambda n, k, s, p: (n + p - k) // s + 1,  # padding on one side only
        lambda n, k, s, p: (n - k) // s + 1,  # ignores padding
        lambda n, k, s, p: (n + 2 * p - k + 1) // s,  # off by one
    ],
)
def _check_03_2(answer: Any) -> str | None:
    cases = [(28, 3, 1, 0), (28, 3, 1, 1), (28, 5, 2, 0), (28, 5, 2, 2), (32, 7, 3, 1), (10, 2, 2, 0), (7, 3, 2, 1)]
    for n, k, s, p in cases:
        got = call(answer, n, k, s, p)
        expected = (n + 2 * p - k) // s + 1
        if not isinstance(got, (int, np.integer)):
            return f"return an int (a number of positions), got {type(got).__name__} for n={n}, k={k}, stride={s}, padding={p}."
        if got != expected:
            return f"wrong size for n={n}, k={k}, stride={s}, padding={p}."
    return None


@exercise(
    "03.3",
    "Parameters of a convolution layer",
    hint="One k x k x c_in kernel per output channel, plus one bias per output channel.",
    wrong=[
        lambda k, c_in, c_out: k * k * c_in * c_out,  # forgets the biases
        lambda k, c_in, c_out: (k * k + 1) * c_out,  # forgets the input channels
        lambda k, c_in, c_out: k * k * c_in * c_out + c_in,  # one bias per input channel
    ],
)
def _check_03_3(answer: Any) -> str | None:
    for k, c_in, c_out in [(3, 1, 8), (5, 1, 8), (3, 8, 16), (1, 3, 4), (7, 3, 64)]:
        got = call(answer, k, c_in, c_out)
        if not isinstance(got, (int, np.integer)) or got != (k * k * c_in + 1) * c_out:
            return f"wrong count for a {k}x{k} kernel, {c_in} input and {c_out} output channels."
    return None


def _ref_receptive_field(layers: list[tuple[int, int]]) -> int:
    """Reference receptive field of a stack of (kernel, stride) layers."""
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


@exercise(
    "03.4",
    "Receptive field of a stack of layers",
    hint="r grows by (k - 1) times the jump of the layer below; the jump multiplies by each stride.",
    wrong=[
        lambda layers: 1 + sum(k - 1 for k, s in layers),  # ignores strides
        lambda layers: int(np.prod([k for k, s in layers])),  # multiplies kernel sizes
        lambda layers: sum(k for k, s in layers),  # adds kernel sizes
    ],
)
def _check_03_4(answer: Any) -> str | None:
    stacks = [
        [(3, 1)],
        [(3, 1), (3, 1)],
        [(5, 1), (2, 2), (3, 1), (2, 2)],
        [(7, 2), (3, 2), (3, 1), (3, 1)],
        [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)],
    ]
    for layers in stacks:
        got = call(answer, [tuple(layer) for layer in layers])
        if not isinstance(got, (int, np.integer)) or got != _ref_receptive_field(layers):
            return f"wrong receptive field for the layers {layers}."
    return None


# --- notebook 01 ---


def _ref_window_01(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """Reference DICOM LINEAR window in [0, 1] (medtutor.imaging.apply_window), for the 01 checks."""
    from medtutor.imaging import apply_window

    return apply_window(hu, center, width)


@exercise(
    "01.1",
    "Hounsfield units from stored values",
    hint="The header stores a straight line: multiply by Rescale Slope, then add Rescale Intercept.",
    wrong=[
        lambda stored, slope, intercept: np.asarray(stored) * slope - intercept,  # subtracts the intercept
        lambda stored, slope, intercept: (np.asarray(stored) + intercept) * slope,  # adds before scaling
        lambda stored, slope, intercept: np.asarray(stored) + intercept,  # ignores the slope
    ],
)
def _check_01_1(answer: Any) -> str | None:
    stored = np.array([[0, 24, 1024], [2000, 4095, 500]], dtype=np.int16)
    for slope, intercept in [(1.0, -1024.0), (2.0, -1000.0), (0.5, -1024.0)]:
        got = np.asarray(call(answer, stored.copy(), slope, intercept), dtype=float)
        expected = stored.astype(float) * slope + intercept
        if got.shape != expected.shape:
            return f"the result should keep the image shape {expected.shape}, got {got.shape}."
        if not close(got, expected, 1e-4):
            return f"wrong values for slope={slope}, intercept={intercept}."
    return None


@exercise(
    "01.2",
    "A DICOM window by hand",
    hint="DICOM LINEAR: y = (x - (c - 0.5)) / (w - 1) + 0.5, then clip to [0, 1] (section 3 of this notebook).",
    wrong=[
        lambda hu, c, w: np.clip((np.asarray(hu, float) - (c - w / 2)) / w, 0, 1),  # the loose c +/- w/2 version
        lambda hu, c, w: (np.asarray(hu, float) - (c - 0.5)) / (w - 1) + 0.5,  # no clipping
        lambda hu, c, w: np.clip((np.asarray(hu, float) - c) / w, 0, 1),  # centre maps to black
    ],
)
def _check_01_2(answer: Any) -> str | None:
    hu = np.array([-1200.0, -1000.0, -600.5, -600.0, 0.0, 39.0, 40.0, 41.0, 80.0, 149.0, 3000.0])
    for c, w in [(-600.0, 1500.0), (40.0, 80.0), (40.0, 2.0), (50.0, 350.0)]:
        got = np.asarray(call(answer, hu.copy(), c, w), dtype=float)
        expected = _ref_window_01(hu, c, w)
        if got.shape != expected.shape:
            return f"the result should keep the shape {expected.shape}, got {got.shape}."
        if got.min() < 0 or got.max() > 1:
            return "display values must stay in [0, 1]: values outside the window are black or white."
        if not close(got, expected, 1e-5):
            return f"wrong values for center={c}, width={w} (try a narrow window: width 2)."
    return None


_CANDIDATE_TAGS_01 = (
    "PatientName",
    "PixelSpacing",
    "PatientBirthDate",
    "Modality",
    "InstitutionName",
    "SliceThickness",
    "ReferringPhysicianName",
    "RescaleSlope",
    "AccessionNumber",
    "StudyDate",
    "Rows",
    "OperatorsName",
)


@exercise(
    "01.3",
    "Which header elements are PHI?",
    hint="Ask of each element: could it help someone find out who the patient is, who treated them, where or when?",
    wrong=[
        {"PatientName", "PatientBirthDate"},
        {"PatientName", "PatientBirthDate", "InstitutionName", "ReferringPhysicianName", "AccessionNumber"},
        set(_CANDIDATE_TAGS_01),
    ],
)
def _check_01_3(answer: Any) -> str | None:
    from medtutor.imaging import PHI_KEYWORDS

    if callable(answer):  # the notebook passes a function of the candidate list
        answer = answer(list(_CANDIDATE_TAGS_01))
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(a, str) for a in answer):
        return "answer with a set of keyword strings, e.g. {'PatientName', ...}."
    chosen = set(answer)
    unknown = chosen - set(_CANDIDATE_TAGS_01)
    if unknown:
        return f"{sorted(unknown)} are not in the candidate list; pick from the list in the exercise."
    expected = set(_CANDIDATE_TAGS_01) & set(PHI_KEYWORDS)
    missing, extra = expected - chosen, chosen - expected
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} identifying element(s) are missing")
        if extra:
            parts.append(f"{len(extra)} chosen element(s) describe the image, not a person, place or time")
        return "; ".join(parts) + "."
    return None


# --- notebook 02 ---


@exercise(
    "02.1",
    "Contrast stretching",
    hint="Map `low` to 0 and `high` to 1 with a straight line, then clip what falls outside.",
    wrong=[
        lambda img, low, high: (np.asarray(img, float) - low) / (high - low),  # no clipping
        lambda img, low, high: np.clip(np.asarray(img, float) / high, 0, 1),  # ignores low
        lambda img, low, high: np.clip((np.asarray(img, float) - low) / high, 0, 1),  # divides by high
    ],
)
def _check_02_1(answer: Any) -> str | None:
    img = np.array([[0, 10, 50], [100, 200, 255]], dtype=np.uint8)
    for low, high in [(10.0, 200.0), (0.0, 255.0), (50.0, 100.0)]:
        got = np.asarray(call(answer, img.copy(), low, high), dtype=float)
        expected = np.clip((img.astype(float) - low) / (high - low), 0.0, 1.0)
        if got.shape != expected.shape:
            return f"keep the image shape {expected.shape}, got {got.shape}."
        if not close(got, expected, 1e-6):
            return f"wrong values for low={low}, high={high}."
    return None


def _otsu_cases_02() -> list[np.ndarray]:
    """Bimodal uint8 test images (fixed seed) for exercise 02.2."""
    rng = np.random.default_rng(2)
    cases = []
    for lo, hi, share in [(60, 180, 0.5), (30, 120, 0.2), (100, 220, 0.7)]:
        n = 400
        k = int(n * share)
        v = np.concatenate([rng.normal(lo, 15, k), rng.normal(hi, 25, n - k)])
        cases.append(np.clip(np.round(v), 0, 255).astype(np.uint8).reshape(20, 20))
    return cases


@exercise(
    "02.2",
    "Otsu's threshold by hand",
    hint="Try every grey level t; keep the one that maximises w0 * w1 * (mu0 - mu1)**2 with class 0 = pixels <= t.",
    wrong=[
        lambda img: float(np.mean(img)),  # the mean is not Otsu
        lambda img: float(np.median(img)),
        lambda img: float((int(np.min(img)) + int(np.max(img))) // 2),  # mid-range
    ],
)
def _check_02_2(answer: Any) -> str | None:
    from skimage.filters import threshold_otsu

    for k, img in enumerate(_otsu_cases_02()):
        got = call(answer, img.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number (the threshold), got {type(got).__name__}."
        if abs(got - float(threshold_otsu(img))) > 0.5:
            return f"test image {k + 1}: the threshold does not maximise the between-class variance."
    return None


@exercise(
    "02.3",
    "GLCM contrast",
    hint="Contrast weights each cell P[i, j] by the squared grey-level difference (i - j)**2 and sums.",
    wrong=[
        lambda p: float(np.sum(np.asarray(p) * np.abs(np.subtract.outer(np.arange(len(p)), np.arange(len(p)))))),
        lambda p: float(np.sum(np.asarray(p) ** 2)),  # that is ASM
        lambda p: float(np.sum(np.asarray(p) / (1 + np.subtract.outer(np.arange(len(p)), np.arange(len(p))) ** 2))),
    ],
)
def _check_02_3(answer: Any) -> str | None:
    from skimage.feature import graycomatrix, graycoprops

    rng = np.random.default_rng(23)
    for levels in (4, 8):
        img = rng.integers(0, levels, size=(12, 12)).astype(np.uint8)
        p = graycomatrix(img, [1], [0], levels=levels, symmetric=True, normed=True)
        got = call(answer, p[:, :, 0, 0].copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number, got {type(got).__name__}."
        if abs(got - float(graycoprops(p, "contrast")[0, 0])) > 1e-8:
            return f"wrong contrast for a {levels}-level GLCM."
    return None


# --- notebook 09 ---


@exercise(
    "09.1",
    "Parameters of a 3D convolution",
    hint="Each output channel has one weight per voxel of the k x k x k cube per input channel, plus one bias.",
    wrong=[
        lambda k, c_in, c_out: (k**2 * c_in + 1) * c_out,  # the 2D formula
        lambda k, c_in, c_out: k**3 * c_in * c_out,  # bias forgotten
        lambda k, c_in, c_out: (k**3 + 1) * c_out,  # input channels forgotten
    ],
)
def _check_09_1(answer: Any) -> str | None:
    cases = [(3, 1, 8), (3, 8, 16), (5, 2, 4), (1, 16, 32), (3, 16, 32)]
    for k, c_in, c_out in cases:
        got = call(answer, k, c_in, c_out)
        if not isinstance(got, (int, np.integer, float)) or isinstance(got, bool):
            return f"return one number, got {type(got).__name__}."
        if got != (k**3 * c_in + 1) * c_out:
            return f"wrong count for k={k}, c_in={c_in}, c_out={c_out}."
    return None


@exercise(
    "09.2",
    "Planes through any point",
    hint="axial = volume[k, :, :], coronal = volume[:, j, :], sagittal = volume[:, :, i]; stack them on a new last axis.",
    wrong=[
        lambda v, k, j, i: np.stack([v[k], v[:, j], v[:, :, i]], axis=0),  # channels first
        lambda v, k, j, i: np.stack([v[14], v[:, 14], v[:, :, 14]], axis=-1),  # always the centre
        lambda v, k, j, i: np.stack([v[:, :, i], v[:, j], v[k]], axis=-1),  # planes in the wrong order
    ],
)
def _check_09_2(answer: Any) -> str | None:
    rng = np.random.default_rng(92)
    for size, point in ((28, (3, 20, 9)), (7, (1, 5, 2))):
        vol = rng.integers(0, 255, (size, size, size)).astype(np.uint8)
        got = np.asarray(call(answer, vol.copy(), *point))
        k, j, i = point
        expected = np.stack([vol[k, :, :], vol[:, j, :], vol[:, :, i]], axis=-1)
        if got.shape != expected.shape:
            return f"expected shape {expected.shape} for a {size}^3 volume, got {got.shape}."
        for c, plane in enumerate(("axial", "coronal", "sagittal")):
            if not np.array_equal(got[..., c], expected[..., c]):
                return f"channel {c} is not the {plane} slice through {point} of a {size}^3 volume."
    return None


# --- notebook 13 ---


def _eod_reference(y: np.ndarray, p: np.ndarray, g: np.ndarray) -> float:
    rates = [np.mean(p[(g == k) & (y == 1)] == 1) for k in np.unique(g)]
    return float(max(rates) - min(rates))


def _eod_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(13)
    fixed = (
        np.array([1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]),
        np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0]),
        np.array(["a"] * 6 + ["b"] * 6),
    )
    three = (rng.integers(0, 2, 200), rng.integers(0, 2, 200), rng.choice(np.array(["x", "y", "z"]), 200))
    three[0][:6] = 1  # every group has diseased cases
    three[2][:6] = ["x", "x", "y", "y", "z", "z"]
    return [fixed, three]


@exercise(
    "13.1",
    "Equal-opportunity difference by hand",
    hint="Within each group keep only the diseased cases (y_true == 1); the share of them with y_pred == 1 is "
    "that group's sensitivity. Return the largest minus the smallest.",
    wrong=[
        lambda y, p, g: 0.0,
        lambda y, p, g: float(
            max(np.mean(p[g == k] == y[g == k]) for k in np.unique(g))
            - min(np.mean(p[g == k] == y[g == k]) for k in np.unique(g))
        ),
        lambda y, p, g: -_eod_reference(y, p, g),
        lambda y, p, g: float(
            max(np.mean(p[g == k]) for k in np.unique(g)) - min(np.mean(p[g == k]) for k in np.unique(g))
        ),
    ],
)
def _check_13_1(answer: Any) -> str | None:
    for y, p, g in _eod_cases():
        got = call(answer, y.copy(), p.copy(), g.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number, got {type(got).__name__}."
        if not close(got, _eod_reference(y, p, g), 1e-9):
            n_groups = len(np.unique(g))
            return f"wrong difference for a case with {n_groups} groups and {len(y)} cases."
    return None


def _blocks_reference(img: np.ndarray, f: int) -> np.ndarray:
    h, w = img.shape
    small = img.reshape(h // f, f, w // f, f).mean(axis=(1, 3))
    return np.kron(small, np.ones((f, f)))


@exercise(
    "13.2",
    "A resolution shift by hand",
    hint="Reshape (H, W) to (H/f, f, W/f, f) and average over the two block axes; np.repeat along each axis "
    "brings the image back to (H, W).",
    wrong=[
        lambda img, f: img,
        lambda img, f: np.repeat(np.repeat(img[::f, ::f], f, axis=0), f, axis=1),
        lambda img, f: img.reshape(img.shape[0] // f, f, img.shape[1] // f, f).mean(axis=(1, 3)),
    ],
)
def _check_13_2(answer: Any) -> str | None:
    rng = np.random.default_rng(132)
    for shape, f in [((28, 28), 2), ((28, 28), 4), ((28, 28), 7), ((6, 9), 3)]:
        img = rng.random(shape)
        got = np.asarray(call(answer, img.copy(), f), dtype=float)
        if got.shape != shape:
            return f"for a {shape} image and factor {f} the output must keep the shape {shape}, got {got.shape}."
        if not close(got, _blocks_reference(img, f), 1e-9):
            return f"wrong pixel values for a {shape} image with factor {f}."
    return None


def _auc_drop_reference(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, a) - roc_auc_score(y, b))


@exercise(
    "13.3",
    "AUC drop",
    hint="Compute the AUC of the clean scores and of the shifted scores against the same labels; subtract "
    "shifted from clean.",
    wrong=[
        lambda y, a, b: -_auc_drop_reference(y, a, b),
        lambda y, a, b: float(np.mean((a >= 0.5) == y) - np.mean((b >= 0.5) == y)),
        lambda y, a, b: float(np.mean(a) - np.mean(b)),
    ],
)
def _check_13_3(answer: Any) -> str | None:
    rng = np.random.default_rng(133)
    y = rng.integers(0, 2, 300)
    clean = np.clip(0.5 + 0.35 * (y - 0.5) + rng.normal(0, 0.2, 300), 0, 1)
    shifted = np.clip(0.6 + 0.1 * (y - 0.5) + rng.normal(0, 0.2, 300), 0, 1)
    for a, b in [(clean, shifted), (shifted, clean)]:
        got = call(answer, y.copy(), a.copy(), b.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            return f"return one number, got {type(got).__name__}."
        if not close(got, _auc_drop_reference(y, a, b), 1e-9):
            return "wrong value: it should be positive when the shifted scores rank the cases worse."
    return None


# --- notebook 05 ---


@exercise(
    "05.1",
    "Centre crop",
    hint="Start at (n - size) // 2 on each axis, and compare size with the image's shape before slicing.",
    wrong=[
        lambda img, size: img[:size, :size],
        lambda img, size: img[70 : 70 + size, 70 : 70 + size],
        lambda img, size: img[(img.shape[0] - size) // 2 :, (img.shape[1] - size) // 2 :],
        lambda img, size: img[
            (img.shape[0] - size) // 2 : (img.shape[0] - size) // 2 + size,
            (img.shape[1] - size) // 2 : (img.shape[1] - size) // 2 + size,
        ],
    ],
)
def _check_05_1(answer: Any) -> str | None:
    rng = np.random.default_rng(5)
    for shape, size in [((10, 10), 4), ((9, 12), 5), ((28, 28), 28), ((7, 8), 1)]:
        img = rng.random(shape)
        top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
        expected = img[top : top + size, left : left + size]
        got = np.asarray(call(answer, img, size))
        if got.shape != expected.shape:
            return f"for a {shape} image and size {size} your crop has shape {got.shape}, not ({size}, {size})."
        if not np.array_equal(got, expected):
            return f"for a {shape} image and size {size} your crop is not the central window."
    try:
        call(answer, rng.random((10, 10)), 11)
    except ValueError:
        return None
    except Exception as err:  # any other error is feedback too
        return f"a crop larger than the image should raise ValueError, yours raised {type(err).__name__}."
    return "a crop larger than the image must raise a ValueError, not return a shorter array."


@exercise(
    "05.2",
    "A CT window",
    hint="Subtract the window's lower edge (center - width / 2), divide by the width, then clip to [0, 1].",
    wrong=[
        lambda hu, c, w: (hu - (c - w / 2)) / w,
        lambda hu, c, w: (hu - hu.min()) / (hu.max() - hu.min()),
        lambda hu, c, w: np.clip((hu - c) / w, 0, 1),
    ],
)
def _check_05_2(answer: Any) -> str | None:
    from medtutor.imaging import apply_window

    hu = np.linspace(-1200.0, 1500.0, 541)
    for center, width in [(-600.0, 1500.0), (50.0, 350.0), (40.0, 80.0)]:
        got = np.asarray(call(answer, hu.copy(), center, width), dtype=float)
        if got.shape != hu.shape:
            return f"the output has shape {got.shape}; it must have the input's shape {hu.shape}."
        if np.isnan(got).any():
            return "the output contains NaN."
        if got.min() < 0 or got.max() > 1:
            return "some values fall outside [0, 1]: values outside the window must be clipped."
        # DICOM's exact formula differs from center +/- width/2 by at most 1 HU, i.e. 1/(width-1) here
        if np.abs(got - apply_window(hu, center, width)).max() > 1.5 / (width - 1):
            return f"with center {center:g} and width {width:g} some HU values get the wrong brightness."
    return None


@exercise(
    "05.3",
    "A split by patient",
    hint="Draw a set of test PATIENTS first (np.unique, then a seeded rng.choice), then mark all their images.",
    wrong=[
        lambda ids, f, seed: np.random.default_rng(seed).random(len(ids)) < f,
        lambda ids, f, seed: np.zeros(len(ids), dtype=bool),
        lambda ids, f, seed: np.isin(ids, np.unique(ids)),
    ],
)
def _check_05_3(answer: Any) -> str | None:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 40, 400)  # 40 patients, about 10 images each
    for patient_ids, seed in [(ids, 0), (ids, 1), (np.array([f"p{i:02d}" for i in ids]), 2)]:
        is_test = np.asarray(call(answer, patient_ids, 0.25, seed))
        if is_test.shape != patient_ids.shape or is_test.dtype != bool:
            return f"return a boolean array with one entry per image {patient_ids.shape}, got {is_test.shape} {is_test.dtype}."
        shared = set(patient_ids[is_test].tolist()) & set(patient_ids[~is_test].tolist())
        if shared:
            return f"{len(shared)} patients have images on both sides of the split."
        share = len(set(patient_ids[is_test].tolist())) / len(set(patient_ids.tolist()))
        if abs(share - 0.25) > 0.1:
            return f"{share:.0%} of the patients are in the test set; expected about 25 %."
    return None


# --- notebook 12 ---


def _ref_grad_cam_12(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    return np.maximum((A * dA.mean(axis=(0, 1))).sum(axis=-1), 0)


@exercise(
    "12.1",
    "Grad-CAM from arrays",
    hint="One weight per channel: the MEAN of dA over the two spatial axes; weighted sum over channels; then ReLU.",
    wrong=[
        lambda A, dA: (A * dA.mean(axis=(0, 1))).sum(axis=-1),
        lambda A, dA: np.maximum((A * dA.sum(axis=(0, 1))).sum(axis=-1), 0),
        lambda A, dA: np.maximum((A * dA).sum(axis=-1), 0),
    ],
)
def _check_12_1(answer: Any) -> str | None:
    rng = np.random.default_rng(12)
    for shape in [(7, 7, 5), (3, 4, 2)]:
        A = rng.random(shape)
        dA = rng.normal(size=shape)
        got = np.asarray(call(answer, A, dA), dtype=float)
        if got.shape != shape[:2]:
            return f"for A of shape {shape} the map must have shape {shape[:2]}, got {got.shape}."
        if np.any(got < 0):
            return "the map has negative values: Grad-CAM keeps only what speaks FOR the class."
        if not close(got, _ref_grad_cam_12(A, dA), tol=1e-8):
            return "the values are off: check how the channel weights are computed from dA."
    return None


@exercise(
    "12.2",
    "Integrated gradients",
    hint="Evaluate grad_fn at baseline + a * (x - baseline) for a = 0, 1/steps, ..., 1; average neighbours "
    "(trapezoid), then multiply by (x - baseline).",
    wrong=[
        lambda grad_fn, x, baseline, steps: grad_fn(x) * (x - baseline),
        lambda grad_fn, x, baseline, steps: np.mean(
            [grad_fn(baseline + a * (x - baseline)) for a in np.linspace(0, 1, steps + 1)], axis=0
        ),
        lambda grad_fn, x, baseline, steps: (
            x * np.mean([grad_fn(a * x) for a in np.linspace(0, 1, steps + 1)[1:]], axis=0)
        ),
    ],
)
def _check_12_2(answer: Any) -> str | None:
    # f(z) = sum(z**3) has gradient 3 z**2; the exact IG from b to x is (x - b) * mean over the path
    grad_fn = lambda z: 3.0 * np.asarray(z, dtype=float) ** 2  # noqa: E731
    x = np.array([0.5, -1.0, 2.0, 0.0])
    for baseline in [np.zeros(4), np.array([0.2, 0.1, -0.5, 1.0])]:
        got = np.asarray(call(answer, grad_fn, x, baseline, 200), dtype=float)
        if got.shape != x.shape:
            return f"return one attribution per element of x {x.shape}, got shape {got.shape}."
        gap = np.sum(x**3) - np.sum(baseline**3)
        if abs(got.sum() - gap) > 1e-3 * max(1.0, abs(gap)):
            return "completeness fails: the attributions do not add up to f(x) - f(baseline)."
        d = x - baseline
        exact = d * (3 * baseline**2 + 3 * baseline * d + d**2)  # (x-b) * integral_0^1 3(b + a d)^2 da
        if not close(got, exact, tol=1e-3):
            return "the total is right but the attribution per element is not."
    return None


@exercise(
    "12.3",
    "Share of a map in the corner",
    hint="Divide the sum of heatmap[:size, :size] by the sum of the whole map; guard the all-zero map.",
    wrong=[
        lambda heatmap, size: float(heatmap[:size, :size].mean()),
        lambda heatmap, size: float(heatmap[:size, :size].sum() / heatmap.size),
        lambda heatmap, size: float(heatmap[-size:, -size:].sum() / max(heatmap.sum(), 1e-12)),
    ],
)
def _check_12_3(answer: Any) -> str | None:
    rng = np.random.default_rng(3)
    m = rng.random((28, 28))
    for heat, size in [(m, 6), (m**4, 3), (np.pad(np.ones((2, 2)), ((0, 5), (0, 5))), 2)]:
        got = call(answer, heat, size)
        if not close(got, heat[:size, :size].sum() / heat.sum(), tol=1e-9):
            return f"for a {heat.shape} map and size {size} the share is off."
    try:
        zero = call(answer, np.zeros((5, 5)), 2)
    except ZeroDivisionError:
        return "an all-zero map raised ZeroDivisionError; return 0.0 for it."
    if not close(zero, 0.0):
        return "an all-zero map has no mass anywhere: return 0.0."
    return None


# --- notebook 04 ---


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _ref_lstm_step(x_t, h_prev, c_prev, K, R, b, order="ifgo"):
    """Reference LSTM step in Keras' layout (gate order i, f, g, o); ``order`` lets tests build wrong answers."""
    u = h_prev.shape[-1]
    z = x_t @ K + h_prev @ R + b
    gates = dict(zip(order, (z[:, :u], z[:, u : 2 * u], z[:, 2 * u : 3 * u], z[:, 3 * u :])))
    i, f, g, o = _sigmoid(gates["i"]), _sigmoid(gates["f"]), np.tanh(gates["g"]), _sigmoid(gates["o"])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _rnn_case(seed: int, n_in: int, units: int, gates: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(3, n_in)),
        rng.normal(size=(3, units)),
        rng.normal(size=(3, units)),
        rng.normal(0, 0.5, size=(n_in, gates * units)),
        rng.normal(0, 0.5, size=(units, gates * units)),
        rng.normal(0, 0.5, size=gates * units),
    )


@exercise(
    "04.1",
    "One step of a simple RNN",
    hint="Keras' SimpleRNN: tanh of (input times kernel) + (previous state times recurrent kernel) + bias.",
    wrong=[
        lambda x, h, K, R, b: _sigmoid(x @ K + h @ R + b),  # wrong activation
        lambda x, h, K, R, b: np.tanh(x @ K + b),  # forgets the memory
        lambda x, h, K, R, b: np.tanh(x @ K + h @ R.T + b),  # transposed recurrent kernel
    ],
)
def _check_04_1(answer: Any) -> str | None:
    for seed, n_in, units in [(0, 1, 4), (1, 3, 5)]:
        x, h, _, K, R, b = _rnn_case(seed, n_in, units)
        got = np.asarray(call(answer, x.copy(), h.copy(), K.copy(), R.copy(), b.copy()), dtype=float)
        expected = np.tanh(x @ K + h @ R + b)
        if got.shape != expected.shape:
            return f"the new state should have shape (N, units) = {expected.shape}, got {got.shape}."
        if not close(got, expected, 1e-6):
            return f"wrong values with {n_in} input(s) and {units} units."
    return None


@exercise(
    "04.2",
    "One step of an LSTM",
    hint="Split the 4*units pre-activations in Keras' order i, f, g, o; c = f*c_prev + i*g; h = o*tanh(c).",
    wrong=[
        lambda x, h, c, K, R, b: _ref_lstm_step(x, h, c, K, R, b, order="ifog"),  # gate order i, f, o, g
        lambda x, h, c, K, R, b: _ref_lstm_step(x, h, c, K, R, b, order="figo"),  # forget and input swapped
        lambda x, h, c, K, R, b: (lambda hc: (hc[0], hc[1] * 0))(_ref_lstm_step(x, h, c, K, R, b)),  # c dropped
    ],
)
def _check_04_2(answer: Any) -> str | None:
    for seed, n_in, units in [(2, 1, 3), (3, 2, 4)]:
        x, h, c, K, R, b = _rnn_case(seed, n_in, units, gates=4)
        got = call(answer, x.copy(), h.copy(), c.copy(), K.copy(), R.copy(), b.copy())
        if not isinstance(got, tuple) or len(got) != 2:
            return "return the pair (h, c): the new hidden state and the new cell state."
        h_exp, c_exp = _ref_lstm_step(x, h, c, K, R, b)
        if not close(got[1], c_exp, 1e-6):
            return f"the cell state c is wrong ({n_in} input(s), {units} units)."
        if not close(got[0], h_exp, 1e-6):
            return f"the cell state is right but the hidden state h is wrong ({n_in} input(s), {units} units)."
    return None


@exercise(
    "04.3",
    "Counting recurrent parameters",
    hint="Each gate (or candidate) has its own kernel (n_in x units), recurrent kernel (units x units) and bias; "
    "Keras' default GRU has two biases per gate.",
    wrong=[
        lambda kind, n_in, units: {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind] * (n_in * units + units * units + units),
        lambda kind, n_in, units: {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind] * (n_in * units + units),
        lambda kind, n_in, units: {"simple_rnn": 1, "lstm": 3, "gru": 2}[kind] * (n_in + units + 2) * units,
    ],
)
def _check_04_3(answer: Any) -> str | None:
    gates = {"simple_rnn": (1, 1), "lstm": (4, 1), "gru": (3, 2)}  # (blocks, biases per block)
    for kind, (blocks, biases) in gates.items():
        for n_in, units in [(1, 8), (3, 16), (10, 1)]:
            got = call(answer, kind, n_in, units)
            expected = blocks * (n_in * units + units * units + biases * units)
            if not isinstance(got, (int, np.integer)) or got != expected:
                return f"wrong count for {kind!r} with {n_in} input(s) and {units} units."
    return None


# --- notebook 06 ---


@exercise(
    "06.1",
    "Parameters of a convolution",
    hint="Each of the c_out filters has kernel_size * kernel_size * c_in weights, plus one bias.",
    wrong=[
        lambda k, c_in, c_out: k * k * c_in * c_out,
        lambda k, c_in, c_out: (k * k + 1) * c_out,
        lambda k, c_in, c_out: (k * c_in + 1) * c_out,
    ],
)
def _check_06_1(answer: Any) -> str | None:
    for k, c_in, c_out in [(3, 1, 32), (3, 32, 64), (5, 3, 16), (1, 64, 8)]:
        expected = (k * k * c_in + 1) * c_out
        got = call(answer, k, c_in, c_out)
        if not isinstance(got, (int, np.integer, float)) or got != expected:
            return f"for a {k}x{k} kernel, {c_in} input and {c_out} output channels your count is {got!r}."
    return None


def _bce_unclipped(y: Any, p: Any) -> float:
    """A known-wrong answer for 06.2: no clipping, so p of exactly 0 or 1 gives an infinite loss."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _bce_reference(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


@exercise(
    "06.2",
    "Binary cross-entropy",
    hint="Average -(y log p + (1 - y) log(1 - p)) over the cases, after clipping p away from 0 and 1.",
    wrong=[
        lambda y, p: float(np.mean(-(np.asarray(y) * np.log(np.clip(p, 1e-7, 1 - 1e-7))))),
        lambda y, p: float(np.sum(-(np.asarray(y) * np.log(p) + (1 - np.asarray(y)) * np.log(1 - np.asarray(p))))),
        lambda y, p: _bce_unclipped(y, p),
    ],
)
def _check_06_2(answer: Any) -> str | None:
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(6)
    y = (rng.random(50) < 0.6).astype(float)
    p = rng.uniform(0.05, 0.95, 50)
    got = call(answer, y.copy(), p.copy())
    if not close(got, log_loss(y, p), 1e-6):
        return "on 50 random cases your loss differs from the reference mean binary cross-entropy."
    y2, p2 = np.array([1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])  # confident mistakes: needs clipping
    got = call(answer, y2.copy(), p2.copy())
    if not np.isfinite(float(got)) or not close(got, _bce_reference(y2, p2), 1e-4):
        return "with probabilities of exactly 0 or 1 your loss is not finite or not clipped like Keras (1e-7)."
    return None


@exercise(
    "06.3",
    "Accuracy at a validation threshold",
    hint="Call a case positive when p >= threshold, then compare with y_true and take the mean.",
    wrong=[
        lambda y, p, t: float(np.mean((np.asarray(p) > t) == (np.asarray(y) == 1))),
        lambda y, p, t: float(np.mean((np.asarray(p) >= 0.5) == (np.asarray(y) == 1))),
        lambda y, p, t: float(np.mean(np.asarray(p)[np.asarray(y) == 1] >= t)),
    ],
)
def _check_06_3(answer: Any) -> str | None:
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(7)
    y = (rng.random(60) < 0.7).astype(int)
    p = np.round(rng.random(60), 1)  # ties with the threshold on purpose
    for t in (0.3, 0.5, 0.8):
        got = call(answer, y.copy(), p.copy(), t)
        if not close(got, accuracy_score(y, p >= t), 1e-9):
            return (
                f"at threshold {t} your accuracy {float(got):.3f} is not right: use the threshold given, compare "
                "with the labels, and count p exactly equal to the threshold as positive."
            )
    return None


# --- notebook 07 ---


@exercise(
    "07.1",
    "Specificity by hand",
    hint="Specificity looks only at the truly negative cases: which share of them did the model clear?",
    wrong=[
        lambda tn, fp: tn / (tn + fp + 1),
        lambda tn, fp: fp / (tn + fp),
        lambda tn, fp: tn / (tn + fp) if fp else 0.0,
    ],
)
def _check_07_1(answer: Any) -> str | None:
    from sklearn.metrics import recall_score

    for tn, fp in ((90, 10), (3, 1), (50, 0), (7, 13)):
        y = np.array([0] * (tn + fp))
        pred = np.array([0] * tn + [1] * fp)
        expected = recall_score(y, pred, pos_label=0)  # specificity = recall of the negative class
        got = call(answer, tn, fp)
        if not close(got, expected, 1e-9):
            return f"with tn={tn}, fp={fp} your specificity {float(got):.4f} is not the share of negatives cleared."
    return None


@exercise(
    "07.2",
    "PPV at a given prevalence (Bayes)",
    hint="Among all positive calls, how many are true? True positives: sens x prev; false positives: (1 - spec) x (1 - prev).",
    wrong=[
        lambda sens, spec, prev: sens,
        lambda sens, spec, prev: sens * prev / (sens * prev + (1 - spec)),
        lambda sens, spec, prev: sens * prev / (sens * prev + spec * (1 - prev)),
    ],
)
def _check_07_2(answer: Any) -> str | None:
    for sens, spec, prev in ((0.9, 0.9, 0.01), (0.95, 0.8, 0.3), (0.7, 0.99, 0.05), (0.8, 0.6, 0.625)):
        tp, fp = sens * prev, (1 - spec) * (1 - prev)
        got = call(answer, sens, spec, prev)
        if not close(got, tp / (tp + fp), 1e-9):
            return f"for sensitivity {sens}, specificity {spec}, prevalence {prev} your PPV {float(got):.4f} is off."
    return None


# --- notebook 08 ---


@exercise(
    "08.1",
    "Balanced class weights",
    hint="Class c gets N / (2 * N_c): the rarer the class, the larger its weight, and both classes weigh the same in total.",
    wrong=[
        lambda y: {0: 1.0, 1: 1.0},
        lambda y: {c: float(np.mean(np.asarray(y) == c)) for c in (0, 1)},
        lambda y: {c: float(np.mean(np.asarray(y) != c)) for c in (0, 1)},
    ],
)
def _check_08_1(answer: Any) -> str | None:
    from sklearn.utils.class_weight import compute_class_weight

    for y in ([0, 0, 0, 1], [1, 1, 0, 0, 0, 0, 0, 0, 0, 1], [0] * 73 + [1] * 27, [1] * 74 + [0] * 26):
        y = np.asarray(y)
        got = call(answer, y.copy())
        if not isinstance(got, dict) or set(got) != {0, 1}:
            return "return a dict {0: weight of class 0, 1: weight of class 1}."
        expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
        if not close([float(got[0]), float(got[1])], expected, 1e-9):
            return f"for {int(np.sum(y == 0))} negatives and {int(np.sum(y == 1))} positives your weights are off."
    return None


@exercise(
    "08.2",
    "The majority-class baseline",
    hint="Always predicting the most common class is right exactly for the cases of that class.",
    wrong=[
        lambda y: float(np.mean(y)),
        lambda y: 0.5,
        lambda y: float(1 - np.mean(y)),
    ],
)
def _check_08_2(answer: Any) -> str | None:
    for y in ([0, 0, 0, 1], [1, 1, 1, 1, 0], [0] * 73 + [1] * 27, [1] * 74 + [0] * 26, [0, 1]):
        y = np.asarray(y)
        p = float(np.mean(y))
        got = call(answer, y.copy())
        if not close(got, max(p, 1 - p), 1e-9):
            return f"for labels with {p:.0%} positives your accuracy {float(got):.3f} is not the majority's share."
    return None


# --- notebook 14 ---


@exercise(
    "14.1",
    "Positives in the top k",
    hint="Sort the cases by probability, highest first (np.argsort(-y_prob)), take the first k, count the 1s.",
    wrong=[
        lambda y_prob, y_true, k: int(np.asarray(y_true)[np.argsort(np.asarray(y_prob))[:k]].sum()),
        lambda y_prob, y_true, k: int((np.asarray(y_prob) >= 0.5).sum()),
        lambda y_prob, y_true, k: int(np.asarray(y_true)[:k].sum()),
    ],
)
def _check_14_1(answer: Any) -> str | None:
    rng = np.random.default_rng(14)
    for n, k in [(40, 10), (200, 37), (15, 15)]:
        y = (rng.random(n) < 0.3).astype(int)
        p = np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1)
        expected = int(y[np.argsort(-p, kind="stable")[:k]].sum())
        got = call(answer, p, y, k)
        if not isinstance(got, (int, np.integer)):
            return f"return a whole number (a count), got {type(got).__name__}."
        if got != expected:
            return f"with {n} cases and k={k} the count is off."
    return None


@exercise(
    "14.2",
    "A cautious referral rule",
    hint='Test the interval first: low <= threshold <= high means "uncertain"; only then compare prob with it.',
    wrong=[
        lambda prob, low, high, threshold: "refer" if prob >= threshold else "no referral",
        lambda prob, low, high, threshold: "uncertain" if low < threshold < high else "refer",
        lambda prob, low, high, threshold: (
            "uncertain" if low <= threshold <= high else ("refer" if prob > threshold else "no referral")
        ),
    ],
)
def _check_14_2(answer: Any) -> str | None:
    cases = [
        ((0.8, 0.7, 0.9, 0.5), "refer"),
        ((0.2, 0.1, 0.3, 0.5), "no referral"),
        ((0.55, 0.4, 0.7, 0.5), "uncertain"),
        ((0.45, 0.3, 0.5, 0.5), "uncertain"),
        ((0.5, 0.5, 0.5, 0.5), "uncertain"),
        ((0.3, 0.31, 0.4, 0.3), "refer"),
    ]
    for args, expected in cases:
        got = call(answer, *args)
        if got != expected:
            return f"prob={args[0]}, interval [{args[1]}, {args[2]}], threshold {args[3]}: got {got!r}."
    return None


@exercise(
    "14.3",
    "NPV at a prevalence",
    hint="Among the negatives: healthy ones are spec * (1 - prev), missed sick ones are (1 - sens) * prev.",
    wrong=[
        lambda sensitivity, specificity, prevalence: specificity,
        lambda sensitivity, specificity, prevalence: (
            specificity * prevalence / (specificity * prevalence + (1 - sensitivity) * (1 - prevalence))
        ),
        lambda sensitivity, specificity, prevalence: (
            sensitivity * prevalence / (sensitivity * prevalence + (1 - specificity) * (1 - prevalence))
        ),
    ],
)
def _check_14_3(answer: Any) -> str | None:
    for sens, spec, prev in [(0.9, 0.8, 0.05), (0.95, 0.6, 0.3), (0.7, 0.99, 0.5)]:
        tn = spec * (1 - prev)
        expected = tn / (tn + (1 - sens) * prev)
        got = call(answer, sens, spec, prev)
        if not close(got, expected, tol=1e-9):
            return f"sensitivity {sens}, specificity {spec}, prevalence {prev}: the NPV is off."
    return None


# --- notebook 11 ---


def _macc_ref(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y_true, y_pred))


@exercise(
    "11.1",
    "The Challenge score MAcc",
    hint="Sensitivity looks only at the abnormal recordings, specificity only at the normal ones; average the two.",
    wrong=[
        lambda y, p: float(np.mean(np.asarray(y) == np.asarray(p))),  # plain accuracy
        lambda y, p: float(np.mean(np.asarray(p)[np.asarray(y) == 1] == 1)),  # sensitivity only
        lambda y, p: float(  # (sensitivity + precision) / 2
            (np.mean(np.asarray(p)[np.asarray(y) == 1] == 1) + np.mean(np.asarray(y)[np.asarray(p) == 1] == 1)) / 2
        ),
    ],
)
def _check_11_1(answer: Any) -> str | None:
    rng = np.random.default_rng(11)
    cases = [(np.array([1, 1, 1, 0]), np.array([1, 0, 1, 1]))]
    for n, prev in ((40, 0.2), (101, 0.7)):
        y = (rng.random(n) < prev).astype(int)
        y[:2] = [0, 1]
        cases.append((y, (rng.random(n) < 0.5).astype(int)))
    for y, p in cases:
        got = call(answer, y.copy(), p.copy())
        if not np.isscalar(got) and np.asarray(got).shape != ():
            return "return one number (a float), not an array."
        if not close(float(got), _macc_ref(y, p), 1e-9):
            return f"wrong value on {len(y)} recordings with {int(y.sum())} abnormal."
    return None


@exercise(
    "11.2",
    "From window probabilities to recording probabilities",
    hint="For recording r, average p_win over the windows whose group is r (np.bincount can sum by group).",
    wrong=[
        lambda p, g, n: np.array([np.max(np.asarray(p)[np.asarray(g) == r]) for r in range(n)]),  # max, not mean
        lambda p, g, n: np.full(n, np.mean(p)),  # one global mean
        lambda p, g, n: np.bincount(g, p, minlength=n),  # sum, not mean
    ],
)
def _check_11_2(answer: Any) -> str | None:
    rng = np.random.default_rng(12)
    for n in (3, 17):
        group = np.concatenate([np.arange(n), rng.integers(0, n, 4 * n)])
        rng.shuffle(group)
        p = rng.random(len(group))
        expected = np.array([p[group == r].mean() for r in range(n)])
        got = np.asarray(call(answer, p.copy(), group.copy(), n), dtype=float)
        if got.shape != (n,):
            return f"return one probability per recording: shape ({n},), got {got.shape}."
        if not close(got, expected, 1e-9):
            return f"wrong values with {n} recordings and {len(group)} windows."
    return None


def _pulse_envelope(bpm: float, frame_rate: float, seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * frame_rate)) / frame_rate
    phase = (t * bpm / 60.0) % 1.0
    env = np.exp(-(((phase - 0.1) / 0.03) ** 2)) + 0.6 * np.exp(-(((phase - 0.45) / 0.03) ** 2))
    return 2.0 + env + 0.05 * rng.normal(size=len(t))  # an offset, as a log-energy envelope has


def _hr_variant(env, fr, offset: bool = True, demean: bool = True, per_minute: bool = True) -> float:
    """Reference (and, with other arguments, known-wrong) heart rate from an envelope's autocorrelation."""
    e = np.asarray(env, dtype=float) - (np.mean(env) if demean else 0.0)
    r = np.correlate(e, e, mode="full")[len(e) - 1 :]
    lo, hi = int(0.45 * fr), int(2 * fr)
    lag = (lo if offset else 0) + int(np.argmax(r[lo:hi]))
    return (60.0 if per_minute else 1.0) * fr / max(lag, 1)


@exercise(
    "11.3",
    "Heart rate from the autocorrelation",
    hint="Autocorrelate the mean-subtracted envelope (np.correlate, mode='full', keep lags >= 0), take the argmax "
    "between the two lag limits, and convert the lag in frames to beats per minute: 60 * frame_rate / lag.",
    wrong=[
        lambda e, fr: _hr_variant(e, fr, offset=False),  # argmax index used as the lag (forgets the 0.45 s start)
        lambda e, fr: _hr_variant(e, fr, per_minute=False),  # beats per second
        lambda e, fr: _hr_variant(e, fr, demean=False),  # mean not removed: the autocorrelation keeps decaying
    ],
)
def _check_11_3(answer: Any) -> str | None:
    for bpm, fr, seed in ((72.0, 50.0, 0), (110.0, 50.0, 1), (48.0, 40.0, 2)):
        env = _pulse_envelope(bpm, fr, 12.0, seed)
        expected = _hr_variant(env, fr)
        got = call(answer, env.copy(), fr)
        if not close(float(got), expected, 1e-6):
            return f"wrong heart rate for a {bpm:.0f} beats/min test envelope at {fr:.0f} frames/s."
    return None


# --- notebook 10 ---


@exercise(
    "10.1",
    "Dice by hand",
    hint="Count the pixels in both masks (logical AND), double it, divide by the total of both masks' pixels.",
    wrong=[
        lambda p, t: np.logical_and(p, t).sum() / max(np.logical_or(p, t).sum(), 1),  # Jaccard (IoU)
        lambda p, t: 2.0 * np.logical_and(p, t).sum() / max(np.asarray(p).sum() + np.asarray(t).sum(), 1),  # empty -> 0
        lambda p, t: float(np.mean(np.asarray(p, bool) == np.asarray(t, bool))),  # pixel accuracy
    ],
)
def _check_10_1(answer: Any) -> str | None:
    rng = np.random.default_rng(101)
    cases = [(rng.random((20, 16)) > 0.7, rng.random((20, 16)) > 0.6) for _ in range(3)]
    tiny_true = np.zeros((10, 10), bool)
    tiny_true[2:4, 2:4] = True
    cases.append((np.zeros((10, 10), bool), tiny_true))  # missed lesion: 0
    cases.append((tiny_true.copy(), tiny_true))  # perfect: 1
    for pred, true in cases:
        total = pred.sum() + true.sum()
        expected = 2.0 * np.logical_and(pred, true).sum() / total
        got = call(answer, pred.copy(), true.copy())
        if not close(got, expected, 1e-9):
            return f"wrong Dice for masks with {int(pred.sum())} and {int(true.sum())} pixels."
    empty = np.zeros((5, 5), bool)
    got = call(answer, empty.copy(), empty.copy())
    if not close(got, 1.0, 1e-9):
        return "two empty masks agree perfectly: Dice should be 1.0 there (and never a division by zero)."
    return None


@exercise(
    "10.2",
    "ADC from two acquisitions",
    hint="Invert S_b = S_0 exp(-b ADC): take the logarithm of S_0 / S_b and divide by b.",
    wrong=[
        lambda s0, sb, b: np.log(np.asarray(sb) / np.asarray(s0)) / b,  # sign flipped
        lambda s0, sb, b: (np.asarray(s0) - np.asarray(sb)) / b,  # no logarithm
        lambda s0, sb, b: np.log(np.asarray(s0) / np.asarray(sb)) * b,  # multiplied by b
    ],
)
def _check_10_2(answer: Any) -> str | None:
    rng = np.random.default_rng(102)
    adc = rng.uniform(0.3e-3, 3.0e-3, size=(4, 5))
    s0 = rng.uniform(0.5, 1.0, size=(4, 5))
    for b in (1000.0, 800.0):
        sb = s0 * np.exp(-b * adc)
        got = np.asarray(call(answer, s0.copy(), sb.copy(), b), dtype=float)
        if got.shape != adc.shape:
            return f"expected an array of shape {adc.shape} (one ADC per voxel), got {got.shape}."
        if not close(got, adc, 1e-9):
            return f"the ADC values are wrong at b = {b:g} (expected mm^2/s, about 0.0003-0.003 in tissue)."
    return None
