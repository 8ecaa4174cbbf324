"""medtutor.setup: prints the environment, seeds generators, refuses bad seeds."""

from __future__ import annotations

import random

import numpy as np
import pytest

import medtutor


def test_setup_prints_and_seeds(capsys):
    assert medtutor.setup(seed=7) is None
    out = capsys.readouterr().out
    assert "python" in out and "MEDTUTOR_DATA_DIR" in out and "seed" in out
    a = (random.random(), np.random.rand())
    medtutor.setup(seed=7, quiet=True)
    assert (random.random(), np.random.rand()) == a
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("seed", [-1, 1.5, "42"])
def test_setup_refuses_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        medtutor.setup(seed=seed)


def test_environment_keys():
    env = medtutor.environment()
    assert {"python", "numpy", "cores", "cache"} <= set(env)


def test_submodules_load_lazily():
    import subprocess
    import sys

    code = "import sys, medtutor; assert 'medtutor.metrics' not in sys.modules; medtutor.exercises.check; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "ok"
    with pytest.raises(AttributeError):
        medtutor.no_such_module  # noqa: B018


def test_keras_setup_limits_threads_for_reproducibility():
    import subprocess
    import sys

    code = (
        "import medtutor; medtutor.setup(seed=1, keras=True, quiet=True)\n"
        "import tensorflow as tf\n"
        "assert tf.config.threading.get_intra_op_parallelism_threads() == 1\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("ok")
