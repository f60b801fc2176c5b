"""Run a script in several processes, as ``torchrun`` does, from a notebook or the command line.

A function written in a notebook cannot be pickled into freshly started processes (they do not
share the notebook's memory), so chapter 12 runs its multi-process code from files instead:

* :func:`write_module` writes the source of notebook functions (``inspect.getsource``) into a
  small module that a worker script imports;
* :func:`run_torchrun` starts one process per rank with the environment torchrun gives its
  workers (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR=127.0.0.1``, ``MASTER_PORT``),
  captures each rank's standard output and error in files, enforces a time limit, and kills every
  process it started (and anything they started) on a timeout, a failure or an interruption, so
  that no process outlives the call. ``use_torchrun=True`` starts the real launcher,
  ``python -m torch.distributed.run``, instead;
* :func:`free_port` picks a free TCP port of the loopback interface.

The command line does the same from a terminal::

    python -m transformer_course.distributed --nproc 2 --timeout 120 train.py --steps 100

and prints each rank's output, prefixed with its rank, when they finish. Everything listens on
127.0.0.1 only: the rendezvous store is served by the launching process through a socket bound to
127.0.0.1 (the ranks join it as torchrun's workers join their agent's store), and gloo's
connections between ranks use the loopback interface (``GLOO_SOCKET_IFNAME``). Real torchrun's
agent store listens on every interface; on one machine, ``torchrun --standalone
--nproc-per-node=2 train.py`` is the equivalent command.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import linecache
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_IMPORTS = """\
import math
import random

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
"""
_TAIL = 3000  # characters of a failing rank's stderr quoted in an error message


class DistributedRunError(RuntimeError):
    """A launch failed: ``rank`` is the first rank that failed (None if none did), ``result`` holds all output."""

    def __init__(self, message: str, result: "LaunchResult", rank: int | None = None):
        super().__init__(message)
        self.result = result
        self.rank = rank


class DistributedTimeout(DistributedRunError):
    """A launch ran past its time limit; every process it started has been killed."""


@dataclass
class LaunchResult:
    """What a launch left behind: the launcher's exit code, each rank's output, the wall time."""

    returncode: int
    stdout: list[str]
    stderr: list[str]
    exit_codes: list[int | None]
    launcher_output: str
    seconds: float
    pids: list[int] = field(default_factory=list)

    def show(self) -> None:
        """Print every rank's output, each line prefixed with ``[rank r]``."""
        for rank, (out, err) in enumerate(zip(self.stdout, self.stderr)):
            for line in out.splitlines():
                print(f"[rank {rank}] {line}")
            for line in err.splitlines():
                print(f"[rank {rank} stderr] {line}")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on at ``host`` now (the system picks it; free when returned)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _class_source_from_its_methods(obj) -> str | None:
    """The source of a class defined in a notebook cell, or None.

    ``inspect.getsource`` cannot find such a class on Python < 3.13 (it looks for the class in the
    file of ``__main__``), but each method's code names the cell it came from: read that cell (from
    ``linecache``, where IPython keeps it) and cut the class out of it.
    """
    if not inspect.isclass(obj):
        return None
    for member in vars(obj).values():
        function = getattr(member, "__func__", member)
        code = getattr(function, "__code__", None)
        if code is None:
            continue
        cell = "".join(linecache.getlines(code.co_filename))
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.ClassDef) and node.name == obj.__name__
                    and node.lineno <= code.co_firstlineno <= node.end_lineno):
                first = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
                return "".join(cell.splitlines(keepends=True)[first - 1:node.end_lineno])
    return None


