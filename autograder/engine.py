"""Grading a class: import, autograde in parallel, feedback, export, status, shards.

The work folder (``autograder/work`` unless ``--work-dir`` says otherwise) holds one class:

    gradebook.db                              nbgrader's gradebook (written by one process only)
    submitted/<student>/<id>/<id>.ipynb       the submission being graded
    archive/<student>/<id>/<time>-<hash>.ipynb  every submission it replaced
    autograded/<student>/<id>/<id>.ipynb      the graded notebook (hidden tests restored)
    feedback/<student>/<id>/<id>.html         feedback for the student
    results/<id>/<student>.json               what grading concluded, and from which submission
    grades/<id>.csv, grades/<id>_histogram.png
    log/<id>.log                              every import, replacement and grading decision

Autograding runs each submission in its own worker process with a private copy of the
gradebook, so workers never write to the same database; the main process copies each
worker's grades into ``gradebook.db`` as results arrive. A submission whose result file
matches its content is not graded again, so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import concurrent.futures as futures
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .course import DEFAULT_BUDGET, REPO_ROOT, base_config, check_chapter, nbgrader_api
from .notebooks import source_path

STUDENT_ID = re.compile(r"[^A-Za-z0-9_.-]+")
CANVAS_FILE = re.compile(r"^(?P<student>[A-Za-z0-9.-]+)_(?:late_)?\d+_\d+_.+$", re.IGNORECASE)
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<number>\d+)_assignsubmission_file_?$")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def clean_id(raw: str) -> str:
    return STUDENT_ID.sub("_", raw).strip("._-") or "unnamed"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place.

    A reader sees the old file or the new one, never part of one: a crash or a full disk
    (``OSError`` ENOSPC) leaves no partial file at ``path``, and the temporary file is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(handle, data):]
        os.fsync(handle)
        os.close(handle)
        handle = None
        os.replace(temporary, path)
    except BaseException:
        if handle is not None:
            os.close(handle)
        Path(temporary).unlink(missing_ok=True)
        raise


RESULT_KEYS = {"student", "status", "scores", "submission_sha256", "grader"}


def read_result(path: Path) -> dict | None:
    """A result file's content, or None when it is missing, unreadable or incomplete."""
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return result if isinstance(result, dict) and RESULT_KEYS <= result.keys() else None


@dataclass
class Settings:
    """How to grade: limits, profile, workers."""

    timeout: int = 120
    budget: int = DEFAULT_BUDGET  # seconds for a whole submission; 0: no budget
    profile: str = "smoke"
    workers: int = max(1, os.cpu_count() or 1)
    memory_gib: float = 4.0
    disk_mib: float = 512.0
    processes: int = 64
    use_sandbox: bool = True
    feedback: bool = True
    figures: bool = False


class ClassFolder:
    def __init__(self, work_dir: Path, course_root: Path = REPO_ROOT):
        self.root = Path(work_dir).resolve()
        self.course_root = Path(course_root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = self.root / "gradebook.db"

    def submitted(self, student: str, chapter: str) -> Path:
        return self.root / "submitted" / student / chapter / f"{chapter}.ipynb"

    def autograded(self, student: str, chapter: str) -> Path:
        return self.root / "autograded" / student / chapter / f"{chapter}.ipynb"

    def feedback(self, student: str, chapter: str) -> Path:
        return self.root / "feedback" / student / chapter / f"{chapter}.html"

    def result(self, student: str, chapter: str) -> Path:
        return self.root / "results" / chapter / f"{student}.json"

    def students(self, chapter: str) -> list[str]:
        return sorted(p.parent.parent.name for p in (self.root / "submitted").glob(f"*/{chapter}/{chapter}.ipynb"))

    def log(self, chapter: str, message: str, echo=print) -> None:
        path = self.root / "log" / f"{chapter}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {message}\n")
        if echo:
            echo(message)

    def config(self, *, db: Path | None = None, settings: Settings | None = None, worker: int = 0):
        settings = settings or Settings()
        config = base_config()
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.source_directory = str(self.course_root / "solutions")
        config.CourseDirectory.release_directory = str(self.root / "release")
        config.CourseDirectory.db_url = f"sqlite:///{db or self.db}"
        config.SandboxedExecute.timeout = settings.timeout
        config.SandboxedExecute.budget = settings.budget
        config.SandboxedExecute.memory_bytes = int(settings.memory_gib * 1024**3)
        config.SandboxedExecute.disk_bytes = int(settings.disk_mib * 1024**2)
        config.SandboxedExecute.processes = settings.processes
        config.SandboxedExecute.use_sandbox = settings.use_sandbox
        config.SandboxedExecute.worker = worker
        config.SandboxedExecute.hide = [str(self.root), str(self.course_root)]
        config.SandboxedExecute.draw_figures = settings.figures
        return config


