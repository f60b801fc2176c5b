"""One call for a whole grading round: import a folder (or zip), autograde, export."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import sandbox
from .course import REPO_ROOT, WORK_DIR
from .engine import ClassFolder, Settings, autograde, export, import_submissions


@dataclass
class GradingResult:
    chapter_id: str
    grades: pd.DataFrame
    csv_path: Path
    histogram_path: Path
    feedback_dir: Path
    unplaced: list[str] = field(default_factory=list)
    seconds: float = 0.0


def grade_folder(chapter_id: str, submissions: Path, *, work_dir: Path = WORK_DIR, timeout: int = 120,
                 profile: str = "smoke", feedback: bool = True, course_root: Path = REPO_ROOT,
                 workers: int | None = None, use_sandbox: bool | None = None, budget: int | None = None,
                 log=print) -> GradingResult:
    """Import ``submissions`` for ``chapter_id`` into ``work_dir``, grade what changed, export the grades."""
    start = time.perf_counter()
    if use_sandbox is None:
        state = sandbox.check()
        use_sandbox = state.available
        if not state.available:
            log(state.warning())
    settings = Settings(timeout=timeout, profile=profile, feedback=feedback, use_sandbox=use_sandbox)
    if workers:
        settings.workers = workers
    if budget is not None:
        settings.budget = budget
    folder = ClassFolder(work_dir, course_root)
    report = import_submissions(chapter_id, submissions, folder, echo=log)
    autograde(chapter_id, folder, settings, echo=log)
    csv_path, histogram = export(chapter_id, folder)
    grades = pd.read_csv(csv_path, keep_default_na=False)
    return GradingResult(chapter_id, grades, csv_path, histogram, folder.root / "feedback", report.unplaced,
                         time.perf_counter() - start)