def write_module(path: str | Path, *objects, imports: str = DEFAULT_IMPORTS, extra: str = "") -> Path:
    """Write the source of functions or classes (from a notebook or a module) into one module file.

    The module starts with ``imports`` (math, random, numpy as np, torch, torch.distributed as dist,
    torch.nn as nn, torch.nn.functional as F by default), then each object's source, then ``extra``.
    A worker script next to it imports it by its file name. Raises TypeError for an object whose
    source cannot be found (a lambda defined in a REPL, a built-in).
    """
    parts = [imports]
    for obj in objects:
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError) as error:
            source = _class_source_from_its_methods(obj)
            if source is None:
                raise TypeError(f"cannot find the source of {obj!r}: define it with def or class in a cell") from error
        parts.append(textwrap.dedent(source))
    if extra:
        parts.append(textwrap.dedent(extra))
    path = Path(path)
    path.write_text("\n\n".join(part.strip("\n") + "\n" for part in parts))
    return path


# ---------------------------------------------------------------------------------------------
# Processes: find every descendant of the launcher, and kill them all.

def _children_table() -> dict[int, list[int]]:
    table: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        table.setdefault(ppid, []).append(int(entry))
    return table


def descendants(pid: int) -> set[int]:
    """The ids of every living process started, directly or not, by process ``pid``."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return {child.pid for child in psutil.Process(pid).children(recursive=True)}
        except psutil.Error:
            return set()
    if not Path("/proc").is_dir():
        return set()
    table, found, todo = _children_table(), set(), [pid]
    while todo:
        for child in table.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _start_time(pid: int):
    """When process ``pid`` started (clock ticks since boot), to tell it from a later process with its id."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:  # no such process any more, or not ours to read
        return None