# ---------------------------------------------------------------- release and import


def release(chapter: str, folder: ClassFolder) -> Path:
    """Register the chapter in the class gradebook; the learner notebook is chapters/<id>/<id>.ipynb."""
    check_chapter(chapter, folder.course_root)
    api = nbgrader_api(folder.config())
    outcome = api.generate_assignment(chapter, force=True)
    if not outcome["success"]:
        raise RuntimeError(f"could not release {chapter}:\n{outcome.get('log')}")
    released = folder.root / "release" / chapter / f"{chapter}.ipynb"
    committed = folder.course_root / "chapters" / chapter / f"{chapter}.ipynb"
    if committed.is_file() and json.loads(committed.read_text()) != json.loads(released.read_text()):
        raise RuntimeError(f"{committed} differs from a fresh generation: run `make chapters` first")
    return committed if committed.is_file() else released


@dataclass
class ImportReport:
    placed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.placed)} new, {len(self.replaced)} replaced, {len(self.unchanged)} unchanged, "
                f"{len(self.unplaced)} not placed")


def _student_of(relative: Path) -> str | None:
    """Student id from a submission's path inside the folder or zip (see the instructor page)."""
    parts = relative.parts
    if len(parts) == 1:
        match = CANVAS_FILE.match(relative.stem)
        return clean_id(match["student"] if match else relative.stem)
    if len(parts) == 2:
        match = MOODLE_FOLDER.match(parts[0])
        return clean_id(f"{match['name']}_{match['number']}" if match else parts[0])
    return None


def _candidates(source: Path, scratch: Path) -> list[tuple[Path, Path, float]]:
    """(relative path, file, modification time) of every file in a folder or a zip."""
    if source.is_file() and zipfile.is_zipfile(source):
        found = []
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                relative = Path(info.filename)
                if relative.is_absolute() or ".." in relative.parts:
                    found.append((relative, None, 0.0))
                    continue
                target = scratch / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as data, target.open("wb") as out:
                    shutil.copyfileobj(data, out)
                found.append((relative, target, dt.datetime(*info.date_time).timestamp()))
        # An LMS zip often wraps everything in one top folder named after the assignment.
        tops = {r.parts[0] for r, _, _ in found if len(r.parts) > 1}
        if len(tops) == 1 and all(len(r.parts) > 1 for r, _, _ in found):
            found = [(Path(*r.parts[1:]), f, t) for r, f, t in found]
        return found
    if not source.is_dir():
        raise SystemExit(f"{source} is neither a folder nor a zip file")
    return [(p.relative_to(source), p, p.stat().st_mtime) for p in sorted(source.rglob("*")) if p.is_file()]


