"""Packaging: the wheel carries the registry and course map, the version has one source, and the universal lock
keeps the measured environment on Linux x86_64 / Python 3.11 while resolving on every supported platform."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import medtutor

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("lock", ROOT / "binder" / "lock.py")
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)

LINUX_311 = {
    "python_full_version": "3.11.7", "python_version": "3.11", "sys_platform": "linux", "platform_machine": "x86_64",
    "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}  # fmt: skip


def _pins(path: Path, env: dict[str, str], only: str = "") -> dict[str, str]:
    """{package: '==version'} of a requirements file, evaluated for one environment's markers."""
    pins = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and only in line:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate(env):
                pins[canonicalize_name(req.name)] = str(req.specifier)
    return pins


@pytest.mark.slow  # builds a wheel (about 10 s)
def test_wheel_contains_registry_cards_course_map_and_version(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", str(ROOT), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "BuildBackendWarning" not in proc.stdout + proc.stderr, "the build prints setuptools deprecation warnings"
    (wheel,) = tmp_path.glob("medtutor-*.whl")
    assert wheel.name.startswith(f"medtutor-{medtutor.__version__}-"), "the wheel's version is not __version__"
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "medtutor/_datasets/registry.json" in names
    assert "medtutor/_datasets/physionet2016.md5" in names
    assert "medtutor/_datasets/cards/pneumoniamnist.md" in names
    assert "medtutor/course.json" in names
    assert "medtutor/locale/zh.json" in names  # the Chinese feedback catalog (issue 18)
    assert "medtutor/data.py" in names and not any(n.startswith(("notebooks/", "tests/")) for n in names)


def test_version_has_one_source():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'attr = "medtutor.__version__"' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M), "pyproject.toml must not repeat the version"
    assert re.fullmatch(r"\d+\.\d+\.\d+", medtutor.__version__)


def test_lock_keeps_the_measured_versions_on_linux_x86_64_python_311():
    # the measured block of the constraints: every pin of the Linux x86_64 / 3.11 environment we benchmarked
    measured = _pins(ROOT / "binder" / "constraints.txt", LINUX_311, only="python_full_version >= '3.11.5'")
    assert len(measured) >= 150
    locked = _pins(ROOT / "binder" / "requirements.txt", LINUX_311)
    changed = {name: (pin, locked.get(name)) for name, pin in measured.items() if locked.get(name) != pin}
    assert not changed, f"the lock moved measured versions (constraint, lock): {changed}"
    assert locked["tensorflow-cpu"] == "==2.21.0" and locked["keras"] == "==3.15.1"


@pytest.mark.parametrize(
    "env",
    [
        {**LINUX_311, "platform_machine": "aarch64"},
        {**LINUX_311, "sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin"},
        {**LINUX_311, "sys_platform": "darwin", "platform_machine": "x86_64", "platform_system": "Darwin"},
        {
            **LINUX_311,
            "sys_platform": "win32",
            "platform_machine": "AMD64",
            "platform_system": "Windows",
            "os_name": "nt",
        },
        {**LINUX_311, "python_full_version": "3.10.12", "python_version": "3.10"},
        {**LINUX_311, "python_full_version": "3.13.1", "python_version": "3.13"},
    ],
    ids=["linux-aarch64", "macos-arm64", "macos-x86_64", "windows", "py310", "py313"],
)
def test_lock_picks_one_tensorflow_per_platform(env):
    locked = _pins(ROOT / "binder" / "requirements.txt", env)
    tf = {name for name in locked if name in ("tensorflow", "tensorflow-cpu")}
    assert len(tf) == 1, f"expected exactly one TensorFlow build, got {tf}"
    linux_x86 = env["sys_platform"] == "linux" and env["platform_machine"] == "x86_64"
    assert tf == ({"tensorflow-cpu"} if linux_x86 else {"tensorflow"})
    assert "numpy" in locked and "keras" in locked


@pytest.mark.slow  # asks PyPI about 20 resolutions (about a minute)
def test_lock_resolves_for_every_platform_and_python():
    if not lock.pypi_reachable():
        pytest.skip("PyPI is not reachable: resolving the lock needs the package index (run `make lock-check` online)")
    failed = {target: reason for target, reason in lock.check_all().items() if reason}
    assert not failed, f"the lock does not resolve for: {failed}"
