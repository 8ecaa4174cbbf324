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
    hint="Python's `sum` adds the items of a list; the course has 15 notebooks numbered 00 to 14.",
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
