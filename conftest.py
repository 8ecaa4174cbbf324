"""Progress for `make test`: one line per notebook (or test module) as it finishes, with its time, and a total.

Notebooks run for minutes each under nbval; pytest's dots cannot tell a slow notebook from a hang. This plugin
counts each file's test items (cells, for a notebook) and prints ``done 07_training_a_cnn.ipynb: 48 items in
95 s (7/38 files, 412 s so far)`` when the last one finishes. It works with and without pytest-xdist.
"""

from __future__ import annotations

import copy
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest


class _Progress:
    """Per-file item counts (from collection) and finished-item counts (from the run's reports)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.expected: Counter[str] = Counter()
        self.finished: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.first: dict[str, float] = {}
        self.seconds: dict[str, float] = defaultdict(float)
        self.start = time.perf_counter()

    def _write(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line)

    def expect(self, nodeids: list[str]) -> None:
        if not self.expected:  # every xdist worker collects the same items: count them once
            self.expected.update(nodeid.split("::")[0] for nodeid in nodeids)

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.expect([item.nodeid for item in items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.expect(list(ids))

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        path = report.nodeid.split("::")[0]
        self.first.setdefault(path, time.perf_counter())
        if report.failed:
            self.failed[path] += 1
        if report.when != "teardown":
            return
        self.finished[path] += 1
        if self.finished[path] == self.expected.get(path, -1):
            self.seconds[path] = time.perf_counter() - self.first[path]
            done = sum(self.finished[p] == n for p, n in self.expected.items())
            status = f"{self.failed[path]} FAILED" if self.failed[path] else "ok"
            self._write(
                f"done {path}: {self.finished[path]} items {status} in {self.seconds[path]:.0f} s "
                f"({done}/{len(self.expected)} files, {time.perf_counter() - self.start:.0f} s so far)"
            )

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: object) -> None:
        notebooks = {p: s for p, s in self.seconds.items() if p.endswith(".ipynb")}
        if notebooks:
            self._write(
                "notebook wall time (s): "
                + ", ".join(f"{p.split('/')[-1][:2]} {s:.0f}" for p, s in sorted(notebooks.items()))
            )
        self._write(f"total time: {time.perf_counter() - self.start:.0f} s")


# The Chinese edition (notebooks/zh/) is generated from the English notebooks with identical code cells: running it
# again under nbval would double the CI time and test nothing new. Only zh/00 runs (a smoke test that exercise
# feedback is Chinese in a zh folder); tests/test_i18n.py checks every zh notebook structurally.
collect_ignore_glob = ["notebooks/zh/0[1-9]_*.ipynb", "notebooks/zh/[1-9][0-9]_*.ipynb", "my-notebooks/*"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the progress plugin on the process that reports (the xdist controller, or the only process)."""
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Progress(config), "medtutor-progress")


# Executed copies for the figure render test (tests/test_figures_render.py), written by the nbval run itself so
# that CI executes each notebook once: with MEDTUTOR_SAVE_EXECUTED=DIR, each notebook's cells get the outputs
# nbval received from the kernel and the notebook is written to DIR/<file name> when its last cell finishes.
_EXECUTED_OUTPUTS: dict[str, dict[int, list]] = defaultdict(dict)
_NBVAL_FAILED: set[str] = set()


def _is_nbval_cell(item: pytest.Item) -> bool:
    """True for nbval's notebook-cell items (they carry the cell, its number and the kernel's outputs)."""
    return all(hasattr(item, name) for name in ("cell", "cell_num", "test_outputs")) and hasattr(item.parent, "nb")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Keep each nbval cell's outputs (also of a failed cell: the copy shows how far the notebook got)."""
    outcome = yield
    if os.environ.get("MEDTUTOR_SAVE_EXECUTED") and _is_nbval_cell(item) and call.when == "call":
        key = str(item.parent.path)
        _EXECUTED_OUTPUTS[key][item.cell_num] = list(item.test_outputs or [])
        if outcome.get_result().failed:
            _NBVAL_FAILED.add(key)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After a notebook's last cell: write the executed copy (atomically, so a reader never sees half a file)."""
    folder = os.environ.get("MEDTUTOR_SAVE_EXECUTED")
    if not folder or not _is_nbval_cell(item) or (nextitem is not None and nextitem.parent is item.parent):
        return
    import nbformat

    key = str(item.parent.path)
    outputs = _EXECUTED_OUTPUTS.pop(key, {})
    nb = copy.deepcopy(item.parent.nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells):
        cell.outputs = [nbformat.from_dict(out) for out in outputs.get(number, [])]
        cell.execution_count = number + 1 if number in outputs else None
    nb.metadata["medtutor_executed"] = {"by": "nbval", "failed": key in _NBVAL_FAILED, "cells_run": len(outputs)}
    target = Path(folder) / item.parent.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    nbformat.write(nb, partial)
    os.replace(partial, target)
