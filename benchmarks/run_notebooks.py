"""Measure every notebook the way Binder runs it: a fresh kernel, ONE CPU core, real data.

    python benchmarks/run_notebooks.py            # all notebooks
    python benchmarks/run_notebooks.py 06 07      # some of them (their rows are replaced in the table)

Each notebook is executed with ``jupyter nbconvert --execute`` under ``taskset -c 0`` with a fresh, empty
model cache (so a notebook that reuses notebook 07's model retrains it: the worst case). The kernel's
peak resident memory is sampled every 0.1 s with psutil. Results go to ``benchmarks/RESULTS.md``.
Budget per notebook: 180 s wall time and 1.5 GB peak memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BUDGET_S, BUDGET_MB = 180.0, 1536.0
HEADER = "| notebook | wall time (s) | kernel peak memory (MB) | all processes peak (MB) | within budget |"


def run_one(path: Path, env: dict[str, str], core: int = 0) -> tuple[float, float, float, str]:
    """Execute one notebook pinned to one core; return (seconds, kernel peak MB, tree peak MB, status)."""
    out_dir = Path(tempfile.mkdtemp(prefix="medtutor-bench-"))
    cmd = [
        sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.timeout=900", "--output-dir", str(out_dir), str(path),
    ]  # fmt: skip
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core), *cmd]
    start = time.perf_counter()
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    kernel_peak = tree_peak = 0
    while proc.poll() is None:
        try:
            procs = [proc, *proc.children(recursive=True)]
            rss = [p.memory_info().rss for p in procs if p.is_running()]
            kernels = [p.memory_info().rss for p in procs if "ipykernel" in " ".join(p.cmdline())]
            tree_peak = max(tree_peak, sum(rss))
            kernel_peak = max(kernel_peak, *kernels, 0)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    shutil.rmtree(out_dir, ignore_errors=True)
    status = "ok" if proc.returncode == 0 else "FAILED: " + (err.strip().splitlines() or ["?"])[-1][:80]
    return seconds, kernel_peak / 2**20, tree_peak / 2**20, status


def read_rows() -> dict[str, str]:
    if not RESULTS.is_file():
        return {}
    rows = {}
    for line in RESULTS.read_text().splitlines():
        m = re.match(r"\| (\d\d_\w+)\.ipynb \|", line)
        if m:
            rows[m.group(1)] = line
    return rows


def write_table(rows: dict[str, str], note: str) -> None:
    body = "\n".join(rows[k] for k in sorted(rows))
    RESULTS.write_text(
        "# Notebook run time and memory on one CPU core\n\n"
        "Measured by `python benchmarks/run_notebooks.py` (fresh kernel, pinned to one core with `taskset`, "
        "real data from\n"
        "`MEDTUTOR_DATA_DIR`; the model cache is stated in the note below).\n"
        "Two runs may share the machine, one per core (`--core 0` / `--core 1`); nothing else runs.\n"
        f"Budget: {BUDGET_S:.0f} s and {BUDGET_MB / 1024:.1f} GB per notebook (a free Binder session).\n\n"
        f"{note}\n\n{HEADER}\n|---|---|---|---|---|\n{body}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("numbers", nargs="*", help="notebook numbers, e.g. 06 07 (default: all)")
    parser.add_argument("--core", type=int, default=0, help="the CPU core to pin to (default 0)")
    parser.add_argument(
        "--models-from",
        metavar="DIR",
        help="copy this model cache into each notebook's fresh cache: a cache that binder/postBuild prepared (the "
        "shared pneumonia CNN pre-trained), i.e. what a Binder session starts with (default: empty, the worst case)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from medtutor.course import course_notebooks  # the course map's order (medtutor/course.json)

    notebooks = course_notebooks()
    if args.numbers:
        notebooks = [p for p in notebooks if p.name[:2] in args.numbers]
    if not notebooks:
        parser.error("no matching notebooks")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    shared = ROOT.parent / "shared" / "datasets"
    if "MEDTUTOR_DATA_DIR" not in env and shared.is_dir():
        env["MEDTUTOR_DATA_DIR"] = str(shared)
    env.pop("MEDTUTOR_RESULTS", None)
    failed = 0
    results = {}
    for path in notebooks:
        env["MEDTUTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="medtutor-bench-cache-")
        if args.models_from:
            shutil.copytree(args.models_from, env["MEDTUTOR_CACHE_DIR"], dirs_exist_ok=True)
        seconds, kernel_mb, tree_mb, status = run_one(path, env, args.core)
        shutil.rmtree(env["MEDTUTOR_CACHE_DIR"], ignore_errors=True)
        ok = status == "ok" and seconds <= BUDGET_S and kernel_mb <= BUDGET_MB
        failed += not ok
        verdict = "yes" if ok else ("no" if status == "ok" else status)
        results[path.stem] = f"| {path.name} | {seconds:.0f} | {kernel_mb:.0f} | {tree_mb:.0f} | {verdict} |"
        print(results[path.stem], flush=True)
    cpu = platform.processor() or platform.machine()
    cache = (
        "model cache as binder/postBuild prepares it (shared pneumonia CNN pre-trained)"
        if args.models_from
        else "empty model cache (shared models retrained: the worst case)"
    )
    note = (
        f"Last run: {time.strftime('%Y-%m-%d')}, {cpu}, Python {platform.python_version()}, "
        f"{psutil.cpu_count()} cores (1 used); {cache}."
    )
    rows = read_rows()  # read just before writing: two runs on two cores may share the table
    rows.update(results)
    write_table(rows, note)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
