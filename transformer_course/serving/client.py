"""Starting the service as a real process, and measuring it under load.

``running_service()`` starts ``python -m transformer_course.serving`` on 127.0.0.1 and a free port,
waits until ``/health`` answers, and stops it (and anything it started) when the ``with`` block
ends, however it ends::

    with running_service(batcher="my_batcher.py:MicroBatcher") as service:
        report = run_load(service.url, "/v1/classify", [{"texts": ["a fine day"]}],
                          api_key=service.api_key, concurrency=8, n_requests=200)
        print(report.summary())

``run_load`` sends requests from ``concurrency`` concurrent clients (async ``httpx``) until
``n_requests`` have been sent or ``max_seconds`` have passed, and reports every latency, every
failure, the throughput and the percentiles. It only talks to this machine (127.0.0.1/localhost).
"""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..distributed import _kill, _track, free_port

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


# --- A service in a subprocess ------------------------------------------------------------------

@dataclass
class RunningService:
    """A started service: where it listens, its key, its process id and its log file."""

    url: str
    api_key: str
    pid: int
    log_path: Path
    final_log: str | None = None  # the whole log, kept when the service stops and its folder is removed

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def log_text(self) -> str:
        """Everything the server process has printed so far (stdout and stderr); after the
        ``with`` block, everything it printed."""
        if self.final_log is not None:
            return self.final_log
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def service_command(port: int, *, batcher: str | None, max_batch_size: int, max_wait_s: float,
                    **settings) -> list[str]:
    """The command line that starts the service; extra settings become ``--name-with-dashes value``."""
    command = [sys.executable, "-m", "transformer_course.serving", "--host", "127.0.0.1", "--port", str(port),
               "--max-batch-size", str(max_batch_size), "--max-wait-ms", str(max_wait_s * 1e3), "--stop-with-parent"]
    if batcher is not None:
        command += ["--batcher", str(batcher)]
    for name, value in settings.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    return command


