"""The execution step of grading: nbgrader's restored notebook, run in the sandbox.

This replaces nbgrader's ``Execute`` preprocessor (see ``nbgrader_config.py``); nbgrader
still restores the test cells from the gradebook before, and records the grades after.
What it adds:

* the kernel runs in the sandbox of :mod:`autograder.sandbox` with resource limits;
* ``transformer_course.grading`` is imported before any learner code, so the comparison
  helpers keep their own references to PyTorch functions whatever an answer cell replaces;
* answer cells are scanned for tampering (:mod:`autograder.static_checks`); a finding
  fails the tests of that exercise only, with the finding as the reason;
* a test cell passes only if it ran to its end: the grader appends an expression holding
  a fresh random token, and looks for that token in the cell's result. An answer that
  swallows exceptions cannot fake it, because a failing assertion stops the cell before
  the token;
* figures are not drawn unless asked for (``--figures``): they earn no points;
* the files a kernel writes are capped as a whole (:class:`DiskGuard`), not only one by one;
* each cell has a time limit, and the whole submission a time budget (``--budget``): once
  it is spent, the cells not yet run are not run and say why, so that a submission stuck in
  a loop holds a worker for the budget at most, not the per-cell limit once per test cell;
* each cell has a cap on the output it may keep; a kernel that dies
  (``os._exit``, a memory bomb, killing itself) is restarted, the cells before are replayed,
  and grading goes on after the cell that killed it.
"""
from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from jupyter_client import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer, List, Unicode

from . import sandbox
from .course import DEFAULT_BUDGET, REPO_ROOT
from .static_checks import imported_names, scan

PREAMBLE = "import transformer_course.grading as _course_grading_preloaded"
# Figures earn no points; drawing them took about 1.6 s of the 8 s that one chapter 03 submission
# took alone. The figure objects are still made (a test may inspect one); only their images
# are not drawn.
NO_FIGURE_IMAGES = """
for _course_mime in ("image/png", "image/jpeg", "image/svg+xml", "application/pdf"):
    get_ipython().display_formatter.formatters[_course_mime].enabled = False
del _course_mime"""
MAX_RESTARTS = 4


