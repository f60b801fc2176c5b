"""Run a learner's kernel in a Linux sandbox (bubblewrap) with resource limits.

What the kernel gets:
* no network (a new, empty network namespace);
* a file system in which the course repository, the grading work folder, home
  folders and /tmp are replaced by empty, tiny ones, with only the Python environment, the
  helper package, the course data and the kernel's own run folder bound back read-only
  (the run folder is writable and holds only this submission's files; the grader watches
  its size, see :class:`autograder.execute.DiskGuard`), and a small ``/dev/shm``;
* its own process namespace, killed with the grader;
* limits: address space (memory), processes, file size and CPU seconds; when the grader
  runs as root, a distinct unprivileged user per worker, so the process limit applies to
  the sandbox alone.

Where bubblewrap is missing or cannot start, :func:`check` says so and names each missing
protection; the grader prints that loudly and never claims a sandbox it does not have.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .course import REPO_ROOT

MISSING_PROTECTIONS = (
    "no network isolation: learner code can open connections",
    "no file isolation: learner code can read solutions/, the gradebook and other submissions",
    "no process namespace: learner processes can outlive the grader",
)


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 * 1024**3
    processes: int = 64
    file_bytes: int = 256 * 1024**2
    cpu_seconds: int = 1800
    output_bytes: int = 1024**2  # per cell, kept in the graded notebook
    disk_bytes: int = 512 * 1024**2  # all the files of the run folder together
    disk_entries: int = 20_000  # files and folders in the run folder

# In-memory file systems inside the sandbox: they hold the kernel's memory outside its
# address-space limit, so each one is small.
HIDDEN_TMPFS_BYTES = 1024**2  # an empty stand-in for a hidden folder (only mount points in it)
SHM_BYTES = 64 * 1024**2  # /dev/shm, for the semaphores and shared tensors of multiprocessing


@dataclass(frozen=True)
class SandboxStatus:
    available: bool
    reason: str

    def warning(self) -> str:
        lines = [f"WARNING: grading WITHOUT a sandbox ({self.reason}). Missing protections:"]
        lines += [f"  - {item}" for item in MISSING_PROTECTIONS]
        lines += ["  Memory, process and CPU limits still apply. Install bubblewrap (Debian: apt-get install bubblewrap)."]
        return "\n".join(lines)


def check() -> SandboxStatus:
    """Whether bubblewrap is installed and can start a sandbox here."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return SandboxStatus(False, "bubblewrap (bwrap) is not installed")
    try:
        done = subprocess.run([bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net",
                               "--unshare-pid", "--die-with-parent", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return SandboxStatus(False, f"bubblewrap cannot start: {error}")
    if done.returncode != 0:
        return SandboxStatus(False, f"bubblewrap cannot start: {done.stderr.decode(errors='replace').strip()[:200]}")
    return SandboxStatus(True, "bubblewrap")


def _parents(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]  # without "/"


def _readable_paths() -> list[Path]:
    """What the kernel needs to run: the interpreter, the environment, the helper package, the data."""
    from transformer_course.data import data_dir

    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
             (REPO_ROOT / "transformer_course").resolve(), data_dir().resolve()}
    return sorted(paths, key=lambda p: len(p.parts))


def _hidden_paths(extra: list[Path]) -> list[Path]:
    candidates = [Path("/tmp"), Path("/var/tmp"), Path("/root"), Path("/home"), Path("/work"), Path("/srv"),
                  Path("/mnt"), Path("/media"), REPO_ROOT, Path.home(), *extra]
    hidden = []
    for path in candidates:
        path = path.resolve()
        if path.is_dir() and path != Path("/") and path not in hidden:
            hidden.append(path)
    # A hidden folder inside another hidden folder is hidden already.
    return sorted({p for p in hidden if not any(q != p and q in p.parents for q in hidden)},
                  key=lambda p: len(p.parts))


def sandbox_command(run_dir: Path, limits: Limits, *, worker: int = 0, hide: list[Path] = (),
                    use_bwrap: bool = True) -> list[str]:
    """The prefix that runs a command inside the sandbox with the limits.

    ``run_dir`` is bound writable: the kernel's working folder, home and temporary folder.
    """
    files = run_dir.resolve()
    prefix = ["prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.processes}",
              f"--fsize={limits.file_bytes}", f"--cpu={limits.cpu_seconds}", "--core=0", "--"]
    if not use_bwrap:
        return prefix
    command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
    made = set()
    for path in _hidden_paths(list(hide)):
        command += ["--perms", "0755", "--size", str(HIDDEN_TMPFS_BYTES), "--tmpfs", str(path)]
        made.add(path)
    for path in [*_readable_paths(), run_dir.resolve()]:
        for parent in _parents(path):
            if parent not in made and any(parent == h or h in parent.parents for h in made):
                command += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        if path == run_dir.resolve():
            command += ["--bind", str(path), str(path)]
        else:
            command += ["--ro-bind", str(path), str(path)]
    # Only the variables a kernel needs cross into the sandbox (no tokens or keys of the grader's).
    environment = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                   "HOME": str(files), "MPLCONFIGDIR": str(files), "TMPDIR": str(files),
                   "JUPYTER_RUNTIME_DIR": str(files), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                   "MPLBACKEND": "agg", "PYTHONDONTWRITEBYTECODE": "1",
                   # the helper package is bound back under the course folder: import it from there
                   "PYTHONPATH": str(REPO_ROOT)}
    for name in ("COURSE_PROFILE", "COURSE_DEVICE", "COURSE_DATA_DIR", "NBGRADER_EXECUTION"):
        if name in os.environ:
            environment[name] = os.environ[name]
    command += ["--chdir", str(files), "--unshare-net", "--unshare-pid", "--unshare-ipc",
                "--unshare-uts", "--die-with-parent", "--new-session", "--clearenv"]
    for name, value in environment.items():
        command += ["--setenv", name, value]
    if os.geteuid() == 0:
        uid = 61000 + worker
        command += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]
    return prefix + command + ["--"]
