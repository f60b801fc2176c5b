"""Grade a folder of submitted notebooks for one chapter with nbgrader.

Autograde (hidden tests restored from the instructor's source), feedback HTML,
and a grades CSV with one column per graded cell. Every submission gets a row,
whatever it contains; one that cannot be graded gets zero and a reason.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .course import REPO_ROOT, WORK_DIR, base_config, check_chapter, nbgrader_api

STUDENT_ID = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Submission:
    student_id: str
    path: Path


@dataclass
class GradingResult:
    chapter_id: str
    grades: pd.DataFrame
    csv_path: Path
    feedback_dir: Path
    unplaced: list[str] = field(default_factory=list)
    seconds: float = 0.0


def find_submissions(folder: Path, chapter_id: str) -> tuple[list[Submission], list[str]]:
    """``folder/<student>.ipynb`` or ``folder/<student>/<any>.ipynb``; other files are reported."""
    submissions: dict[str, Submission] = {}
    unplaced = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or ".ipynb_checkpoints" in path.parts:
            continue
        relative = path.relative_to(folder)
        if path.suffix != ".ipynb":
            unplaced.append(f"{relative}: not a .ipynb file")
            continue
        if len(relative.parts) == 1:
            raw_id = path.stem
        elif len(relative.parts) == 2:
            raw_id = relative.parts[0]
        else:
            unplaced.append(f"{relative}: too deep; use <student>.ipynb or <student>/<notebook>.ipynb")
            continue
        student_id = STUDENT_ID.sub("_", raw_id).strip("._") or "unnamed"
        if student_id in submissions:
            unplaced.append(f"{relative}: a second notebook for student {student_id!r} "
                            f"(kept {submissions[student_id].path.relative_to(folder)})")
            continue
        submissions[student_id] = Submission(student_id, path)
    return list(submissions.values()), unplaced


def grading_config(work_dir: Path, timeout: int, course_root: Path = REPO_ROOT):
    config = base_config()
    config.CourseDirectory.root = str(work_dir)
    config.CourseDirectory.source_directory = str(course_root / "solutions")
    config.CourseDirectory.release_directory = str(work_dir / "release")
    config.CourseDirectory.db_url = f"sqlite:///{work_dir / 'gradebook.db'}"
    config.Execute.timeout = timeout
    return config


def _grade_rows(api, chapter_id: str, submissions: list[Submission], failures: dict[str, str]) -> pd.DataFrame:
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(api.coursedir.db_url) as gradebook:
        notebook = gradebook.find_notebook(chapter_id, chapter_id)
        test_cells = [cell.name for cell in notebook.grade_cells if cell.max_score > 0]
        max_total = sum(cell.max_score for cell in notebook.grade_cells)
        for submission in submissions:
            row = {"student": submission.student_id}
            reason = failures.get(submission.student_id, "")
            scores = {}
            if not reason:
                try:
                    graded = gradebook.find_submission_notebook(chapter_id, chapter_id, submission.student_id)
                    scores = {grade.name: grade.score for grade in graded.grades}
                except MissingEntry:
                    reason = "no grades recorded"
            for name in test_cells:
                row[name] = float(scores.get(name, 0.0) or 0.0)
            row["total"] = sum(row[name] for name in test_cells)
            row["max"] = max_total
            row["status"] = "graded" if not reason else f"not graded: {reason}"
            rows.append(row)
    return pd.DataFrame(rows, columns=["student", *test_cells, "total", "max", "status"])


def _short_reason(result: dict) -> str:
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    for pattern, reason in [
        (r"NotJSONError|Notebook does not appear to be JSON|JSONDecodeError|Unreadable Notebook", "not a readable notebook (invalid JSON)"),
        (r"ValidationError|is not valid under any of the given schemas", "not a valid notebook"),
        (r"CellTimeoutError|timed out", "a cell ran past the time limit"),
        (r"DeadKernelError|Kernel died", "the kernel died"),
    ]:
        if re.search(pattern, text):
            return reason
    last = [line.strip() for line in text.splitlines() if line.strip()]
    return (last[-1] if last else "autograde failed")[:200]


def grade_folder(chapter_id: str, folder: Path, *, work_dir: Path = WORK_DIR, timeout: int = 120,
                 profile: str = "smoke", feedback: bool = True, course_root: Path = REPO_ROOT,
                 log=print) -> GradingResult:
    """Autograde every notebook in ``folder`` for ``chapter_id``; write feedback and a CSV."""
    check_chapter(chapter_id, course_root)
    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(f"submission folder {folder} does not exist")
    start = time.perf_counter()
    os.environ["COURSE_PROFILE"] = profile  # the kernels inherit it: graded runs use the small sizes
    work_dir.mkdir(parents=True, exist_ok=True)
    api = nbgrader_api(grading_config(work_dir, timeout, course_root))

    result = api.generate_assignment(chapter_id, force=True)
    if not result["success"]:
        raise RuntimeError(f"could not register {chapter_id} in the gradebook:\n{result.get('log')}")

    submissions, unplaced = find_submissions(folder, chapter_id)
    for line in unplaced:
        log(f"skipped {line}")
    failures: dict[str, str] = {}
    for number, submission in enumerate(submissions, 1):
        target = work_dir / "submitted" / submission.student_id / chapter_id / f"{chapter_id}.ipynb"
        if target.parent.exists():
            shutil.rmtree(target.parent)
        target.parent.mkdir(parents=True)
        shutil.copyfile(submission.path, target)
        try:
            json.loads(submission.path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            failures[submission.student_id] = "not a readable notebook (invalid JSON)"
            log(f"[{number}/{len(submissions)}] {submission.student_id}: {failures[submission.student_id]}")
            continue
        outcome = api.autograde(chapter_id, submission.student_id, force=True, create=True)
        if not outcome["success"]:
            failures[submission.student_id] = _short_reason(outcome)
        log(f"[{number}/{len(submissions)}] {submission.student_id}: "
            f"{'graded' if submission.student_id not in failures else failures[submission.student_id]}")
        if feedback and submission.student_id not in failures:
            made = api.generate_feedback(chapter_id, submission.student_id, force=True)
            if not made["success"]:
                log(f"  feedback for {submission.student_id} failed: {_short_reason(made)}")

    grades = _grade_rows(api, chapter_id, submissions, failures)
    csv_path = work_dir / "grades" / f"{chapter_id}.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    grades.to_csv(csv_path, index=False)
    return GradingResult(chapter_id, grades, csv_path, work_dir / "feedback", unplaced,
                         time.perf_counter() - start)