class SandboxedKernelManager(AsyncKernelManager):
    sandbox_prefix: list[str] = []

    def format_kernel_cmd(self, extra_arguments=None):
        # The connection file was just written, readable by its owner only; the kernel runs
        # as the sandbox's unprivileged user, which must read it.
        Path(self.connection_file).chmod(0o644)
        return list(self.sandbox_prefix) + super().format_kernel_cmd(extra_arguments)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _error(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class _Client(NotebookClient):
    """nbclient with a cap on the output each cell keeps."""

    def __init__(self, nb, *, make_km, output_limit, **kwargs):
        super().__init__(nb, **kwargs)
        self._make_km = make_km
        self._output_limit = output_limit
        self._used: dict[int, int] = {}
        self.truncated: set[int] = set()

    def create_kernel_manager(self):
        self.km = self._make_km()
        return self.km

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._used.get(cell_index, 0) + size
        self._used[cell_index] = used
        if used > self._output_limit:
            if cell_index not in self.truncated:
                self.truncated.add(cell_index)
                outs.append(new_output("stream", name="stdout",
                                       text=f"\n[grader: output cut at {self._output_limit:,} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def _process_tree() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    return children


def _descendants(pid: int, children: dict[int, list[int]]) -> list[int]:
    found, stack = [], list(children.get(pid, []))
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def reap_strays(km) -> int:
    """Kill every process the kernel started (a fork bomb's children, a forgotten subprocess).

    No exercise needs a process of its own, and a stray one would keep eating the CPU that
    the rest of the notebook's tests need.
    """
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None:
        return 0
    children = _process_tree()
    kernel = None
    for pid in [process.pid, *_descendants(process.pid, children)]:
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # The sandbox's own processes (prlimit, bwrap, setpriv) carry the kernel's command line
        # as arguments; the kernel is the Python process that runs it.
        if b"python" in Path(arguments[0].decode(errors="replace")).name.encode() and b"ipykernel_launcher" in b" ".join(arguments):
            kernel = pid
            break
    if kernel is None:
        return 0
    strays = _descendants(kernel, children)
    _sigkill(strays)
    return len(strays)


def _sigkill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:  # gone already
            pass


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything it started."""
    _sigkill([*_descendants(pid, _process_tree()), pid])


class DiskGuard:
    """Stops the kernel when the files in its run folder grow past a cap.

    The file-size limit caps one file; a loop that writes file after file would still fill
    the grader's disk, and with it the gradebook of the whole class. A thread measures the
    folder (blocks really used, and the number of entries) a few times a second and kills
    the kernel past the cap; the cell gets a ``DiskLimitExceeded`` error.
    """

    def __init__(self, folder: Path, limit_bytes: int, limit_entries: int, interval: float = 0.2):
        self.folder, self.limit_bytes, self.limit_entries, self.interval = folder, limit_bytes, limit_entries, interval
        self.process = None  # the running kernel's process; None while none runs
        self.tripped = ""
        self._lock = threading.Lock()  # a measurement and a clean-up never overlap
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="disk-guard", daemon=True)

    def usage(self) -> tuple[int, int]:
        used = entries = 0
        folders = [self.folder]
        while folders:
            try:
                with os.scandir(folders.pop()) as listing:
                    for entry in listing:
                        entries += 1
                        try:
                            used += entry.stat(follow_symlinks=False).st_blocks * 512
                            if entry.is_dir(follow_symlinks=False):
                                folders.append(entry.path)
                        except OSError:
                            continue
            except OSError:
                continue
        return used, entries

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                if self.process is None:
                    continue
                used, entries = self.usage()
                if used > self.limit_bytes or entries > self.limit_entries:
                    self.tripped = (f"the notebook wrote {used / 1024**2:,.0f} MiB in {entries:,} files and "
                                    f"folders; the limit is {self.limit_bytes / 1024**2:,.0f} MiB and "
                                    f"{self.limit_entries:,}")
                    kill_tree(self.process.pid)
                    self.process = None  # measure again only once the next kernel runs

    def clear(self) -> None:
        """Delete what the dead kernel wrote, so that the next kernel starts within the cap."""
        with self._lock:
            for child in self.folder.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
            self.tripped = ""

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class _Budget:
    """The time left to a submission: each cell's limit is the smaller of the per-cell limit and
    what is left, and a cell cut short by the budget says so."""

    def __init__(self, seconds: int, per_cell: int):
        self.seconds, self.per_cell = seconds, per_cell
        self.deadline = time.monotonic() + seconds if seconds > 0 else None
        self.limited, self.started = False, time.monotonic()

    def left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def spent(self) -> bool:
        return self.left() < 1

    def arm(self, client) -> bool:
        """Set the next cell's time limit; False when (less than a second) is left."""
        left = self.left()
        if left < 1:
            return False
        self.limited = left < self.per_cell
        client.timeout = int(left) if self.limited else self.per_cell
        self.started = time.monotonic()
        return True

    def explain(self, cell) -> None:
        """After a cell: say why it stopped if it ran out of time (the kernel's own output is only
        the KeyboardInterrupt of the interruption)."""
        elapsed = time.monotonic() - self.started
        if self.limited and self.spent():
            cell.outputs.append(_error(
                "TimeBudgetExceeded", f"the submission used up its time budget of {self.seconds} s while this cell ran"))
        elif elapsed >= self.per_cell:
            cell.outputs.append(_error("CellTimeoutError", f"the cell ran past {self.per_cell} s"))

    def skip(self, nb, indices: list[int]) -> None:
        why = f"not run: the submission used up its time budget of {self.seconds} s"
        for index in indices:
            nb.cells[index].outputs = [_error("TimeBudgetExceeded", why)]


class SandboxedExecute(NbGraderPreprocessor):
    """Execute a restored submission in the sandbox and decide which test cells completed."""

    timeout = Integer(120, help="seconds allowed per cell").tag(config=True)
    budget = Integer(DEFAULT_BUDGET, help="seconds allowed for the whole submission, restarts included (0: none)"
                     ).tag(config=True)
    memory_bytes = Integer(sandbox.Limits.memory_bytes).tag(config=True)
    processes = Integer(sandbox.Limits.processes).tag(config=True)
    cpu_seconds = Integer(sandbox.Limits.cpu_seconds).tag(config=True)
    output_bytes = Integer(sandbox.Limits.output_bytes).tag(config=True)
    disk_bytes = Integer(sandbox.Limits.disk_bytes, help="cap on all the files a submission writes").tag(config=True)
    use_sandbox = Bool(True, help="run the kernel in bubblewrap (False only where it is unavailable)").tag(config=True)
    worker = Integer(0, help="worker number: picks the sandbox user").tag(config=True)
    hide = List(Unicode(), help="extra folders the learner's code must not see").tag(config=True)
    draw_figures = Bool(False, help="draw figures into the graded notebook and the feedback").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        limits = sandbox.Limits(memory_bytes=self.memory_bytes, processes=self.processes,
                                cpu_seconds=self.cpu_seconds, output_bytes=self.output_bytes,
                                disk_bytes=self.disk_bytes)
        findings = self._scan(nb)
        tokens = self._add_tokens(nb)
        with tempfile.TemporaryDirectory(prefix="grade-run-") as run:
            flooded = self._execute(nb, Path(run), limits)
        for index in flooded:  # an answer cell that printed past the cap fails its exercise
            if _meta(nb.cells[index]).get("solution"):
                for test in self._tests_after(nb, index):
                    findings.setdefault(test, []).append(
                        f"{_meta(nb.cells[index]).get('grade_id')}: printed more than {limits.output_bytes:,} bytes")
        self._verdicts(nb, tokens, findings)
        return nb, resources

    @staticmethod
    def _tests_after(nb, answer_index: int) -> list[int]:
        tests = []
        for index in range(answer_index + 1, len(nb.cells)):
            meta = _meta(nb.cells[index])
            if meta.get("solution") and not meta.get("grade"):
                break
            if nb.cells[index].cell_type == "code" and meta.get("grade"):
                tests.append(index)
        return tests

    def _scan(self, nb) -> dict[int, list[str]]:
        """Findings per test-cell index: an answer cell's findings fail the tests that follow it."""
        failing: dict[int, list[str]] = {}
        current: list[str] = []
        # Every module the notebook imports, in any cell: an answer cell may use them unimported.
        modules = set().union(*(imported_names(cell.source) for cell in nb.cells if cell.cell_type == "code"))
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            meta = _meta(cell)
            if meta.get("solution") and not meta.get("grade"):
                current = [f"{meta.get('grade_id')}: {finding}" for finding in scan(cell.source, modules)]
            elif meta.get("grade") and current:
                failing[index] = current
        return failing

    @staticmethod
    def _add_tokens(nb) -> dict[int, str]:
        tokens = {}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and _meta(cell).get("grade"):
                tokens[index] = secrets.token_hex(16)
                cell.source = f"{cell.source}\n{tokens[index]!r}"
        return tokens

    def _execute(self, nb, run_dir: Path, limits: sandbox.Limits) -> set[int]:
        """Run every cell; returns the indices of the cells whose output was cut."""
        attempts = 0

        guard = DiskGuard(run_dir, limits.disk_bytes, limits.disk_entries)

        def make_km():
            nonlocal attempts
            attempts += 1
            if guard.tripped:
                guard.clear()
            folder = run_dir / f"kernel{attempts}"
            folder.mkdir()
            folder.chmod(0o777)
            manager = SandboxedKernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))
            manager.connection_file = str(folder / "kernel.json")
            if "transport_encryption" in manager.trait_names():
                # ipc sockets in the kernel's private folder; a process-wide "auto" (tools/kernels.py)
                # would give the kernel CurveZMQ keys, and it dies before replying inside the sandbox
                manager.transport_encryption = "disabled"
            manager.sandbox_prefix = sandbox.sandbox_command(folder, limits, worker=self.worker,
                                                             hide=[Path(p) for p in self.hide],
                                                             use_bwrap=self.use_sandbox)
            spec = manager.kernel_spec
            spec.interrupt_mode = "message"  # SIGINT cannot cross into the sandbox's own session
            spec.env = {"PYTHONPATH": str(REPO_ROOT)}
            return manager

        client = _Client(nb, make_km=make_km, output_limit=limits.output_bytes, timeout=self.timeout,
                         interrupt_on_timeout=True, allow_errors=True, record_timing=False,
                         # Every cell has run: nothing of the kernel's is worth a graceful exit, and
                         # waiting for one costs more than a second per submission.
                         shutdown_kernel="immediate",
                         error_on_timeout={"ename": "CellTimeoutError", "evalue": f"the cell ran past {self.timeout} s",
                                           "traceback": [f"CellTimeoutError: the cell ran past {self.timeout} s"]},
                         resources={"metadata": {"path": str(run_dir)}})
        # The helpers are imported before any learner code, in a cell of the grader's own.
        nb.cells.insert(0, new_code_cell(PREAMBLE if self.draw_figures else PREAMBLE + NO_FIGURE_IMAGES))
        try:
            with guard:
                self._run_cells(client, nb, guard, _Budget(self.budget, self.timeout))
        finally:
            nb.cells.pop(0)
        return {index - 1 for index in client.truncated}

    @staticmethod
    def _run_cells(client, nb, guard: DiskGuard, budget: _Budget | None = None) -> None:
        budget = budget or _Budget(0, client.timeout)
        code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        start, dead = 1, set()
        while start < len(code_cells):
            current = None
            if budget.spent():
                budget.skip(nb, code_cells[start:])
                break
            try:
                client.km = None
                with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                    guard.process = getattr(client.km.provisioner, "process", None)
                    # (set only now: the guard measures while a kernel runs, never during a restart)
                    for index in code_cells[:start]:
                        if index not in dead:  # replay what ran before the kernel died; keep the first outputs
                            if not budget.arm(client):
                                break
                            first_run = nb.cells[index]
                            client.execute_cell(copy.deepcopy(first_run), index, store_history=False)
                            nb.cells[index] = first_run  # nbclient stores the replayed copy in the notebook
                            reap_strays(client.km)
                    for position in range(start, len(code_cells)):
                        current = code_cells[position]
                        if not budget.arm(client):
                            budget.skip(nb, code_cells[position:])
                            break
                        client.execute_cell(nb.cells[current], current)
                        budget.explain(nb.cells[current])
                        if reap_strays(client.km):
                            nb.cells[current].outputs.append(new_output(
                                "stream", name="stdout", text="[grader: stopped the processes this cell started]\n"))
                start = len(code_cells)
            except DeadKernelError:
                if current is None and start == 1:
                    raise RuntimeError("the sandboxed kernel could not start") from None
                if current is None:  # died while replaying what ran before: count it against the next cell
                    current = code_cells[start]
                if guard.tripped:
                    died = _error("DiskLimitExceeded", guard.tripped)
                else:
                    died = _error("DeadKernelError", "the kernel died while running this cell")
                nb.cells[current].outputs.append(died)
                dead.add(current)
                start = code_cells.index(current) + 1
                if len(dead) >= MAX_RESTARTS:
                    for index in code_cells[start:]:
                        nb.cells[index].outputs = [_error("DeadKernelError", "not run: the kernel died too often")]
                    break

    @staticmethod
    def _verdicts(nb, tokens: dict[int, str], findings: dict[int, list[str]]) -> None:
        for index, token in tokens.items():
            cell = nb.cells[index]
            cell.source = cell.source[: -len(repr(token)) - 1]
            completed = False
            kept = []
            for output in cell.outputs:
                text = output.get("data", {}).get("text/plain", "") if output.output_type == "execute_result" else ""
                if token in text:
                    completed = True
                    continue
                kept.append(output)
            cell.outputs = kept
            failed = any(o.output_type == "error" for o in kept)
            if index in findings:
                cell.outputs.append(_error("TamperingDetected", "; ".join(findings[index])))
            elif not completed and not failed:
                cell.outputs.append(_error("TestDidNotComplete", "the test cell did not run to its end"))