def import_submissions(chapter: str, source: Path, folder: ClassFolder, echo=print) -> ImportReport:
    """Copy each student's notebook into the class folder; never lose or silently overwrite one."""
    check_chapter(chapter, folder.course_root)
    report = ImportReport()
    with tempfile.TemporaryDirectory() as scratch:
        found: dict[str, list[tuple[float, Path, Path]]] = {}
        for relative, path, mtime in _candidates(Path(source), Path(scratch)):
            if path is None:
                report.unplaced.append(f"{relative}: unsafe path in the zip")
            elif ".ipynb_checkpoints" in relative.parts or relative.name.startswith("."):
                continue
            elif relative.suffix != ".ipynb":
                report.unplaced.append(f"{relative}: not a .ipynb file")
            elif (student := _student_of(relative)) is None:
                report.unplaced.append(f"{relative}: too deep; expected <student>.ipynb or <student>/<notebook>.ipynb")
            else:
                found.setdefault(student, []).append((mtime, relative, path))
        for student, entries in sorted(found.items()):
            entries.sort()
            for mtime, relative, path in entries[:-1]:  # older notebooks of the same student in this import
                _archive(folder, chapter, student, path, f"older of several notebooks in this import ({relative})", echo)
            mtime, relative, path = entries[-1]
            target = folder.submitted(student, chapter)
            if target.is_file():
                if sha256(target) == sha256(path):
                    report.unchanged.append(student)
                    continue
                _archive(folder, chapter, student, target, f"replaced by {relative}", echo)
                report.replaced.append(student)
            else:
                report.placed.append(student)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            # The hand-in time (the file's time in the zip or folder), for the late policy; nbgrader reads it too.
            handed_in = dt.datetime.fromtimestamp(mtime, dt.timezone.utc).isoformat()
            write_atomic(target.parent / "timestamp.txt", handed_in + "\n")
            folder.log(chapter, f"imported {relative} as {student} ({sha256(target)[:12]}, handed in {handed_in})",
                       echo=None)
    for line in report.unplaced:
        folder.log(chapter, f"not placed: {line}", echo)
    folder.log(chapter, f"import from {source}: {report.summary()}", echo)
    return report


def _archive(folder: ClassFolder, chapter: str, student: str, path: Path, why: str, echo) -> None:
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    target = folder.root / "archive" / student / chapter / f"{stamp}-{sha256(path)[:12]}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    folder.log(chapter, f"{student}: kept {target.relative_to(folder.root)} ({why})", echo)


# ---------------------------------------------------------------- autograding


# Modules that only report on results (exports, late policy, similarity, the command line):
# changing them does not make a result stale.
REPORT_ONLY = {"__main__.py", "gradescope.py", "late.py", "lms.py", "similarity.py"}


def release_of(chapter: str, course_root: Path = REPO_ROOT) -> str:
    """The release of a chapter: a hash of its source notebook (tests, points, solutions)."""
    return sha256(source_path(chapter, course_root))[:16]


