"""Input validation shared by the whole package: one home for each check and its message.

Every public function of medtutor that takes labels, probabilities, environment variables, folders or
files checks them here, so the same bad input gets the same clear, one-line error naming the fix
wherever it enters. Private module: the names may change, the messages keep naming the fix.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

TRUE_WORDS = ("1", "true", "yes", "on", "y")
FALSE_WORDS = ("", "0", "false", "no", "off", "n", "none")


# --------------------------------------------------------------------------- the package itself
def shadowing_message() -> str | None:
    """A message when ``medtutor`` was imported as a namespace package (a folder shadows the install), else None.

    Python started in the folder that *contains* the medtutor clone finds the clone folder (which has no
    ``__init__.py``) first and makes it a namespace package: ``medtutor.setup`` then does not exist and
    errors point at the wrong culprit. Say what happened instead.
    """
    pkg = sys.modules.get("medtutor")
    if pkg is None or getattr(pkg, "__file__", None):
        return None
    where = ", ".join(str(p) for p in getattr(pkg, "__path__", []))
    return (
        f"`medtutor` was imported as an empty namespace package from {where}: Python was started in the "
        "folder that contains the medtutor clone, so the clone folder hides the real package. "
        "Fix: start Python (or Jupyter) inside the clone or its notebooks/ folder, or anywhere else."
    )


def check_not_shadowed() -> None:
    """Raise ImportError with :func:`shadowing_message` when the package is shadowed."""
    message = shadowing_message()
    if message:
        raise ImportError(message)


# --------------------------------------------------------------------------- arrays
def as_1d(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a 1-D array; accept a column ``(N, 1)`` (what ``model.predict`` returns)."""
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got dtype=object; pass np.asarray(..., dtype=float).")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with shape (N,) (or a column (N, 1)), got shape {arr.shape}; "
            f"for a 2-class softmax output pass probs[:, 1], otherwise use .ravel()."
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one case.")
    return arr


def check_numbers(arr: np.ndarray, name: str, nan_fix: str) -> np.ndarray:
    """Refuse an array that does not hold numbers (bool counts), or a float array with NaN/inf; returns ``arr``.

    ``nan_fix`` is the caller's fix for non-finite values (an image and a CT volume are cleaned differently).
    """
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity. Fix: {nan_fix}")
    return arr


def check_signal(x: Any, float_fix: str, min_len: int = 1, name: str = "signal") -> np.ndarray:
    """One recording: a 1-D, float, finite array of at least ``min_len`` samples; ``float_fix`` says how to convert."""
    sig = np.asarray(x)
    if sig.ndim != 1:
        raise ValueError(f"{name} must be 1-D (T,), got shape {sig.shape}; pass one recording at a time.")
    if not np.issubdtype(sig.dtype, np.floating):
        raise TypeError(f"{name} must be float (got {sig.dtype}); {float_fix}.")
    if not np.all(np.isfinite(sig)):
        raise ValueError(f"{name} contains NaN or inf; clean or drop the recording first.")
    if len(sig) < min_len:
        raise ValueError(f"{name} has {len(sig)} samples, need at least {min_len}; the recording is too short.")
    return sig


def check_labels(y: Any, name: str = "y_true") -> np.ndarray:
    """Validate 0/1 labels (bool, int or float 0.0/1.0) and return them as int64."""
    arr = as_1d(y, name)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; drop those cases (e.g. mask = np.isfinite({name})).")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold 0/1 numbers, got dtype {arr.dtype}.")
    bad = ~np.isin(arr, (0, 1))
    if bad.any():
        raise ValueError(
            f"{name} must contain only 0 and 1 (1 = disease), found e.g. {arr[bad][0]!r}; "
            "map class names to 0/1 first, and if these are probabilities, threshold them: "
            "(y_prob >= 0.5).astype(int)."
        )
    return arr.astype(np.int64)


def check_probs(p: Any, name: str = "y_prob", n: int | None = None, unit: bool = True) -> np.ndarray:
    """Validate finite scores (in [0, 1] when ``unit``: logits are refused) of length ``n``; return float64."""
    arr = as_1d(p, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; check the model output (e.g. np.isfinite({name}).all()).")
    if unit and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name} must be probabilities in [0, 1], found values in [{arr.min():.3g}, {arr.max():.3g}]; "
            "apply a sigmoid to logits first (1 / (1 + np.exp(-z)))."
        )
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries but y_true has {n}; they must be aligned case by case.")
    return arr


