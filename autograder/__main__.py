"""Instructor commands for the course. Run ``python -m autograder <command> --help`` for details.

    generate   write chapters/<id>/ from solutions/<id>/ with nbgrader
    release    register a chapter in the class gradebook and print the learner notebook to hand out
    import     copy submissions (a folder or an LMS zip) into the class folder
    autograde  grade every new or changed submission, in parallel and sandboxed
    feedback   (re)write feedback HTML for every graded submission
    export     grades CSV (a column per test cell, late penalty), histogram; --format canvas|moodle for the LMS
    status     one line per student: score, state, whether the result is current
    merge      combine the class folders of machines that graded with --shard i/n
    grade      import + autograde + export in one step
    gradescope build a Gradescope autograder zip for a chapter
    similarity an HTML report of pairs of submissions whose answers are unusually alike
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from .course import DEFAULT_BUDGET, WORK_DIR, chapter_ids, generate


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected i/n, for example 1/3") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError("expected 1 <= i <= n")
    return index, count


def _settings(args):
    from . import sandbox
    from .engine import Settings

    use_sandbox = args.sandbox == "bubblewrap"
    if use_sandbox:
        state = sandbox.check()
        if not state.available:
            raise SystemExit(
                f"refusing to grade: the sandbox cannot run here ({state.reason}).\n"
                "Install bubblewrap (Debian: apt-get install bubblewrap), or, only where this machine or pod is\n"
                "itself the sandbox (no network, nothing else to read), pass --sandbox=none by name.")
    else:
        print(sandbox.SandboxStatus(False, "--sandbox=none was given").warning(), file=sys.stderr)
        print("Every result file and the grades CSV record sandbox=none.", file=sys.stderr)
    return Settings(timeout=args.timeout, budget=args.budget, profile=args.profile, workers=args.workers, memory_gib=args.memory_gib,
                    disk_mib=args.disk_mib, use_sandbox=use_sandbox, feedback=not args.no_feedback,
                    figures=args.figures)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR, help=f"the class folder (default {WORK_DIR})")
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write chapters/<id>/ from solutions/<id>/")
    gen.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    commands.add_parser("list", help="list the chapters")

    def chapter_command(name, help_text):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("chapter", help="chapter id, e.g. 03_attention")
        return sub

    chapter_command("release", "register a chapter and print the learner notebook to hand out")
    imp = chapter_command("import", "copy submissions from a folder or an LMS zip into the class folder")
    imp.add_argument("source", type=Path)

    def grading_options(sub):
        sub.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1),
                         help="parallel workers (default: number of cores)")
        sub.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell (default 120)")
        sub.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                         help="seconds allowed for one whole submission; the cells left after it are not run "
                              f"(default {DEFAULT_BUDGET}; 0: no budget)")
        sub.add_argument("--memory-gib", type=float, default=4.0, help="memory cap per submission (default 4)")
        sub.add_argument("--disk-mib", type=float, default=512.0,
                         help="cap on all the files one submission writes (default 512)")
        sub.add_argument("--profile", default="smoke", choices=["smoke", "cpu", "gpu"],
                         help="run profile of the graded notebooks (default smoke)")
        sub.add_argument("--sandbox", choices=["bubblewrap", "none"], default="bubblewrap",
                         help="bubblewrap (default; grading is refused where it cannot run) or none, only where "
                              "the machine or pod is itself the sandbox (recorded in every result and the CSV)")
        sub.add_argument("--no-feedback", action="store_true", help="skip feedback HTML")
        sub.add_argument("--figures", action="store_true",
                         help="draw the notebook's figures into the graded notebook and feedback (slower)")
        sub.add_argument("--force", action="store_true", help="grade again even when a result is current")

    auto = chapter_command("autograde", "grade every new or changed submission")
    grading_options(auto)
    auto.add_argument("--shard", type=_shard, help="grade only shard i of n (for several machines)")
    chapter_command("feedback", "(re)write feedback HTML")
    def export_options(sub):
        sub.add_argument("--deadlines", type=Path,
                         help="deadlines, extensions and late policy (TOML; default <work-dir>/deadlines.toml "
                              "if present)")

    exp = chapter_command("export", "grades CSV and histogram, or a grade file for an LMS")
    export_options(exp)
    exp.add_argument("--format", choices=["csv", "canvas", "moodle"], default="csv",
                     help="csv (always written), or also a Canvas or Moodle grade import file")
    exp.add_argument("--roster", type=Path, help="CSV mapping class-folder ids (column 'student') to LMS ids")
    exp.add_argument("--assignment", help="the LMS's grade column, e.g. 'Attention (12345)' (default: chapter id)")
    chapter_command("status", "one line per student")
    mrg = chapter_command("merge", "combine shard class folders into --work-dir")
    mrg.add_argument("shards", nargs="+", type=Path)
    grd = chapter_command("grade", "import + autograde + export")
    grd.add_argument("source", type=Path)
    grading_options(grd)
    export_options(grd)
    gsc = chapter_command("gradescope", "build a Gradescope autograder zip")
    gsc.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default dist/)")
    sim = chapter_command("similarity", "HTML report of unusually alike answers")
    sim.add_argument("--top", type=int, default=20, help="pairs shown in the report (default 20)")

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session warnings, not the instructor's concern
    if args.command == "generate":
        for path in generate(args.chapters or None):
            print(f"wrote {path}")
        return 0
    if args.command == "list":
        print("\n".join(chapter_ids()))
        return 0

    from . import engine

    folder = engine.ClassFolder(args.work_dir)
    chapter = args.chapter
    if args.command == "release":
        print(f"hand out: {engine.release(chapter, folder)}")
    elif args.command == "import":
        report = engine.import_submissions(chapter, args.source, folder)
        return 0 if not report.unplaced else 1
    elif args.command in ("autograde", "grade"):
        settings = _settings(args)
        if args.command == "grade" and args.deadlines:
            from . import late

            try:  # a mistake in the deadlines file is found before the grading, not after
                late.load(args.deadlines)
            except (OSError, late.PolicyError) as error:
                print(f"grade refused: {error}", file=sys.stderr)
                return 2
        if args.command == "grade":
            engine.import_submissions(chapter, args.source, folder)
        engine.autograde(chapter, folder, settings, shard=getattr(args, "shard", None), force=args.force)
        if args.command == "grade":
            csv_path, histogram = engine.export(chapter, folder, args.deadlines)
            print(engine.grade_table(chapter, folder).to_string(index=False))
            print(f"\ngrades: {csv_path}\nhistogram: {histogram}\nfeedback: {folder.root / 'feedback'}/<student>/{chapter}/")
    elif args.command == "feedback":
        print(f"{engine.feedback(chapter, folder)} feedback files in {folder.root / 'feedback'}")
    elif args.command == "export":
        from . import late, lms

        try:
            csv_path, histogram = engine.export(chapter, folder, args.deadlines)
            print(f"grades: {csv_path}\nhistogram: {histogram}")
            if args.format != "csv":
                import pandas as pd

                table = pd.read_csv(csv_path, keep_default_na=False, dtype={"student": str})
                written = lms.write(args.format, table, args.roster, args.assignment, csv_path.parent, chapter)
                print(f"{args.format}: {written}")
        except (late.PolicyError, lms.RosterError) as error:
            print(f"export refused: {error}", file=sys.stderr)
            return 2
    elif args.command == "status":
        print(engine.status(chapter, folder).to_string(index=False))
    elif args.command == "merge":
        try:
            print(f"merged {engine.merge(chapter, folder, args.shards)} results into {folder.root}")
        except engine.MergeRefused as refusal:
            print(refusal, file=sys.stderr)
            return 2
    elif args.command == "gradescope":
        from .gradescope import build

        print(f"wrote {build(chapter, args.out)}")
    elif args.command == "similarity":
        from .similarity import report

        path, pairs = report(chapter, folder, top=args.top)
        print(f"{len(pairs)} pairs compared; report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