def grader_version() -> str:
    """A hash of the grading code: the grader's modules and the helper package the tests use."""
    digest = hashlib.sha256()
    code = [p for p in sorted(Path(__file__).parent.glob("*.py")) if p.name not in REPORT_ONLY]
    for path in code + sorted((REPO_ROOT / "transformer_course").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def grader_fingerprint(folder: ClassFolder, chapter: str, settings: Settings) -> str:
    """What a result depends on besides the submission: the tests, the grader, the settings."""
    digest = hashlib.sha256(f"{release_of(chapter, folder.course_root)} {grader_version()}".encode())
    digest.update(json.dumps([settings.timeout, settings.budget, settings.profile, settings.memory_gib, settings.disk_mib,
                              settings.processes, settings.use_sandbox, settings.figures]).encode())
    return digest.hexdigest()[:16]


_WORKER_NUMBER = None


def _die_with_parent() -> None:
    """Linux: this worker is killed when the grader dies (SIGKILL included), so that a grader started
    again on the same folder never races a leftover worker grading the same submission."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _init_worker(counter, profile: str) -> None:
    _die_with_parent()
    global _WORKER_NUMBER
    with counter.get_lock():
        _WORKER_NUMBER = counter.value
        counter.value += 1
    os.environ["COURSE_PROFILE"] = profile
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)
    # Import what grading needs now, while the main process is still releasing the chapter,
    # rather than during the first submission.
    import nbgrader.converters.autograde  # noqa: F401

    from . import execute  # noqa: F401


def _warm_up() -> None:
    """A job that makes the pool start its workers (it starts one per job waiting)."""


def _short_reason(outcome: dict) -> str:
    text = (outcome.get("error") or "") + "\n" + (outcome.get("log") or "")
    for pattern, reason in [
        (r"NotJSONError|Notebook does not appear to be JSON|JSONDecodeError|Unreadable Notebook|NotJSON",
         "not a readable notebook (invalid JSON)"),
        (r"ValidationError|is not valid under any of the given schemas|Notebook is invalid", "not a valid notebook"),
        (r"could not start", "the sandboxed kernel could not start"),
        (r"UnicodeDecodeError", "not a text file"),
        (r"KeyError: 'cells'|has no attribute 'cells'", "not a notebook"),
    ]:
        if re.search(pattern, text):
            return reason
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and "Traceback" not in line and not NBGRADER_BOILERPLATE.search(line)]
    # The exception that stopped nbgrader says more than its closing "see the above traceback".
    raised = [line for line in lines if RAISED.match(line)]
    return ((raised or lines)[-1] if lines else "autograde failed")[:200]


# nbgrader's closing lines after any failure, which name no cause.
NBGRADER_BOILERPLATE = re.compile(r"Please see the|There was an error processing|NbGraderException")
RAISED = re.compile(r"^(\w+\.)*\w*(Error|Exception|Exit|Interrupt|Timeout)\b:?")


# What the execution step writes into a graded notebook when it stops or fails a cell for a
# reason of its own (autograder/execute.py): the CSV's reason column says so, once per kind.
GRADER_FINDINGS = ("TamperingDetected", "TimeBudgetExceeded", "CellTimeoutError", "DeadKernelError",
                   "DiskLimitExceeded")


def grader_findings(graded_notebook: Path) -> str:
    """The grader's own findings in a graded notebook, one short phrase per kind, for the CSV."""
    try:
        cells = json.loads(graded_notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return ""
    found: dict[str, str] = {}
    for cell in cells:
        for output in cell.get("outputs", []):
            name = output.get("ename")
            if output.get("output_type") == "error" and name in GRADER_FINDINGS and name not in found:
                found[name] = f"{name}: {output.get('evalue', '')}"[:160]
    return "; ".join(found[name] for name in GRADER_FINDINGS if name in found)


def _grade_one(work_root: str, course_root: str, chapter: str, student: str, settings: Settings) -> dict:
    """In a worker process: autograde one submission against a private copy of the gradebook."""
    start = time.perf_counter()
    folder = ClassFolder(Path(work_root), Path(course_root))
    private = folder.root / "tmp" / f"{chapter}-{student}.db"
    private.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder.db, private)
    result = {"student": student, "private_db": str(private)}
    submitted = folder.submitted(student, chapter)
    try:
        json.loads(submitted.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError):
        result.update(status="not graded", reason="not a readable notebook (invalid JSON)")
    else:
        api = nbgrader_api(folder.config(db=private, settings=settings, worker=_WORKER_NUMBER or 0))
        outcome = api.autograde(chapter, student, force=True, create=True)
        if outcome["success"]:
            result.update(status="graded", reason=grader_findings(folder.autograded(student, chapter)))
            if settings.feedback:
                made = api.generate_feedback(chapter, student, force=True)
                if not made["success"]:
                    result["reason"] = "; ".join(filter(None, [result["reason"], f"feedback failed: {_short_reason(made)}"]))
        else:
            result.update(status="not graded", reason=_short_reason(outcome))
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def copy_grades(source_db: Path, target_db: Path, chapter: str, student: str) -> dict[str, float]:
    """Copy one student's grades and comments for a chapter from one gradebook to another."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{source_db}") as source, Gradebook(f"sqlite:///{target_db}") as target:
        submission = source.find_submission(chapter, student)
        target.update_or_create_student(student)
        target.update_or_create_submission(chapter, student, timestamp=submission.timestamp)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                mirror = target.find_grade(grade.name, notebook.name, chapter, student)
                mirror.auto_score, mirror.manual_score = grade.auto_score, grade.manual_score
                mirror.extra_credit, mirror.needs_manual_grade = grade.extra_credit, grade.needs_manual_grade
                scores[grade.name] = float(grade.score or 0.0)
            for comment in notebook.comments:
                mirror = target.find_comment(comment.name, notebook.name, chapter, student)
                mirror.auto_comment, mirror.manual_comment = comment.auto_comment, comment.manual_comment
            target_notebook = target.find_submission_notebook(notebook.name, chapter, student)
            target_notebook.flagged = notebook.flagged
        target.db.commit()
    return scores


def _record(folder: ClassFolder, chapter: str, result: dict, sha: str, fingerprint: str,
            settings: Settings | None = None) -> None:
    private = Path(result.pop("private_db"))
    result["scores"] = {}
    if result["status"] == "graded":
        result["scores"] = copy_grades(private, folder.db, chapter, result["student"])
    private.unlink(missing_ok=True)
    sandboxed = settings.use_sandbox if settings else True
    result.update(submission_sha256=sha, grader=fingerprint, graded_at=dt.datetime.now().isoformat(timespec="seconds"),
                  release=release_of(chapter, folder.course_root), grader_version=grader_version(),
                  sandbox="bubblewrap" if sandboxed else "none")
    write_atomic(folder.result(result["student"], chapter), json.dumps(result, indent=1))


def shard_number(student: str, count: int) -> int:
    """The shard (1-based) of a student: a stable hash of the id, the same on every machine and run."""
    return int.from_bytes(hashlib.sha256(student.encode("utf-8")).digest()[:8], "big") % count + 1


def shard_of(students: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The students of shard ``i/n`` (1-based), sorted; each student is in exactly one shard,
    chosen by a hash of the id, so adding or listing students in another order moves no one else."""
    if shard is None:
        return students
    index, count = shard
    if not 1 <= index <= count:
        raise SystemExit(f"--shard {index}/{count}: expected 1 <= i <= n")
    return sorted(s for s in students if shard_number(s, count) == index)


def autograde(chapter: str, folder: ClassFolder, settings: Settings, *, shard=None, force: bool = False,
              echo=print) -> list[dict]:
    """Grade every imported submission that has no up-to-date result; returns the new results."""
    check_chapter(chapter, folder.course_root)
    counter = multiprocessing.get_context("spawn").Value("i", 0)

    def start_pool() -> futures.ProcessPoolExecutor:
        pool = futures.ProcessPoolExecutor(settings.workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker, initargs=(counter, settings.profile))
        for _ in range(settings.workers):
            pool.submit(_warm_up)
        return pool

    pool = start_pool()  # the workers import what they need while the chapter is released
    try:
        release(chapter, folder)
        fingerprint = grader_fingerprint(folder, chapter, settings)
        todo = []
        for student in shard_of(folder.students(chapter), shard):
            sha = sha256(folder.submitted(student, chapter))
            previous = folder.result(student, chapter)
            if not force and previous.is_file():
                known = read_result(previous)
                if known is None:
                    folder.log(chapter, f"{student}: {previous.relative_to(folder.root)} is unreadable; "
                                        "grading again", echo)
                elif known.get("submission_sha256") == sha and known.get("grader") == fingerprint:
                    continue
            todo.append((student, sha))
        folder.log(chapter, f"autograde: {len(todo)} to grade with {settings.workers} workers "
                            f"({'sandboxed' if settings.use_sandbox else 'NOT sandboxed'})", echo)
        done = []
        remaining = list(todo)
        while remaining:
            batch, remaining = remaining, []
            jobs = {pool.submit(_grade_one, str(folder.root), str(folder.course_root), chapter, student, settings):
                    (student, sha) for student, sha in batch}
            for job in futures.as_completed(jobs):
                student, sha = jobs[job]
                try:
                    result = job.result()
                except futures.process.BrokenProcessPool:
                    remaining = [pair for j, pair in jobs.items() if not j.done() or j is job]
                    folder.log(chapter, f"{student}: a grading worker crashed; retrying the unfinished ones", echo)
                    result = {"student": student, "status": "not graded", "reason": "the grading worker crashed",
                              "seconds": 0.0, "private_db": str(folder.root / "tmp" / "none.db")}
                    remaining = [pair for pair in remaining if pair[0] != student]
                except Exception as error:  # noqa: BLE001 - one bad submission must not stop the class
                    result = {"student": student, "status": "not graded", "reason": f"grader error: {error}"[:200],
                              "seconds": 0.0, "private_db": str(folder.root / "tmp" / "none.db")}
                _record(folder, chapter, result, sha, fingerprint, settings)
                done.append(result)
                total = sum(result["scores"].values())
                folder.log(chapter, f"[{len(done)}/{len(todo)}] {student}: {result['status']} {total:g} points "
                                    f"in {result['seconds']:.1f} s {result['reason']}".rstrip(), echo)
                if remaining:
                    break
            if remaining:  # a worker died: the pool is broken, start a fresh one for the rest
                pool.shutdown(cancel_futures=True)
                pool = start_pool()
        return done
    finally:
        pool.shutdown(cancel_futures=True)


# ---------------------------------------------------------------- results


def grade_table(chapter: str, folder: ClassFolder) -> pd.DataFrame:
    """One row per imported student: a column per graded cell, total, max, status, reason."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{folder.db}") as gradebook:
        notebook = gradebook.find_notebook(chapter, chapter)
        cells = [(cell.name, cell.max_score) for cell in notebook.grade_cells]
    names = [name for name, _ in cells]
    maximum = sum(points for _, points in cells)
    rows = []
    for student in folder.students(chapter):
        path = folder.result(student, chapter)
        result = read_result(path) or {"status": "not graded yet" if not path.exists() else
                                       "result unreadable: grade again", "scores": {}}
        row = {"student": student, **{name: float(result["scores"].get(name, 0.0)) for name in names}}
        row["total"] = sum(row[name] for name in names)
        row.update(max=maximum, status=result["status"], reason=result.get("reason", ""))
        rows.append(row)
    return pd.DataFrame(rows, columns=["student", *names, "total", "max", "status", "reason"])


def export_table(chapter: str, folder: ClassFolder, deadlines: Path | None = None, echo=print) -> pd.DataFrame:
    """The grade table with the sandbox each result was graded in and the late policy applied
    (``total`` is the raw score; ``penalty`` and ``final`` come from ``deadlines.toml``)."""
    from . import late

    table = grade_table(chapter, folder)
    table["sandbox"] = [(read_result(folder.result(student, chapter)) or {}).get("sandbox", "")
                        for student in table["student"]]
    return late.apply(table, chapter, folder, deadlines, echo)


def export(chapter: str, folder: ClassFolder, deadlines: Path | None = None, echo=print) -> tuple[Path, Path]:
    """grades/<id>.csv and grades/<id>_histogram.png."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = export_table(chapter, folder, deadlines, echo)
    out = folder.root / "grades"
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{chapter}.csv"
    table.to_csv(csv_path, index=False)
    figure, axis = plt.subplots(figsize=(6, 3.5))
    maximum = float(table["max"].iloc[0]) if len(table) else 1.0
    axis.hist(table["total"], bins=min(20, max(5, int(maximum) + 1)), range=(0, maximum), color="#3b6ea8")
    axis.set_xlabel(f"total score (of {maximum:g})")
    axis.set_ylabel("students")
    axis.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axis.set_title(f"{chapter}: {len(table)} submissions, mean {table['total'].mean() if len(table) else 0:.1f}")
    figure.tight_layout()
    histogram = out / f"{chapter}_histogram.png"
    figure.savefig(histogram, dpi=110)
    plt.close(figure)
    return csv_path, histogram


def feedback(chapter: str, folder: ClassFolder, echo=print) -> int:
    """(Re)generate feedback HTML for every graded student."""
    api = nbgrader_api(folder.config())
    made = 0
    for student in folder.students(chapter):
        result = read_result(folder.result(student, chapter))
        if result and result["status"] == "graded":
            outcome = api.generate_feedback(chapter, student, force=True)
            made += bool(outcome["success"])
            if not outcome["success"]:
                echo(f"{student}: feedback failed: {_short_reason(outcome)}")
    return made


def status(chapter: str, folder: ClassFolder) -> pd.DataFrame:
    table = grade_table(chapter, folder)
    current = []
    for student in table["student"]:
        result = read_result(folder.result(student, chapter))
        fresh = result is not None and result.get("submission_sha256") == sha256(folder.submitted(student, chapter))
        current.append("yes" if fresh else "no: grade again")
    table["result matches submission"] = current
    return table[["student", "total", "max", "status", "result matches submission", "reason"]]


class MergeRefused(RuntimeError):
    """The shard folders cannot be merged as they are; the message says why and what to do."""


def _merge_plan(chapter: str, target: ClassFolder, shards: list[Path]) -> dict[str, tuple[ClassFolder, Path, dict]]:
    """Check every result of every shard before anything is copied; one result per student."""
    release, version = release_of(chapter, target.course_root), grader_version()
    again = f"run `python -m autograder autograde {chapter} --shard i/n` in that folder again, then merge"
    chosen: dict[str, tuple[ClassFolder, Path, dict]] = {}
    settings: dict[str, list[str]] = {}
    problems = []
    for shard_root in shards:
        if not Path(shard_root).is_dir():
            problems.append(f"{shard_root}: no such folder")
            continue
        shard = ClassFolder(shard_root, target.course_root)
        paths = sorted((shard.root / "results" / chapter).glob("*.json"))
        if not paths:
            problems.append(f"{shard.root}: no results for {chapter}")
        for path in paths:
            student, result = path.stem, read_result(path)
            submitted = shard.submitted(student, chapter)
            if result is None:
                problems.append(f"{path}: unreadable or incomplete result file; {again}")
            elif result.get("release") != release:
                problems.append(f"{path}: graded against another release of {chapter} "
                                f"({result.get('release') or 'not recorded'}; this course has {release}); {again}")
            elif result.get("grader_version") != version:
                problems.append(f"{path}: graded by another version of the grader "
                                f"({result.get('grader_version') or 'not recorded'}; this one is {version}); "
                                "use the same course commit on every machine")
            elif not submitted.is_file() or sha256(submitted) != result["submission_sha256"]:
                problems.append(f"{path}: the result is not for the submission in that folder; {again}")
            else:
                settings.setdefault(f"{result['grader']} (sandbox: {result.get('sandbox', '?')})", []).append(
                    str(shard.root))
                if student in chosen:
                    if chosen[student][2]["submission_sha256"] != result["submission_sha256"]:
                        problems.append(f"{student}: graded from different submissions in {chosen[student][0].root} "
                                        f"and {shard.root}; import the same submissions on every machine")
                    continue  # the same submission graded in two folders: one row, not two
                chosen[student] = (shard, path, result)
    if len(settings) > 1:
        listing = "; ".join(f"{key}: {', '.join(sorted(set(roots)))}" for key, roots in sorted(settings.items()))
        problems.append(f"the shards were graded with different settings (--timeout, --budget, --memory-gib, "
                        f"--disk-mib, --profile, --sandbox or --figures): {listing}")
    if problems:
        raise MergeRefused(f"merge of {chapter} refused, nothing was copied:\n  " + "\n  ".join(problems))
    return chosen


def merge(chapter: str, target: ClassFolder, shards: list[Path], echo=print) -> int:
    """Combine the results of shard work folders (graded with --shard i/n) into ``target``.

    Every result is checked first (readable, same release of the chapter, same grader version,
    same settings, for the submission beside it); if one fails, nothing is copied.
    """
    chosen = _merge_plan(chapter, target, shards)
    release(chapter, target)
    for student, (shard, result_path, result) in sorted(chosen.items()):
        for kind in ("submitted", "autograded", "feedback"):
            source = shard.root / kind / student / chapter
            destination = target.root / kind / student / chapter
            if destination.exists():
                shutil.rmtree(destination)
            if source.is_dir():
                shutil.copytree(source, destination)
        if result["status"] == "graded":
            copy_grades(shard.db, target.db, chapter, student)
        write_atomic(target.result(student, chapter), result_path.read_text(encoding="utf-8"))
    for root in sorted({str(shard.root) for shard, _, _ in chosen.values()}):
        target.log(chapter, f"merged {root}", echo)
    return len(chosen)
