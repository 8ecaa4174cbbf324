"""Auto-checked exercises: formative feedback (what is wrong and a hint, never the answer).

In a notebook::

    medtutor.exercises.check("08.1", specificity)

prints ``✅ Exercise 08.1 (Specificity by hand): correct.`` or ``❌ ... not yet. <what is wrong> Hint: ...``.
The shared API lives in :mod:`medtutor.exercises._api`, the student build in
:mod:`medtutor.exercises.student`, and each notebook's checks in their own module ``nbNN.py``.
"""

from __future__ import annotations

from . import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09, nb10, nb11, nb12, nb13, nb14, nb15, nb16  # noqa: F401  (importing registers the checks)
from ._api import EXERCISES, Exercise, call, check, close, evaluate, exercise, strict_mode
from .student import build_student_dir, has_solutions, make_student_notebook, strip_solutions

__all__ = [
    "EXERCISES",
    "Exercise",
    "build_student_dir",
    "call",
    "check",
    "close",
    "evaluate",
    "exercise",
    "has_solutions",
    "make_student_notebook",
    "strict_mode",
    "strip_solutions",
]
