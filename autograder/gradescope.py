"""Gradescope: build an autograder zip for a chapter, and the entry point it runs.

The zip holds ``setup.sh`` (installs Python, PyTorch and the course's requirements into
``/autograder/source/.venv`` when Gradescope builds the image), ``run_autograder`` (runs for
each submission) and the course files grading needs, including the chapter's source notebook
with its hidden tests, which students never see on Gradescope. ``run_autograder`` grades the
submitted notebook with the same engine as ``python -m autograder grade`` and writes
``/autograder/results/results.json`` in Gradescope's format: one test per graded cell, shown
after the grades are published.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from .course import REPO_ROOT, check_chapter

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap util-linux
cd /autograder/source
python3 -m venv .venv
.venv/bin/pip install --quiet "torch==2.13.0"
.venv/bin/pip install --quiet -r requirements.txt
.venv/bin/pip install --quiet --no-deps --no-build-isolation -e .
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -euo pipefail
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
PY="${{GRADESCOPE_PYTHON:-$ROOT/source/.venv/bin/python}}"
cd "$ROOT/source"
exec "$PY" -m autograder.gradescope {chapter} --root "$ROOT"
"""

COURSE_FILES = ["autograder", "transformer_course", "data", "requirements.txt", "pyproject.toml"]


def build(chapter: str, out_dir: Path) -> Path:
    """Write ``<out_dir>/<chapter>_gradescope.zip``."""
    check_chapter(chapter)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{chapter}_gradescope.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.format(chapter=chapter))):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
        paths = [REPO_ROOT / name for name in COURSE_FILES]
        paths += [REPO_ROOT / "solutions" / chapter, REPO_ROOT / "chapters" / chapter]
        for path in paths:
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                relative = file.relative_to(REPO_ROOT)
                if "__pycache__" in relative.parts or relative.parts[:2] == ("autograder", "work"):
                    continue
                archive.write(file, f"source/{relative}")
    return target


def _failure_text(autograded: Path, grade_id: str) -> str:
    if not autograded.is_file():
        return ""
    notebook = json.loads(autograded.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                return f"{errors[-1].get('ename')}: {errors[-1].get('evalue')}"[:1000]
    return ""


def run(chapter: str, root: Path) -> dict:
    """Grade ``<root>/submission`` and write ``<root>/results/results.json``."""
    from . import engine, sandbox

    results_path = root / "results" / "results.json"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    submission_dir = root / "submission"
    notebooks = sorted(submission_dir.rglob("*.ipynb")) if submission_dir.is_dir() else []
    preferred = [p for p in notebooks if p.name == f"{chapter}.ipynb"]
    if not notebooks:
        results = {"score": 0.0, "output": f"No notebook found in the submission: upload {chapter}.ipynb.",
                   "tests": []}
        results_path.write_text(json.dumps(results, indent=1))
        return results
    chosen = (preferred or notebooks)[0]
    state = sandbox.check()
    settings = engine.Settings(workers=1, use_sandbox=state.available, feedback=False)
    with tempfile.TemporaryDirectory() as scratch:
        incoming = Path(scratch) / "incoming"
        incoming.mkdir()
        shutil.copyfile(chosen, incoming / "student.ipynb")
        folder = engine.ClassFolder(Path(scratch) / "class")
        engine.import_submissions(chapter, incoming, folder, echo=None)
        engine.autograde(chapter, folder, settings, echo=None)
        table = engine.grade_table(chapter, folder)
        row = table.iloc[0]
        cells = list(table.columns[1:-4])
        maxima = _max_scores(folder, chapter)
        autograded = folder.autograded("student", chapter)
        tests = []
        for name in cells:
            test = {"name": name, "score": float(row[name]), "max_score": maxima[name],
                    "visibility": "after_published"}
            if row[name] < maxima[name]:
                test["output"] = _failure_text(autograded, name) or "failed"
            tests.append(test)
    output = f"Graded {chosen.name}: {row['total']:g} of {row['max']:g} points."
    if row["status"] != "graded":
        output += f" Not graded: {row['reason']}."
    if not state.available:
        output += " (Graded without a sandbox.)"
    results = {"score": float(row["total"]), "output": output, "tests": tests, "stdout_visibility": "hidden"}
    results_path.write_text(json.dumps(results, indent=1))
    return results


def _max_scores(folder, chapter: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{folder.db}") as gradebook:
        return {cell.name: float(cell.max_score) for cell in gradebook.find_notebook(chapter, chapter).grade_cells}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Gradescope entry point (run by run_autograder)")
    parser.add_argument("chapter")
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("GRADESCOPE_ROOT", "/autograder")))
    args = parser.parse_args(argv)
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)
    results = run(args.chapter, args.root)
    print(results["output"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
