"""Grading across machines, with faults injected: this machine stands in for a cluster.

Three shard processes grade copies of one class folder, as three pods or nodes would. Shard 1
loses its whole process group to SIGKILL in the middle of a submission (a pod evicted), shard
2 loses only the grader process (the OOM killer), shard 3 finishes but one of its result files
is corrupted afterwards. Each is started again; after ``merge`` every submission has exactly
one grade row, equal to that of a single-process run of the same class. A full disk while a
result is written leaves no partial result anywhere.
"""
from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from autograder import engine
from autograder.__main__ import main
from autograder.notebooks import learner_path, read, reference_submission
from conftest import CHAPTERS, REPO_ROOT, WRONG_ANSWERS

CHAPTER = "00_welcome"
pytestmark = pytest.mark.skipif(CHAPTER not in CHAPTERS, reason=f"{CHAPTER} is not in this course")
SHARDS = 3
# Chosen so that shard 1 = {abe, fay}, shard 2 = {ari, cyd}, shard 3 = {ada, bob, gus} (checked
# below): each shard that is killed first finishes a broken file (no kernel, quick), then is
# killed while it grades its second submission.
WRONG = {"cyd": "stable_softmax__no_max_shift", "fay": "stable_softmax__global_max"}
BROKEN = ["abe", "ari", "gus"]
OPTIONS = ["--sandbox=none", "--workers", "1", "--no-feedback", "--timeout", "60"]
COLUMNS = ["student", "total", "max", "status", "reason"]


