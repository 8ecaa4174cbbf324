"""medtutor: the helper package of an interactive course on AI for medical image diagnosis.

Import is light on purpose (no TensorFlow): lessons import what they need, e.g.
``from medtutor import data, metrics``. Each notebook starts with :func:`setup`.
"""

from __future__ import annotations

import os
import platform
import random
import sys
from typing import Any

__version__ = "0.1.0"
__all__ = ["setup", "environment", "__version__"]

MIN_PYTHON = (3, 10)
_SUBMODULES = {
    "app", "cli", "course", "data", "exercises", "explain", "fairness", "features", "heart", "heart_model",
    "imaging", "metrics", "models", "mri", "plots", "preprocess", "report", "shifts", "synthetic", "volumes", "widgets",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """Import submodules on first use: ``medtutor.exercises.check(...)`` works after ``import medtutor``."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"medtutor.{name}")
    raise AttributeError(f"module 'medtutor' has no attribute {name!r}")


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def _import_tensorflow_quietly(threads: int | None = None) -> None:
    """Import TensorFlow with its C++ start-up log lines (oneDNN, absl) kept out of the notebook.

    Those lines are written straight to file descriptor 2 before TensorFlow's own log filter exists,
    so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them; a Python import error is still raised as usual.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow as tf

        if threads is not None:
            _limit_threads(threads)  # only possible before the first operation below
        tf.constant(0.0)  # the second batch of log lines comes with the first operation
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def environment(keras: bool = False) -> dict[str, Any]:
    """Versions, cores, memory and data folders: what a bug report or a slow run needs to know."""
    import numpy

    from medtutor import data

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "medtutor": __version__,
        "numpy": numpy.__version__,
        "cores": cores,
        "memory_gb": None if _memory_gb() is None else round(_memory_gb(), 1),
        "MEDTUTOR_DATA_DIR": os.environ.get("MEDTUTOR_DATA_DIR") or "(unset)",
        "MEDTUTOR_REQUIRE_REAL": os.environ.get("MEDTUTOR_REQUIRE_REAL") or "(unset)",
        "cache": str(data.cache_dir()),
    }
    if keras:
        _import_tensorflow_quietly()
        import keras as keras_
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["keras"] = keras_.__version__
    return info


def _limit_threads(threads: int) -> None:
    """Pin TensorFlow's thread pools; possible only before TensorFlow runs its first operation."""
    import tensorflow as tf

    if threads < 1:
        raise ValueError(f"threads must be >= 1 or None, got {threads}.")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already ran: keep its pools, say so
        current = tf.config.threading.get_intra_op_parallelism_threads()
        if current != threads:
            print(
                f"note: TensorFlow already started with {current or 'all'} threads; restart the kernel for {threads}."
            )


def setup(seed: int = 42, keras: bool = False, quiet: bool = False, threads: int | None = 1) -> None:
    """First call of every notebook: check the environment, print it, seed every generator.

    ``keras=True`` also imports TensorFlow/Keras (about 5 s and 0.7 GB) quietly and seeds it with
    ``keras.utils.set_random_seed`` so that CPU training reproduces run to run. TensorFlow is limited to
    ``threads`` CPU threads (default 1, what a Binder session has): floating-point sums then run in the
    same order on every machine, so a model trained here equals the one your instructor trained
    (``threads=None`` uses every core: faster on a laptop, last digits may differ).
    Returns nothing (so the environment is not echoed twice in a notebook); :func:`environment` returns
    the same facts as a dict.
    """
    if sys.version_info < MIN_PYTHON:
        raise RuntimeError(
            f"medtutor needs Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]}; this is {platform.python_version()}."
        )
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    if keras:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up log lines
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if keras:
        if threads is not None and int(threads) < 1:
            raise ValueError(f"threads must be >= 1 or None, got {threads}.")
        _import_tensorflow_quietly(None if threads is None else int(threads))
    info = environment(keras=keras)
    if keras:
        import keras as keras_

        keras_.utils.set_random_seed(seed)
        if threads is not None:
            _limit_threads(int(threads))
    try:
        from medtutor import plots

        plots.use_course_style()  # the course figure style: readable sizes, grey images
    except ImportError:  # pragma: no cover
        pass
    info["seed"] = seed
    if keras:
        info["tf_threads"] = threads or "all cores"
    if not quiet:
        width = max(len(k) for k in info)
        print("\n".join(f"{k:<{width}} : {v}" for k, v in info.items()))
