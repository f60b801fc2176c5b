"""The instructor's grading commands: import (folders, LMS zips), idempotent and resumable
autograding, shards and merge, export, status, and the Gradescope package."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from autograder import engine, sandbox
from autograder.notebooks import learner_path, read, reference_submission
from conftest import CHAPTERS

CHAPTER = "00_welcome"
pytestmark = pytest.mark.skipif(CHAPTER not in CHAPTERS, reason=f"{CHAPTER} is not in this course")


def _write(path, notebook):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


@pytest.fixture(scope="module")
def settings():
    return engine.Settings(timeout=60, workers=2, feedback=True, use_sandbox=sandbox.check().available)


def test_import_from_an_lms_zip_places_every_student_and_reports_the_rest(tmp_path):
    reference, stub = reference_submission(CHAPTER), read(learner_path(CHAPTER))
    staging = tmp_path / "staging" / "Assignment 00"
    _write(staging / "smithj_12345_67890_00_welcome.ipynb", reference)                    # Canvas
    _write(staging / "Jane Doe_424242_assignsubmission_file_" / "00_welcome.ipynb", stub)  # Moodle
    _write(staging / "lee" / "first try.ipynb", stub)
    _write(staging / "lee" / "final.ipynb", reference)
    (staging / "README.txt").write_text("instructions")
    os.utime(staging / "lee" / "first try.ipynb", (1_600_000_000, 1_600_000_000))
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in staging.rglob("*"):
            if path.is_file():
                bundle.write(path, path.relative_to(staging.parent))
    folder = engine.ClassFolder(tmp_path / "class")
    report = engine.import_submissions(CHAPTER, archive, folder, echo=None)
    assert sorted(report.placed) == ["Jane_Doe_424242", "lee", "smithj"]
    assert report.unplaced == ["README.txt: not a .ipynb file"]
    kept = folder.submitted("lee", CHAPTER).read_text()
    assert nbformat.reads(kept, as_version=4) == nbformat.reads(nbformat.writes(reference), as_version=4), \
        "the newest of lee's notebooks is graded"
    assert list((folder.root / "archive" / "lee").rglob("*.ipynb")), "the older one is kept in the archive"

    # A newer submission replaces the old one, which is archived and logged; an identical one changes nothing.
    again = tmp_path / "again"
    _write(again / "smithj.ipynb", stub)
    _write(again / "lee.ipynb", reference)
    report = engine.import_submissions(CHAPTER, again, folder, echo=None)
    assert report.replaced == ["smithj"] and report.unchanged == ["lee"]
    assert len(list((folder.root / "archive" / "smithj").rglob("*.ipynb"))) == 1
    assert "smithj: kept archive" in (folder.root / "log" / f"{CHAPTER}.log").read_text()


def test_autograde_is_idempotent_resumes_and_regrades_only_what_changed(tmp_path, settings):
    incoming = tmp_path / "in"
    _write(incoming / "ada.ipynb", reference_submission(CHAPTER))
    _write(incoming / "bob.ipynb", read(learner_path(CHAPTER)))
    folder = engine.ClassFolder(tmp_path / "class")
    engine.import_submissions(CHAPTER, incoming, folder, echo=None)
    first = engine.autograde(CHAPTER, folder, settings, echo=None)
    assert sorted(r["student"] for r in first) == ["ada", "bob"]
    assert folder.feedback("ada", CHAPTER).is_file()
    assert engine.autograde(CHAPTER, folder, settings, echo=None) == [], "nothing changed: nothing is graded"

    # An interrupted run left no result for bob: only bob is graded on the next run.
    folder.result("bob", CHAPTER).unlink()
    assert [r["student"] for r in engine.autograde(CHAPTER, folder, settings, echo=None)] == ["bob"]

    _write(incoming / "bob.ipynb", reference_submission(CHAPTER))
    engine.import_submissions(CHAPTER, incoming, folder, echo=None)
    assert [r["student"] for r in engine.autograde(CHAPTER, folder, settings, echo=None)] == ["bob"]
    table = engine.grade_table(CHAPTER, folder).set_index("student")
    assert (table["total"] == table["max"]).all()

    csv_path, histogram = engine.export(CHAPTER, folder)
    exported = pd.read_csv(csv_path)
    assert list(exported.columns[:1]) == ["student"] and "total" in exported.columns
    assert list(exported.columns) == ["student", *table.columns, "sandbox", "submitted_at", "hours_late", "penalty",
                                      "final"], "a column per graded cell, total, max, status, reason, then the late policy"
    assert (exported["final"] == exported["total"]).all() and set(exported["sandbox"]) == \
        {"bubblewrap" if settings.use_sandbox else "none"}
    assert histogram.stat().st_size > 1000
    assert set(engine.status(CHAPTER, folder)["result matches submission"]) == {"yes"}


def _images(path: Path) -> int:
    notebook = read(path)
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs)


def test_figures_are_drawn_only_when_asked_and_never_change_the_score(tmp_path, settings):
    _write(tmp_path / "in" / "ada.ipynb", reference_submission(CHAPTER))
    folder = engine.ClassFolder(tmp_path / "class")
    engine.import_submissions(CHAPTER, tmp_path / "in", folder, echo=None)
    plain = engine.autograde(CHAPTER, folder, settings, echo=None)
    assert _images(folder.autograded("ada", CHAPTER)) == 0
    assert "&lt;Figure size" in folder.feedback("ada", CHAPTER).read_text(), "the feedback says where a figure was"

    drawing = engine.Settings(**{**settings.__dict__, "figures": True})
    redone = engine.autograde(CHAPTER, folder, drawing, echo=None)
    assert [r["student"] for r in redone] == ["ada"], "a different setting makes the result stale"
    assert _images(folder.autograded("ada", CHAPTER)) > 0
    assert redone[0]["scores"] == plain[0]["scores"] and sum(plain[0]["scores"].values()) > 0


def test_shards_graded_apart_merge_into_one_class(tmp_path, settings):
    incoming = tmp_path / "in"
    students = ["ann", "ben", "cat"]
    for name, notebook in zip(students, [reference_submission(CHAPTER), read(learner_path(CHAPTER)),
                                         reference_submission(CHAPTER)]):
        _write(incoming / f"{name}.ipynb", notebook)
    shards = []
    for index in (1, 2):
        shard = engine.ClassFolder(tmp_path / f"machine{index}")
        engine.import_submissions(CHAPTER, incoming, shard, echo=None)
        graded = engine.autograde(CHAPTER, shard, settings, shard=(index, 2), echo=None)
        assert sorted(r["student"] for r in graded) == engine.shard_of(students, (index, 2))
        shards.append(shard.root)
    merged = engine.ClassFolder(tmp_path / "merged")
    assert engine.merge(CHAPTER, merged, shards, echo=None) == 3
    table = engine.grade_table(CHAPTER, merged).set_index("student")
    assert list(table.index) == students
    assert table.loc["ann", "total"] == table.loc["ann", "max"] and table.loc["ben", "total"] == 0
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{merged.db}") as gradebook:
        assert gradebook.find_submission(CHAPTER, "cat").score == table.loc["cat", "max"]


def test_missing_sandbox_is_said_loudly(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    state = sandbox.check()
    assert not state.available
    warning = state.warning()
    assert "WITHOUT a sandbox" in warning and "no network isolation" in warning and "solutions/" in warning


def test_a_failed_autograde_reports_its_cause_not_nbgraders_closing_line():
    """nbgrader ends every failure with "Please see the above traceback": the CSV's reason is the
    exception in that traceback instead (here, a sandbox that could not start its kernel)."""
    log = "\n".join([
        "[AutogradeApp | ERROR] There was an error processing assignment: /work/submitted/bob/03_attention",
        "[AutogradeApp | ERROR] Traceback (most recent call last):",
        '  File "nbgrader/converters/base.py", line 420, in convert_notebooks',
        "RuntimeError: bwrap: setting up uid map: Permission denied",
        "[AutogradeApp | ERROR] There was an error processing assignment '03_attention' for student 'bob'",
        "[AutogradeApp | ERROR] Please see the the above traceback for details on the specific errors on the above failures.",
    ])
    assert engine._short_reason({"error": "", "log": log}) == "RuntimeError: bwrap: setting up uid map: Permission denied"
    assert engine._short_reason({"error": "", "log": "odd\n[AutogradeApp | ERROR] Please see the above traceback"}) == "odd"
    assert engine._short_reason({"error": None, "log": None}) == "autograde failed"


def test_gradescope_package_gives_the_same_score_as_the_cli(tmp_path, settings):
    from autograder.gradescope import build

    archive = build(CHAPTER, tmp_path / "dist")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        assert {"setup.sh", "run_autograder", f"source/solutions/{CHAPTER}/{CHAPTER}.ipynb"} <= set(names)
        assert not any("/work/" in name or name.endswith(".db") for name in names)
        bundle.extractall(root)
    (root / "run_autograder").chmod(0o755)
    submission = _write(root / "submission" / f"{CHAPTER}.ipynb",
                        reference_submission(CHAPTER, replace={"log_sum_exp": "def log_sum_exp(x, dim=-1, keepdim=False):\n    return x\n"}))
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "GRADESCOPE_PYTHON": sys.executable, "COURSE_PROFILE": "smoke"}
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["tests"] and all(t["visibility"] == "after_published" for t in results["tests"])
    assert any(t["score"] < t["max_score"] and t.get("output") for t in results["tests"])

    folder = engine.ClassFolder(tmp_path / "class")
    incoming = tmp_path / "in"
    incoming.mkdir()
    shutil.copyfile(submission, incoming / "student.ipynb")
    engine.import_submissions(CHAPTER, incoming, folder, echo=None)
    engine.autograde(CHAPTER, folder, settings, echo=None)
    cli_total = engine.grade_table(CHAPTER, folder).iloc[0]["total"]
    assert results["score"] == cli_total > 0


def test_learners_can_validate_in_jupyterlab_and_on_the_command_line(tmp_path):
    listed = subprocess.run([str(Path(sys.executable).parent / "jupyter"), "server", "extension", "list"],
                            capture_output=True, text=True)
    assert "nbgrader.server_extensions.validate_assignment" in listed.stdout + listed.stderr
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    stub = subprocess.run([nbgrader, "validate", str(learner_path(CHAPTER))], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    assert "VALIDATION FAILED" in stub.stdout + stub.stderr
    done = _write(tmp_path / f"{CHAPTER}.ipynb", reference_submission(CHAPTER))
    good = subprocess.run([nbgrader, "validate", str(done)], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert "Success! Your notebook passes all the tests." in good.stdout + good.stderr