def wait_until_healthy(url: str, process: subprocess.Popen, timeout_s: float, log_path: Path) -> None:
    """Poll ``/health`` until it answers 200; a clear error if the process dies or time runs out."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"the service exited with code {process.returncode} before it was ready:\n{tail}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the service did not answer {url}/health within {timeout_s} s")


def stop_process_tree(process: subprocess.Popen, grace_s: float = 5.0) -> None:
    """SIGTERM (uvicorn then finishes its requests and shuts down), SIGKILL after ``grace_s``;
    then every process it started that is still alive. The processes are noted before the first
    signal, so a child that outlives its parent is still found, and killed only while its id still
    belongs to it (``transformer_course.distributed``'s launcher stops its ranks the same way)."""
    family: dict[int, object] = {}
    _track([process], family)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
    _track([process], family)
    _kill([process], family)
    process.wait()


@contextmanager
def running_service(*, batcher: str | None = None, max_batch_size: int = 8, max_wait_s: float = 0.005,
                    api_key: str | None = None, startup_timeout: float = 60, **settings):
    """Start the service in a subprocess on 127.0.0.1 and yield a ``RunningService``.

    ``api_key`` defaults to a fresh random key; it reaches the process through the environment
    variable ``COURSE_API_KEY``, never its command line (which other users of the machine can
    read). Other keyword arguments are ``ServiceSettings`` fields (``max_prompt_chars=64``, say).
    The process and all its children are gone when the block ends, even when it raises (and so is
    the temporary folder of its log: ``log_text()`` still answers); if this
    Python process itself is killed (a notebook kernel, say), the server notices within a second
    that its parent is gone and shuts down (``--stop-with-parent``).
    """
    api_key = api_key or secrets.token_urlsafe(24)
    port = free_port("127.0.0.1")
    log_dir = Path(tempfile.mkdtemp(prefix="course-service-"))
    log_path = log_dir / "service.log"
    environment = {**os.environ, "COURSE_API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
    command = service_command(port, batcher=batcher, max_batch_size=max_batch_size, max_wait_s=max_wait_s, **settings)
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    service = RunningService(url=f"http://127.0.0.1:{port}", api_key=api_key, pid=process.pid, log_path=log_path)
    try:
        wait_until_healthy(service.url, process, startup_timeout, log_path)
        yield service
    finally:
        stop_process_tree(process)
        service.final_log = log_path.read_text(encoding="utf-8", errors="replace")
        shutil.rmtree(log_dir, ignore_errors=True)


# --- Load ---------------------------------------------------------------------------------------

@dataclass
class LoadReport:
    """What a load run measured. Latencies are in seconds, of successful requests only."""

    latencies_s: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)   # "503", "ReadTimeout", ... -> count
    wall_s: float = 0.0
    sent: int = 0
    concurrency: int = 0

    @property
    def succeeded(self) -> int:
        return len(self.latencies_s)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def throughput(self) -> float:
        """Successful requests per second of wall time."""
        return self.succeeded / self.wall_s if self.wall_s > 0 else 0.0

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the latencies, by linear interpolation (NaN if none)."""
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        rank = (len(ordered) - 1) * q / 100
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def summary(self) -> dict:
        return {"sent": self.sent, "succeeded": self.succeeded, "failed": self.failed,
                "failures": dict(self.failures), "concurrency": self.concurrency,
                "wall_s": round(self.wall_s, 3), "throughput_rps": round(self.throughput, 2),
                "p50_ms": round(self.p50 * 1e3, 2), "p95_ms": round(self.p95 * 1e3, 2),
                "p99_ms": round(self.p99 * 1e3, 2)}


def check_local(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        raise ValueError(f"run_load only sends load to this machine (127.0.0.1 or localhost), not {host!r}")


async def run_load_async(url: str, path: str, payloads: list[dict], *, api_key: str, concurrency: int,
                         n_requests: int, max_seconds: float = 30, timeout_s: float = 10) -> LoadReport:
    """``run_load`` for code that already runs in an event loop."""
    import httpx

    check_local(url)
    if not payloads:
        raise ValueError("payloads must hold at least one request body")
    if concurrency < 1 or n_requests < 1 or max_seconds <= 0:
        raise ValueError("concurrency, n_requests and max_seconds must be positive")
    report = LoadReport(concurrency=concurrency)
    next_request = iter(range(n_requests))
    started = time.perf_counter()
    deadline = started + max_seconds

    async def one_client(client: httpx.AsyncClient) -> None:
        for i in next_request:  # every client draws the next request number from the shared iterator
            if time.perf_counter() >= deadline:
                return
            report.sent += 1
            sent_at = time.perf_counter()
            try:
                response = await client.post(path, json=payloads[i % len(payloads)])
                await response.aread()
            except httpx.HTTPError as error:
                report.failures[type(error).__name__] += 1
                continue
            if response.status_code == 200:
                report.latencies_s.append(time.perf_counter() - sent_at)
            else:
                report.failures[str(response.status_code)] += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": api_key}, timeout=timeout_s,
                                 limits=limits) as client:
        await asyncio.gather(*(one_client(client) for _ in range(concurrency)))
    report.wall_s = time.perf_counter() - started
    return report


def run_load(url: str, path: str, payloads: list[dict], *, api_key: str, concurrency: int, n_requests: int,
             max_seconds: float = 30, timeout_s: float = 10) -> LoadReport:
    """Send ``n_requests`` POSTs of ``payloads`` (cycled) to ``url + path`` from ``concurrency``
    concurrent clients, for at most ``max_seconds`` (a request still running then is finished,
    none is started); each request may take ``timeout_s``. Works in a notebook too: when an
    event loop is already running, the load runs in a thread with a loop of its own."""
    work = run_load_async(url, path, payloads, api_key=api_key, concurrency=concurrency, n_requests=n_requests,
                          max_seconds=max_seconds, timeout_s=timeout_s)
    try:
        asyncio.get_running_loop()
    except RuntimeError as no_running_loop:  # a script: run the load in this thread
        del no_running_loop
        return asyncio.run(work)
    result: dict = {}

    def in_thread():
        try:
            result["report"] = asyncio.run(work)
        except BaseException as error:  # handed back to the caller below
            result["error"] = error

    thread = threading.Thread(target=in_thread, name="run_load")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["report"]