def as_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """A NumPy Generator from a Generator (used as is: the caller's stream continues) or a non-negative int seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(f"{name} must be a numpy Generator or a non-negative int seed, got {rng!r}.")


def check_fraction(value: Any, name: str, open_interval: bool = False) -> np.ndarray:
    """A fraction (scalar or array) in [0, 1], or strictly inside (0, 1) when ``open_interval``; as float64."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.asarray(np.nan)
    ok = ((arr > 0) & (arr < 1)) if open_interval else ((arr >= 0) & (arr <= 1))
    if not np.all(np.isfinite(arr)) or not np.all(ok):
        bounds = "strictly between 0 and 1" if open_interval else "in [0, 1]"
        raise ValueError(f"{name} must be a fraction {bounds} (e.g. 0.9 for 90 %), got {value!r}.")
    return arr


def ratio_or_nan(num: float, den: float) -> float:
    """num / den, or nan when the denominator is zero: the metric is undefined, and 0 or 1 would be made up."""
    return float(num) / float(den) if den > 0 else float("nan")


# --------------------------------------------------------------------------- environment variables
class EnvVarError(ValueError):
    """An environment variable of the course holds a value it cannot use; the message names the variable."""


def env_flag(var: str) -> bool:
    """A yes/no environment variable: ``1/true/yes/on`` or ``0/false/no/off``/unset; anything else is an error.

    A guard such as ``MEDTUTOR_OFFLINE`` that silently reads an unexpected value as "no" fails open.
    """
    value = os.environ.get(var, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise EnvVarError(f"{var}={os.environ.get(var)!r} is not a yes/no value: set it to 1 (on) or 0 (off), or unset it.")


_WARNED: set[str] = set()


def warn_once(message: str) -> None:
    """Issue a UserWarning once per process for the same message (environment problems repeat on every load)."""
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


# --------------------------------------------------------------------------- files and folders
def public_file_mode() -> int:
    """The mode a new file gets from this process's umask (0o644 under the usual umask 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def make_public(path: Path) -> None:
    """Give a file written through a private temporary file (mode 0600) the umask's normal mode.

    pooch and ``tempfile`` create 0600 files; renamed or copied into a classroom folder they would be
    unreadable by every other user.
    """
    os.chmod(path, public_file_mode())


def unreadable_message(path: Path) -> str:
    """The message for a file that exists but this user may not read, naming the chmod that fixes it."""
    return (
        f"{path} exists but this user may not read it (permission denied). Fix: whoever owns the data "
        f"folder runs `chmod -R a+rX {path.parent}` (files world-readable, folders enterable)."
    )


def writable_dir(path: Path, what: str) -> Path:
    """Create ``path`` if needed and prove it is a writable folder; else raise OSError naming ``what`` and the fix.

    ``what`` says where the folder comes from, e.g. ``"the user cache (MEDTUTOR_CACHE_DIR)"`` or ``"--out"``.
    """
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(
                f"{what}: {path} cannot be a folder because {parent} is a file. Fix: choose another folder."
            )
        if parent.exists():
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".medtutor-write-test.", dir=path)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise PermissionError(
            f"{what}: cannot write in {path} ({type(err).__name__}: {err.strerror or err}). "
            "Fix: make it writable (chmod u+w) or choose another folder."
        ) from err
    return path


def read_text_file(path: Path, what: str = "file") -> str:
    """Text of a small user file (a labels CSV): UTF-8, with or without the BOM Excel writes.

    Any other encoding (Latin-1, UTF-16) is refused with the line of the first bad byte and the fix, rather
    than guessed: a wrong guess would silently change file names and labels.
    """
    raw = Path(path).read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(f"{path} ({what}) is UTF-16 text: save it as UTF-8 (Excel: 'CSV UTF-8').")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ValueError(
            f"{path} ({what}) is not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line}; Latin-1/Windows-1252?): "
            "save it as UTF-8 (Excel: 'CSV UTF-8'; or `iconv -f latin1 -t utf-8`)."
        ) from err


check_not_shadowed()  # every module that validates input imports this one: a shadowed install is named at once
