"""Grade files for a learning-management system, from the exported grade table.

The class folder knows students by the id the import gave them (a login, a folder name); the
LMS knows them by its own ids. A **roster** (CSV) maps one to the other: a ``student`` column
with the class-folder id and the LMS's own columns, named as the LMS names them in its
gradebook export, so a roster is the LMS's export with one column added:

* Canvas: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section`` (at least one of
  ``ID``, ``SIS User ID``, ``SIS Login ID`` for each student);
* Moodle: ``First name``, ``Last name``, ``ID number``, ``Email address``, ``Username``
  (at least one of ``ID number``, ``Email address``, ``Username``).

The score written is ``final`` (after the late policy). Formats (see the instructor page for
the sources): Canvas's gradebook import takes a CSV with the identity columns above, then one
column per assignment, optionally a "Points Possible" row; Moodle's CSV grade import takes any
columns and asks, on upload, which column identifies the user and which holds the grade.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_KEYS = ["ID", "SIS User ID", "SIS Login ID"]
MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Email address", "Username"]
MOODLE_KEYS = ["ID number", "Email address", "Username"]


class RosterError(ValueError):
    """The roster cannot map the grades; the message names the students or columns."""


def read_roster(path: Path, keys: list[str]) -> dict[str, dict[str, str]]:
    """``student`` -> the roster's row; every student needs one of ``keys`` filled in."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"{path}: no such roster file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    columns = set(rows[0]) if rows else set()
    if "student" not in columns:
        raise RosterError(f"{path}: needs a 'student' column (the id in the class folder) "
                          f"and one of {keys}; it has {sorted(columns)}")
    if not columns & set(keys):
        raise RosterError(f"{path}: needs one of the columns {keys} to identify students in the LMS")
    roster: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows, start=2):
        student = (row.get("student") or "").strip()
        if not student:
            raise RosterError(f"{path}, line {number}: empty 'student'")
        if student in roster:
            raise RosterError(f"{path}, line {number}: student {student!r} appears twice")
        if not any((row.get(key) or "").strip() for key in keys):
            raise RosterError(f"{path}, line {number}: {student!r} has none of {keys}")
        roster[student] = {key: (value or "").strip() for key, value in row.items() if key}
    return roster


def _mapped(table: pd.DataFrame, roster: dict[str, dict[str, str]], roster_path: Path) -> pd.DataFrame:
    missing = sorted(set(table["student"]) - set(roster))
    if missing:
        raise RosterError(f"{roster_path}: no row for {', '.join(missing)}; add them (a 'student' column "
                          "with the class-folder id) so that no grade is dropped")
    return table.sort_values("student")


def _score(value) -> str:
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def canvas(table: pd.DataFrame, roster_path: Path, assignment: str, out: Path) -> Path:
    """A CSV for Canvas's Gradebook → Import. ``assignment`` is the column header: an
    existing assignment's name with its id, ``Name (12345)``, as in Canvas's own export, or a
    new name, for which Canvas offers to create an assignment."""
    roster = read_roster(roster_path, CANVAS_KEYS)
    table = _mapped(table, roster, roster_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CANVAS_COLUMNS, assignment])
        maximum = table["max"].iloc[0] if len(table) else 0
        writer.writerow(["Points Possible", "", "", "", "", _score(maximum)])
        for _, row in table.iterrows():
            person = roster[row["student"]]
            writer.writerow([*(person.get(column, "") for column in CANVAS_COLUMNS), _score(row["final"])])
    return out


def moodle(table: pd.DataFrame, roster_path: Path, assignment: str, out: Path) -> Path:
    """A CSV for Moodle's Grades → Import → CSV file: the identity columns of the roster, the
    grade column named ``assignment`` and a feedback column; map "Email address" (or "ID
    number", "Username") to the user and the grade column to the grade item on upload."""
    roster = read_roster(roster_path, MOODLE_KEYS)
    table = _mapped(table, roster, roster_path)
    present = [column for column in MOODLE_COLUMNS if any(person.get(column) for person in roster.values())]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*present, assignment, f"Feedback: {assignment}"])
        for _, row in table.iterrows():
            person = roster[row["student"]]
            note = f"{_score(row['total'])} of {_score(row['max'])} points"
            if float(row["penalty"]):
                note += f", late penalty {_score(row['penalty'])}"
            if row["status"] != "graded":
                note += f"; not graded: {row['reason']}"
            writer.writerow([*(person.get(column, "") for column in present), _score(row["final"]), note])
    return out


def write(fmt: str, table: pd.DataFrame, roster_path: Path | None, assignment: str, out_dir: Path,
          chapter: str) -> Path:
    if roster_path is None:
        raise RosterError(f"--format {fmt} needs --roster (a CSV mapping class-folder ids to {fmt} ids)")
    writer = {"canvas": canvas, "moodle": moodle}[fmt]
    return writer(table, Path(roster_path), assignment or chapter, out_dir / f"{chapter}_{fmt}.csv")