def _signal(kill, target: int) -> None:
    try:
        kill(target, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _kill(processes: list[subprocess.Popen], seen: dict[int, object]) -> None:
    """SIGKILL what the launch started, and nothing else.

    A process started here that has not been waited for (``returncode is None``) still owns its id
    and its process group (it leads a session of its own): kill the group, which holds whatever it
    started. A descendant is killed by id only while that id still belongs to the same process
    (same start time), so that an id the system gave to a newer process is never touched.
    """
    for process in processes:
        if process.returncode is None:
            _signal(os.killpg, process.pid)
            _signal(os.kill, process.pid)
    own = {process.pid for process in processes}
    for pid, started in seen.items():
        if pid not in own and started is not None and _start_time(pid) == started:
            _signal(os.kill, pid)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _loopback_store(nproc: int):
    """The rendezvous store the ranks share, served by this process on 127.0.0.1 only, and its port.

    ``TCPStore`` would listen on every interface if it opened its socket itself; given a socket
    already bound to 127.0.0.1 (``master_listen_fd``, which the store then owns), it listens there.
    """
    from datetime import timedelta

    import torch.distributed as dist

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        store = dist.TCPStore("127.0.0.1", port, nproc, is_master=True, timeout=timedelta(seconds=60),
                              wait_for_workers=False, multi_tenant=True, master_listen_fd=sock.fileno())
    except BaseException:
        sock.close()
        raise
    sock.detach()
    return store, port


def _rank_environment(rank: int, nproc: int, port: int) -> dict[str, str]:
    """The variables torchrun gives each rank, and the one that makes it join our store as a client."""
    return {"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(nproc), "LOCAL_WORLD_SIZE": str(nproc),
            "GROUP_RANK": "0", "ROLE_RANK": str(rank), "ROLE_WORLD_SIZE": str(nproc), "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port), "TORCHELASTIC_USE_AGENT_STORE": "True", "TORCHELASTIC_RESTART_COUNT": "0",
            "TORCHELASTIC_RUN_ID": "course"}


def _track(processes: list[subprocess.Popen], seen: dict[int, object]) -> None:
    for process in processes:
        pids = [process.pid] if process.returncode is None else []
        for pid in pids + sorted(descendants(process.pid) if process.returncode is None else ()):
            if pid not in seen:
                seen[pid] = _start_time(pid)


def run_torchrun(script: str | Path, nproc: int = 2, args: Sequence[str] = (), *, timeout: float = 60.0,
                 threads: int = 1, env: dict[str, str] | None = None, log_dir: str | Path | None = None,
                 check: bool = True, use_torchrun: bool = False, grace: float = 3.0) -> LaunchResult:
    """Run ``script`` in ``nproc`` processes on this machine, as torchrun would, and wait for them.

    Each rank runs ``python script args`` with torchrun's environment (``RANK``, ``LOCAL_RANK``,
    ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR=127.0.0.1``, ``MASTER_PORT``), ``OMP_NUM_THREADS``
    set to ``threads``, and its output in ``<log dir>/rank<r>.stdout`` and ``.stderr``. The rendezvous
    store (a ``TCPStore``) is served by this process on 127.0.0.1 and the ranks join it as
    torchrun's workers join their agent's store, so nothing listens beyond the loopback interface.
    ``use_torchrun=True`` starts the real launcher instead, ``python -m torch.distributed.run
    --nproc-per-node=N --master-addr=127.0.0.1 --master-port=<free port> ...`` (its agent's store
    listens on every interface: torchrun offers no way to bind it to one).

    When a rank fails, the others get ``grace`` seconds to finish before they are killed (as torchrun
    does). Returns a :class:`LaunchResult`. Raises :class:`DistributedTimeout` after ``timeout``
    seconds and, if ``check``, :class:`DistributedRunError` naming the first rank that failed and
    quoting its stderr. Whatever happens (an interrupt included), every process the launch started
    has been killed when this function returns or raises.
    """
    script = Path(script).resolve()
    if not script.is_file():
        raise FileNotFoundError(f"no script {script}")
    if nproc < 1:
        raise ValueError(f"nproc must be at least 1, got {nproc}")
    logs = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="ranks-"))
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("rank*"):
        old.unlink()
    environment = dict(os.environ if env is None else env)
    paths = [str(script.parent), str(PACKAGE_ROOT)]
    if environment.get("PYTHONPATH"):
        paths.append(environment["PYTHONPATH"])
    environment.update({"PYTHONPATH": os.pathsep.join(paths), "OMP_NUM_THREADS": str(threads),
                        "MKL_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1",
                        "GLOO_SOCKET_IFNAME": "lo0" if sys.platform == "darwin" else "lo"})
    launcher_log = logs / "launcher.log"
    start = time.perf_counter()
    processes: list[subprocess.Popen] = []
    seen: dict[int, object] = {}     # every process of the launch: id -> start time
    files = []
    timed_out, first_failure, unfinished = False, None, []
    store = None
    try:
        if use_torchrun:
            command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", f"--nproc-per-node={nproc}",
                       "--master-addr=127.0.0.1", f"--master-port={free_port()}", "--max-restarts=0",
                       "-m", "transformer_course.distributed", "--worker", str(logs), str(script), *map(str, args)]
            files.append(open(launcher_log, "wb"))
            processes.append(subprocess.Popen(command, stdout=files[0], stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                              env=environment, cwd=str(script.parent), start_new_session=True))
        else:
            store, port = _loopback_store(nproc)
            for rank in range(nproc):
                out, err = open(logs / f"rank{rank}.stdout", "wb"), open(logs / f"rank{rank}.stderr", "wb")
                files += [out, err]
                processes.append(subprocess.Popen([sys.executable, str(script), *map(str, args)], stdout=out, stderr=err,
                                                  stdin=subprocess.DEVNULL, cwd=str(script.parent), start_new_session=True,
                                                  env={**environment, **_rank_environment(rank, nproc, port)}))
        failed_at = None
        while True:
            _track(processes, seen)
            codes = [process.poll() for process in processes]
            if all(code is not None for code in codes):
                break
            if first_failure is None:
                first_failure = next((r for r, code in enumerate(codes) if code not in (None, 0)), None)
                if first_failure is not None:
                    failed_at = time.perf_counter()
            if failed_at is not None and time.perf_counter() - failed_at > grace:
                break
            if time.perf_counter() - start > timeout:
                timed_out = True
                unfinished = [r for r, code in enumerate(codes) if code is None]
                break
            time.sleep(0.05)
    finally:   # a timeout, a failure, an error, or an interrupt (the notebook's stop button): leave nothing behind
        _track(processes, seen)
        _kill(processes, seen)
        for process in processes:
            process.wait()
        _kill(processes, seen)          # anything a dying process started in the meantime
        for handle in files:
            handle.close()
        del store
    seconds = time.perf_counter() - start
    outputs = [_read(logs / f"rank{r}.stdout") for r in range(nproc)]
    errors = [_read(logs / f"rank{r}.stderr") for r in range(nproc)]
    if use_torchrun:
        codes = []
        for r in range(nproc):
            text = _read(logs / f"rank{r}.exit").strip()
            codes.append(int(text) if text.lstrip("-").isdigit() else None)
        returncode = processes[0].returncode
    else:
        codes = [process.returncode for process in processes]
        returncode = next((code for code in codes if code != 0), 0)
    result = LaunchResult(returncode, outputs, errors, codes, _read(launcher_log), seconds, sorted(seen))
    if timed_out:
        raise DistributedTimeout(
            f"the launch of {script.name} in {nproc} processes ran past {timeout:g} s and was killed "
            f"(every rank); {'unfinished ranks: ' + str(unfinished) if not use_torchrun else 'the launcher had not finished'}. "
            f"A rank waiting forever in a collective (all_reduce) usually means that the ranks did not all "
            f"make the same calls in the same order." + _quote_all(result), result)
    if check and returncode != 0:
        failed = [r for r, c in enumerate(codes) if c not in (0, None)]
        rank = first_failure if first_failure is not None else (failed[0] if failed else None)
        if rank is None:
            raise DistributedRunError(f"torchrun failed (exit code {returncode}); its output:\n"
                                      + result.launcher_output[-_TAIL:], result)
        raise DistributedRunError(f"rank {rank} of {nproc} failed (exit code {codes[rank]}) running {script.name}; "
                                  f"its stderr:\n{errors[rank][-_TAIL:]}", result, rank)
    return result


