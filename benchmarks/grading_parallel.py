"""Grade the same submissions of a chapter with plain sequential `nbgrader autograde` and with
this course's grader (parallel workers, sandboxed), and print both times and the ratio.

    .venv/bin/python benchmarks/grading_parallel.py            # 40 submissions of 03_attention
    .venv/bin/python benchmarks/grading_parallel.py --count 10 --chapter 00_welcome
    .venv/bin/python benchmarks/grading_parallel.py --figures   # the course grader draws figures too

The submissions are the reference solution, the untouched stub and the plausible wrong
answers of tests/wrong_answers/, repeated to the requested count. Both graders use the
smoke profile and must agree on every score; the script checks that too. Plain nbgrader draws
every figure; the course grader does not unless given --figures (figures earn no points).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from autograder.notebooks import learner_path, read, reference_submission  # noqa: E402

PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = {source!r}
c.CourseDirectory.release_directory = {release!r}
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.Execute.timeout = 120
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\\w*Warning\\b"
"""


def make_submissions(chapter: str, count: int, folder: Path) -> list[str]:
    variants = [reference_submission(chapter), read(learner_path(chapter))]
    for path in sorted((REPO_ROOT / "tests" / "wrong_answers" / chapter).glob("*__*.py")):
        variants.append(reference_submission(chapter, replace={path.stem.split("__")[0]: path.read_text()}))
    students = []
    for number in range(count):
        student = f"student{number:03d}"
        nbformat.write(variants[number % len(variants)], folder / f"{student}.ipynb")
        students.append(student)
    return students


def plain_nbgrader(chapter: str, submissions: Path, students: list[str], root: Path) -> tuple[float, pd.Series]:
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(
        root=str(root), source=str(REPO_ROOT / "solutions"), release=str(root / "release")))
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    env = {**os.environ, "COURSE_PROFILE": "smoke", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run([nbgrader, "generate_assignment", chapter, "--force"], cwd=root, env=env, check=True,
                   capture_output=True)
    for student in students:
        target = root / "submitted" / student / chapter
        target.mkdir(parents=True)
        (target / f"{chapter}.ipynb").write_bytes((submissions / f"{student}.ipynb").read_bytes())
    start = time.perf_counter()
    subprocess.run([nbgrader, "autograde", chapter, "--force"], cwd=root, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root}/gradebook.db") as gradebook:
        scores = {s: gradebook.find_submission(chapter, s).score for s in students}
    return seconds, pd.Series(scores)


def course_grader(chapter: str, submissions: Path, root: Path, workers: int,
                  figures: bool) -> tuple[float, pd.Series, list[float]]:
    """Wall time, total per student, and the seconds each submission took inside its worker."""
    env = {**os.environ, "COURSE_PROFILE": "smoke"}
    command = [sys.executable, "-m", "autograder", "--work-dir", str(root)]
    subprocess.run(command + ["import", chapter, str(submissions)], env=env, check=True, capture_output=True,
                   cwd=REPO_ROOT)
    options = ["--workers", str(workers), "--no-feedback"] + (["--figures"] if figures else [])
    start = time.perf_counter()
    subprocess.run(command + ["autograde", chapter, *options], env=env, check=True, capture_output=True,
                   cwd=REPO_ROOT)
    seconds = time.perf_counter() - start
    subprocess.run(command + ["export", chapter], env=env, check=True, capture_output=True, cwd=REPO_ROOT)
    table = pd.read_csv(root / "grades" / f"{chapter}.csv").set_index("student")
    in_worker = [json.loads(p.read_text())["seconds"] for p in (root / "results" / chapter).glob("*.json")]
    return seconds, table["total"], in_worker


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", default="03_attention")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--figures", action="store_true",
                        help="let the course grader draw figures too, as plain nbgrader does")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        submissions = scratch / "submissions"
        submissions.mkdir()
        students = make_submissions(args.chapter, args.count, submissions)
        print(f"{args.count} submissions of {args.chapter}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
        plain_seconds, plain_scores = plain_nbgrader(args.chapter, submissions, students, scratch / "plain")
        print(f"plain sequential nbgrader autograde: {plain_seconds:7.1f} s ({plain_seconds / args.count:.2f} s each)")
        ours_seconds, our_scores, in_worker = course_grader(args.chapter, submissions, scratch / "ours",
                                                            args.workers, args.figures)
        figures = "figures drawn" if args.figures else "figures not drawn"
        print(f"course grader, {args.workers} workers, sandboxed, {figures}: {ours_seconds:7.1f} s "
              f"({ours_seconds / args.count:.2f} s each)")
        mean = sum(in_worker) / len(in_worker)
        outside = ours_seconds - sum(in_worker) / args.workers
        print(f"  a submission took {mean:.2f} s on average inside its worker (min {min(in_worker):.2f}, "
              f"max {max(in_worker):.2f}); start-up and waiting outside the workers: {outside:.1f} s")
        print(f"speed-up: {plain_seconds / ours_seconds:.2f}x")
        differ = (plain_scores.sort_index() - our_scores.sort_index()).abs() > 1e-9
        if differ.any():
            print(f"SCORES DIFFER for {list(plain_scores.index[differ])}")
            return 1
        print("both graders gave the same score to every submission")
    return 0


if __name__ == "__main__":
    sys.exit(main())
