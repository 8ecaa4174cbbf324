"""The course's one environment: a universal lock that resolves on every platform and Python the course supports.

    python binder/lock.py compile   # pyproject.toml + test extra, under binder/constraints.txt -> requirements.txt
    python binder/lock.py check     # resolve binder/requirements.txt for every platform x Python (wheels only)

``binder/requirements.txt`` is ONE file with environment markers (``uv pip compile --universal``): pip picks the
lines for the machine it runs on, so Binder, CI, ``make install`` and a student's laptop install the same pins.
``check`` asks uv to resolve that file for each target (``--python-platform``/``--python-version``), allowing
only wheels, so a target passes only when every pinned package has a build for it. Only PyPI is needed, no such
machine; offline, ``check`` says so and exits 0 unless ``--strict``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "binder" / "requirements.txt"
CONSTRAINTS = ROOT / "binder" / "constraints.txt"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = {
    "Linux x86_64": "x86_64-manylinux_2_28",
    "Linux aarch64": "aarch64-manylinux_2_28",
    "macOS arm64": "aarch64-apple-darwin",
    "macOS x86_64": "x86_64-apple-darwin",
    "Windows x86_64": "x86_64-pc-windows-msvc",
}
# Targets no TensorFlow build exists for: reported, never counted as failures.
UNSUPPORTED = {("macOS x86_64", "3.13"): "TensorFlow's last Intel-macOS build (2.16.2) stops at Python 3.12"}
HEADER = (
    "# The course's pinned environment for every platform and Python 3.10-3.13 (universal lock, see binder/lock.py).\n"
)


def _uv() -> list[str]:
    """The uv command: the ``uv`` executable, else ``python -m uv``; a clear error when neither exists."""
    exe = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if Path(exe).is_file():
        return [exe]
    raise SystemExit("uv is not installed: `pip install uv` (it is in the test extra), then run this again.")


def pypi_reachable(timeout: float = 5.0) -> bool:
    """True when https://pypi.org answers: resolution needs the index, nothing else."""
    try:
        urllib.request.urlopen("https://pypi.org/simple/uv/", timeout=timeout).close()
        return True
    except OSError:
        return False


def compile_lock(output: Path = LOCK) -> None:
    """Resolve pyproject.toml's dependencies and test extra for all platforms, Python >= 3.10, into ``output``."""
    cmd = [
        *_uv(), "pip", "compile", str(ROOT / "pyproject.toml"), "--extra", "test", "--universal",
        "--python-version", PYTHONS[0], "-c", str(CONSTRAINTS), "-o", str(output), "--no-python-downloads",
        "--no-header", "--no-annotate", "--quiet",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=ROOT)
    output.write_text(HEADER + "# Regenerate: python binder/lock.py compile (or make lock).\n" + output.read_text())


def check_target(platform: str, python: str, lock: Path = LOCK) -> str | None:
    """Resolve ``lock`` for one uv platform triple and Python; None when it resolves, else uv's reason."""
    cmd = [
        *_uv(), "pip", "compile", str(lock), "--python-platform", platform, "--python-version", python,
        "--only-binary", ":all:", "--no-python-downloads", "--quiet", "--no-header",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode == 0:
        return None
    reasons = [line.strip() for line in proc.stderr.splitlines() if "cause:" in line or "error:" in line]
    return (reasons[-1] if reasons else proc.stderr.strip()[-300:]) or f"uv exited {proc.returncode}"


def check_all(lock: Path = LOCK) -> dict[tuple[str, str], str | None]:
    """Resolve ``lock`` for every supported platform and Python; print one line per target."""
    results = {}
    for name, triple in PLATFORMS.items():
        for python in PYTHONS:
            reason = check_target(triple, python, lock)
            known = UNSUPPORTED.get((name, python))
            verdict = "ok" if reason is None else (f"unsupported ({known})" if known else f"FAILED: {reason}")
            print(f"{name:15s} Python {python}: {verdict}", flush=True)
            results[(name, python)] = None if known else reason
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line: ``compile`` or ``check [--strict]``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cmd", choices=["compile", "check"])
    parser.add_argument("--strict", action="store_true", help="check: fail (exit 2) when PyPI cannot be reached")
    args = parser.parse_args(argv)
    if not pypi_reachable():
        print("SKIPPED: https://pypi.org is not reachable; resolving the lock needs the package index.")
        return 2 if args.strict else 0
    if args.cmd == "compile":
        compile_lock()
        print(f"wrote {LOCK.relative_to(ROOT)}")
        return 0
    failed = [target for target, reason in check_all().items() if reason]
    print(f"{len(failed)} target(s) failed to resolve" if failed else "the lock resolves on every supported target")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