def _quote_all(result: LaunchResult) -> str:
    quoted = ""
    for rank, err in enumerate(result.stderr):
        if err.strip():
            quoted += f"\nrank {rank} stderr:\n{err[-_TAIL // 2:]}"
    return quoted


# ---------------------------------------------------------------------------------------------
# Inside each rank: send the output to files, run the script, record the exit code.

def _worker(log_dir: str, script: str, args: list[str]) -> int:
    import runpy
    import traceback

    rank = os.environ.get("RANK", "0")
    logs = Path(log_dir)
    out = open(logs / f"rank{rank}.stdout", "w", buffering=1)
    err = open(logs / f"rank{rank}.stderr", "w", buffering=1)
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    sys.stdout, sys.stderr = out, err
    code = 0
    sys.argv = [script, *args]
    sys.path.insert(0, str(Path(script).resolve().parent))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if stop.code not in (None, 0) and not isinstance(stop.code, int):
            print(stop.code, file=err)
    except BaseException:   # noqa: BLE001 - reported in the rank's stderr, and as its exit code
        traceback.print_exc(file=err)
        code = 1
    (logs / f"rank{rank}.exit").write_text(str(code))
    out.flush()
    err.flush()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return _worker(argv[1], argv[2], argv[3:])
    parser = argparse.ArgumentParser(prog="python -m transformer_course.distributed",
                                     description="Run a script in several processes on this machine, as torchrun does "
                                                 "(127.0.0.1 only), print each rank's output, and leave no process behind.")
    parser.add_argument("--nproc", type=int, default=2, help="processes (ranks) to start (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before every process is killed (default 300)")
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS in each rank (default 1)")
    parser.add_argument("--torchrun", action="store_true", help="start the ranks through python -m torch.distributed.run")
    parser.add_argument("script", help="the Python script every rank runs")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    options = parser.parse_args(argv)
    try:
        result = run_torchrun(options.script, options.nproc, options.args, timeout=options.timeout,
                              threads=options.threads, check=False,
                              use_torchrun=options.torchrun)
    except DistributedTimeout as error:
        error.result.show()
        print(str(error).splitlines()[0], file=sys.stderr)
        return 124
    result.show()
    print(f"{options.nproc} processes, exit code {result.returncode}, {result.seconds:.1f} s", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