def _submissions(folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    notebooks = {"ada": reference_submission(CHAPTER), "bob": read(learner_path(CHAPTER))}
    for student, name in WRONG.items():
        answer = name.split("__")[0]
        notebooks[student] = reference_submission(
            CHAPTER, replace={answer: (WRONG_ANSWERS / CHAPTER / f"{name}.py").read_text()})
    for student, notebook in notebooks.items():
        nbformat.write(notebook, str(folder / f"{student}.ipynb"))
    for student in BROKEN:
        (folder / f"{student}.ipynb").write_text('{"cells": [')  # a broken file still gets a row
    return sorted([*notebooks, *BROKEN])


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The class imported once (copied to every 'machine'), and graded by one process."""
    root = tmp_path_factory.mktemp("cluster")
    students = _submissions(root / "incoming")
    pristine = engine.ClassFolder(root / "pristine")
    engine.import_submissions(CHAPTER, root / "incoming", pristine, echo=None)
    reference = engine.ClassFolder(shutil.copytree(pristine.root, root / "single"))
    settings = engine.Settings(timeout=60, workers=2, feedback=False, use_sandbox=False)
    engine.autograde(CHAPTER, reference, settings, echo=None)
    table = engine.grade_table(CHAPTER, reference)
    return root, pristine, students, table


def _command(work: Path, shard: int) -> list[str]:
    return [sys.executable, "-m", "autograder", "--work-dir", str(work), "autograde", CHAPTER,
            "--shard", f"{shard}/{SHARDS}", *OPTIONS]


def _start(work: Path, shard: int) -> subprocess.Popen:
    env = {**os.environ, "COURSE_PROFILE": "smoke", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(_command(work, shard), cwd=REPO_ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _run(work: Path, shard: int) -> str:
    process = _start(work, shard)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output[-3000:]
    return output


def _results(work: Path) -> list[Path]:
    return sorted((work / "results" / CHAPTER).glob("*.json"))


def _kill_in_second_submission(process: subprocess.Popen, work: Path, whole_group: bool) -> None:
    """SIGKILL once one result is written and the next submission is being graded."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert process.poll() is None, "the shard finished before it could be killed: " + process.stdout.read()
        if len(_results(work)) == 1 and list((work / "tmp").glob(f"{CHAPTER}-*.db")):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the shard never started its second submission")
    if whole_group:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    else:
        left_behind = _descendants(process.pid)
        assert left_behind, "the grader had started a worker"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(map(_alive, left_behind)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(_alive, left_behind)), "workers and kernels die with the grader"
    process.stdout.close()


def _parents() -> dict[int, int]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            found[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return found


def _descendants(pid: int) -> set[int]:
    parents, found, frontier = _parents(), set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_killed_and_corrupted_shards_merge_into_the_single_process_grades(single):
    root, pristine, students, expected = single
    shards = {i: engine.shard_of(students, (i, SHARDS)) for i in range(1, SHARDS + 1)}
    assert shards == {1: ["abe", "fay"], 2: ["ari", "cyd"], 3: ["ada", "bob", "gus"]}, \
        "the shard of a student is a stable hash of the id"
    machines = {i: shutil.copytree(pristine.root, root / f"machine{i}") for i in shards}
    running = {i: _start(machines[i], i) for i in shards}

    _kill_in_second_submission(running[1], machines[1], whole_group=True)    # the pod is lost
    _kill_in_second_submission(running[2], machines[2], whole_group=False)   # only the grader dies
    output, _ = running[3].communicate(timeout=300)
    assert running[3].returncode == 0, output[-3000:]
    for i in (1, 2):
        kept = _results(machines[i])
        assert len(kept) == 1 and engine.read_result(kept[0]) is not None, "a killed shard keeps whole results only"

    # Started again, each killed shard grades only what it had not finished.
    for i in (1, 2):
        assert "autograde: 1 to grade" in _run(machines[i], i)
    corrupted = machines[3] / "results" / CHAPTER / "ada.json"
    corrupted.write_text(corrupted.read_text()[:40])

    merged = engine.ClassFolder(root / "merged")
    with pytest.raises(engine.MergeRefused, match=r"ada\.json: unreadable or incomplete result file"):
        engine.merge(CHAPTER, merged, [machines[i] for i in shards], echo=None)
    assert not _results(merged.root), "a refused merge copies nothing"
    rerun = _run(machines[3], 3)
    assert "ada: results/00_welcome/ada.json is unreadable; grading again" in rerun
    assert "autograde: 1 to grade" in rerun

    assert engine.merge(CHAPTER, merged, [machines[i] for i in shards], echo=None) == len(students)
    table = engine.grade_table(CHAPTER, merged)
    assert list(table["student"]) == students and table["student"].is_unique
    assert table.to_dict("records") == expected.to_dict("records"), "the same grades as one process"
    assert table["total"].sum() > 0 and (table["status"] == "graded").sum() == len(students) - len(BROKEN)
    for student in students:
        assert engine.read_result(merged.result(student, CHAPTER))["sandbox"] == "none"
    # The merged class exports like any other: the CSV says how it was graded, the LMS file has every row.
    roster = root / "roster.csv"
    roster.write_text("student,ID\n" + "".join(f"{s},{1000 + n}\n" for n, s in enumerate(students)))
    assert main(["--work-dir", str(merged.root), "export", CHAPTER, "--format", "canvas", "--roster", str(roster)]) == 0
    exported = pd.read_csv(merged.root / "grades" / f"{CHAPTER}.csv")
    assert set(exported["sandbox"]) == {"none"} and list(exported["final"]) == list(expected["total"])
    with (merged.root / "grades" / f"{CHAPTER}_canvas.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))[2:]
    assert {row[1]: float(row[5]) for row in rows} == \
        {str(1000 + n): total for n, total in enumerate(expected["total"])}

    # Results from another release of the chapter, another grader, or other settings are refused.
    for field, value, message in [("release", "0" * 16, "another release of 00_welcome"),
                                  ("grader_version", "0" * 16, "another version of the grader"),
                                  ("grader", "0" * 16, "graded with different settings")]:
        stale = engine.ClassFolder(shutil.copytree(machines[1], root / f"stale-{field}"))
        path = stale.result("fay", CHAPTER)
        path.write_text(json.dumps({**json.loads(path.read_text()), field: value}))
        with pytest.raises(engine.MergeRefused, match=message):
            engine.merge(CHAPTER, merged, [stale.root, machines[2], machines[3]], echo=None)


def test_a_full_disk_leaves_no_partial_result(tmp_path, monkeypatch):
    root = tmp_path
    target = root / "disk" / "results" / "ada.json"
    engine.write_atomic(target, json.dumps({"old": True}))
    real_write = os.write
    calls = []

    def half_then_full(handle, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(handle, bytes(data[: len(data) // 2]))  # part of it lands on disk ...
        raise OSError(errno.ENOSPC, "No space left on device")       # ... then the disk is full

    monkeypatch.setattr(engine.os, "write", half_then_full)
    with pytest.raises(OSError) as raised:
        engine.write_atomic(target, json.dumps({"student": "ada", "scores": {"x": 1.0}, "padding": "." * 5000}))
    monkeypatch.undo()
    assert raised.value.errno == errno.ENOSPC and len(calls) == 2
    assert json.loads(target.read_text()) == {"old": True}, "the previous result is untouched"
    assert sorted(p.name for p in target.parent.iterdir()) == ["ada.json"], "no temporary file is left"

    # Where no result existed, none appears, and a partial file is never taken for a result.
    monkeypatch.setattr(engine.os, "write", lambda handle, data: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    fresh = root / "disk" / "results" / "bob.json"
    with pytest.raises(OSError):
        engine.write_atomic(fresh, "{}")
    monkeypatch.undo()
    assert not fresh.exists()
    fresh.write_text('{"student": "bob", "status": "graded", "sco')
    assert engine.read_result(fresh) is None


def test_the_sandbox_is_never_dropped_silently(tmp_path, monkeypatch, capsys):
    from autograder import sandbox

    monkeypatch.setattr(sandbox, "check", lambda: sandbox.SandboxStatus(False, "bwrap: no user namespaces"))
    for command in (["autograde", CHAPTER], ["grade", CHAPTER, str(tmp_path)]):
        with pytest.raises(SystemExit, match=r"(?s)refusing to grade.*no user namespaces.*--sandbox=none"):
            main(["--work-dir", str(tmp_path / "class"), *command])
    assert not (tmp_path / "class" / "results").exists(), "nothing was graded"
    assert main(["--work-dir", str(tmp_path / "merged"), "merge", CHAPTER, str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err
