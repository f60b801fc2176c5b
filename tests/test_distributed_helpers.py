"""transformer_course.distributed: launching ranks, failures, timeouts, free ports, shipping source."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from transformer_course.distributed import (DistributedRunError, DistributedTimeout, alive, descendants, free_port,
                                            run_torchrun, write_module)

REPO = Path(__file__).resolve().parent.parent

ALL_REDUCE = """
import os
import sys
import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
value = torch.tensor([float(rank + 1)])
dist.all_reduce(value)
print(f"rank={rank} world={world} local={os.environ['LOCAL_RANK']} master={os.environ['MASTER_ADDR']} "
      f"sum={value.item():g} threads={os.environ['OMP_NUM_THREADS']} args={sys.argv[1:]}")
dist.destroy_process_group()
"""


def _assert_gone(pids):
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    assert not [pid for pid in pids if alive(pid)], "processes of the launch are still alive"


def test_free_port_is_free_on_loopback():
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))     # nothing holds it
    assert len({free_port() for _ in range(5)}) >= 2


def test_launch_two_ranks_all_reduce(tmp_path):
    script = tmp_path / "sum.py"
    script.write_text(ALL_REDUCE)
    result = run_torchrun(script, nproc=2, args=["--steps", "3"], timeout=120, log_dir=tmp_path / "logs")
    assert result.returncode == 0 and result.exit_codes == [0, 0]
    for rank in range(2):
        assert f"rank={rank} world=2 local={rank} master=127.0.0.1 sum=3 threads=1 args=['--steps', '3']" in result.stdout[rank]
    assert (tmp_path / "logs" / "rank1.stdout").read_text() == result.stdout[1]
    _assert_gone(result.pids)


def test_launch_listens_on_loopback_only(tmp_path):
    psutil = pytest.importorskip("psutil")
    script = tmp_path / "wait.py"
    script.write_text(ALL_REDUCE.replace("dist.destroy_process_group()", "import time; time.sleep(3); dist.destroy_process_group()"))
    launcher = subprocess.Popen([sys.executable, "-m", "transformer_course.distributed", "--nproc", "2", str(script)],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    listening = set()
    while launcher.poll() is None:
        ours = {launcher.pid} | descendants(launcher.pid)
        try:
            connections = psutil.net_connections(kind="tcp")
        except psutil.Error:
            pytest.skip("cannot list sockets here")
        listening |= {(c.pid, c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN and c.pid in ours}
        time.sleep(0.1)
    assert launcher.returncode == 0, launcher.stdout.read()
    assert {pid for pid, _, _ in listening} >= {launcher.pid}, "the launcher serves the rendezvous store"
    assert len({pid for pid, _, _ in listening}) >= 3, "the launcher and both ranks (gloo) listen"
    wide = {entry for entry in listening if entry[1] not in ("127.0.0.1", "::ffff:127.0.0.1")}
    assert not wide, f"sockets listening beyond 127.0.0.1 (pid, address, port): {wide}"


def test_failing_rank_is_named_with_its_stderr(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("""
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
if dist.get_rank() == 1:
    raise ValueError("boom on the second rank")
dist.all_reduce(torch.ones(1))      # rank 0 waits here for a partner that never comes
""")
    start = time.perf_counter()
    with pytest.raises(DistributedRunError) as caught:
        run_torchrun(script, nproc=2, timeout=120, grace=1.0)
    assert time.perf_counter() - start < 60
    error = caught.value
    assert error.rank == 1
    assert "rank 1 of 2 failed" in str(error)
    assert "ValueError: boom on the second rank" in str(error)
    _assert_gone(error.result.pids)


def test_timeout_kills_every_process(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text("""
import os
import subprocess
import time
child = subprocess.Popen(["sleep", "300"])          # a grandchild of the launcher
print(f"pid {os.getpid()} child {child.pid}", flush=True)
time.sleep(300)
""")
    start = time.perf_counter()
    with pytest.raises(DistributedTimeout) as caught:
        run_torchrun(script, nproc=2, timeout=3)
    assert time.perf_counter() - start < 30
    result = caught.value.result
    started = set()
    for out in result.stdout:
        words = out.split()
        assert words[:1] == ["pid"], f"each rank should have printed its pid: {result.stdout}"
        started |= {int(words[1]), int(words[3])}
    assert len(started) == 4 and started <= set(result.pids)
    _assert_gone(started)
    assert "ran past 3 s" in str(caught.value) and "unfinished ranks: [0, 1]" in str(caught.value)


def test_no_process_left_after_a_clean_run(tmp_path):
    script = tmp_path / "quick.py"
    script.write_text("print('done')\n")
    result = run_torchrun(script, nproc=2, timeout=60)
    assert result.stdout == ["done\n", "done\n"]
    _assert_gone(result.pids)


def _sample(x: int) -> int:
    """A function whose source is copied."""
    return x * 3 + 1


def test_write_module_copies_source_that_a_rank_imports(tmp_path):
    write_module(tmp_path / "shipped.py", _sample, extra="VALUE = _sample(2)")
    script = tmp_path / "use.py"
    script.write_text("from shipped import _sample, VALUE\nprint(_sample(4), VALUE)\n")
    result = run_torchrun(script, nproc=2, timeout=60)
    assert result.stdout == ["13 7\n", "13 7\n"]
    with pytest.raises(TypeError, match="source"):
        write_module(tmp_path / "bad.py", len)


def test_write_module_copies_a_class_defined_in_a_notebook_cell(tmp_path):
    """IPython keeps each cell's text in linecache under a made-up file name; inspect.getsource
    cannot find a class there, so write_module cuts it out of the cell of one of its methods."""
    import linecache
    import sys

    cell = "import math\n\n@dataclass_like\nclass Doubler:\n    def twice(self, x):\n        return 2 * x\n\nafter = 1\n"
    name = "<ipython-input-7-0123456789ab>"
    linecache.cache[name] = (len(cell), None, cell.splitlines(keepends=True), name)
    namespace = {"__name__": "not_a_module_on_disk", "dataclass_like": lambda cls: cls}
    try:
        exec(compile(cell, name, "exec"), namespace)
        assert "not_a_module_on_disk" not in sys.modules
        path = write_module(tmp_path / "shipped_class.py", namespace["Doubler"], imports="dataclass_like = lambda cls: cls\n")
    finally:
        del linecache.cache[name]
    text = path.read_text()
    assert "@dataclass_like\nclass Doubler:" in text and "after = 1" not in text and "import math" not in text
    shipped = {}
    exec(text, shipped)
    assert shipped["Doubler"]().twice(21) == 42


def test_real_torchrun_launcher(tmp_path):
    script = tmp_path / "sum.py"
    script.write_text(ALL_REDUCE)
    result = run_torchrun(script, nproc=2, timeout=120, use_torchrun=True)
    assert result.exit_codes == [0, 0]
    assert "sum=3" in result.stdout[0] and "sum=3" in result.stdout[1]
    _assert_gone(result.pids)


def test_command_line_prints_each_rank(tmp_path):
    script = tmp_path / "hi.py"
    script.write_text("import os\nprint('hello from', os.environ['RANK'])\n")
    done = subprocess.run([sys.executable, "-m", "transformer_course.distributed", "--nproc", "2", str(script)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "[rank 0] hello from 0" in done.stdout and "[rank 1] hello from 1" in done.stdout
    failing = tmp_path / "exit3.py"
    failing.write_text("import sys\nsys.exit(3)\n")
    done = subprocess.run([sys.executable, "-m", "transformer_course.distributed", "--nproc", "2", str(failing)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
