"""Instructor commands: ``python -m autograder generate`` and ``python -m autograder grade``."""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .course import WORK_DIR, chapter_ids, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write chapters/<id>/ from solutions/<id>/ with nbgrader")
    gen.add_argument("chapters", nargs="*", help="chapter ids (default: all)")

    grade = commands.add_parser("grade", help="autograde a folder of submissions: feedback HTML and grades CSV")
    grade.add_argument("chapter", help="chapter id, e.g. 03_attention")
    grade.add_argument("folder", type=Path, help="folder of <student>.ipynb or <student>/<notebook>.ipynb")
    grade.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell (default 120)")
    grade.add_argument("--profile", default="smoke", choices=["smoke", "cpu", "gpu"],
                       help="run profile for the graded notebooks (default smoke: small and fast)")
    grade.add_argument("--work-dir", type=Path, default=WORK_DIR,
                       help=f"gradebook, feedback and grades go here (default {WORK_DIR})")
    grade.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")

    commands.add_parser("list", help="list the chapters")

    args = parser.parse_args(argv)
    if args.command == "generate":
        for path in generate(args.chapters or None):
            print(f"wrote {path}")
    elif args.command == "list":
        print("\n".join(chapter_ids()))
    elif args.command == "grade":
        from sqlalchemy.exc import SAWarning

        from .grade import grade_folder

        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session warnings, not the instructor's concern
        result = grade_folder(args.chapter, args.folder, work_dir=args.work_dir, timeout=args.timeout,
                              profile=args.profile, feedback=not args.no_feedback)
        print(result.grades.to_string(index=False))
        print(f"\ngrades: {result.csv_path}\nfeedback: {result.feedback_dir}/<student>/{args.chapter}/"
              f"\n{len(result.grades)} submissions in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
