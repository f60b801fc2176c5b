"""pytest set-up shared by the notebook runs (nbval on solutions/) and tests/.

Prints how long each notebook took to execute, so CI logs show every chapter's cost.
"""
from __future__ import annotations

from collections import defaultdict

from tools.kernels import encrypt_kernel_transport

encrypt_kernel_transport()  # no "Kernel is running over TCP without encryption" on every notebook run

_notebook_seconds: dict[str, float] = defaultdict(float)
_notebook_failures: dict[str, int] = defaultdict(int)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration
        if report.failed:
            _notebook_failures[path] += 1


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook execution time")
    for path, seconds in sorted(_notebook_seconds.items()):
        failed = f"  ({_notebook_failures[path]} failing cells)" if _notebook_failures[path] else ""
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{failed}")
