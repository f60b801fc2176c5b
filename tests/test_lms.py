"""Grade files for Canvas and Moodle: a round trip through a sample roster, read back the way
each LMS reads its import file (Canvas: the identity columns, a "Points Possible" row, one
column per assignment; Moodle: a user column and a grade column chosen on upload)."""
from __future__ import annotations

import csv

import pandas as pd
import pytest

from autograder import lms

ROSTER = """student,Student,ID,SIS User ID,SIS Login ID,Section,First name,Last name,Email address,ID number
ada,"Lovelace, Ada",1001,S-001,ada.l,Section A,Ada,Lovelace,ada@example.edu,S-001
bob,"Babbage, Bob",1002,S-002,bob.b,Section A,Bob,Babbage,bob@example.edu,S-002
Jane_Doe_424242,"Doe, Jane",1003,S-003,jane.d,Section B,Jane,Doe,jane@example.edu,S-003
zed,"Zeta, Zed",1004,S-004,zed.z,Section B,Zed,Zeta,zed@example.edu,S-004
"""


def _grades() -> pd.DataFrame:
    """The exported grade table (grades/<id>.csv) of three students: raw, penalty, final."""
    return pd.DataFrame({
        "student": ["bob", "ada", "Jane_Doe_424242"], "total": [12.0, 7.5, 12.0], "max": [12.0] * 3,
        "status": ["graded", "graded", "not graded"], "reason": ["", "", "not a readable notebook (invalid JSON)"],
        "penalty": [0.0, 0.0, 3.6], "final": [12.0, 7.5, 8.4]})


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_canvas_round_trip(tmp_path, roster):
    out = lms.canvas(_grades(), roster, "Attention (98765)", tmp_path / "canvas.csv")
    rows = _rows(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Attention (98765)"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "12"
    # Canvas matches a row by its ID (or SIS ids) and reads the assignment column.
    by_canvas_id = {row[1]: float(row[5]) for row in rows[2:]}
    canvas_id_of = {row["student"]: row["ID"] for row in csv.DictReader(roster.open())}
    back = {student: by_canvas_id[canvas_id_of[student]] for student in _grades()["student"]}
    assert back == dict(zip(_grades()["student"], _grades()["final"])), "the final score of every student"
    assert "1004" not in by_canvas_id, "a student without a submission is left out (Canvas keeps the cell)"
    assert rows[2][:5] == ["Doe, Jane", "1003", "S-003", "jane.d", "Section B"]


def test_moodle_round_trip(tmp_path, roster):
    out = lms.moodle(_grades(), roster, "00 Welcome", tmp_path / "moodle.csv")
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert list(rows[0]) == ["First name", "Last name", "ID number", "Email address", "00 Welcome",
                             "Feedback: 00 Welcome"]
    email_of = {row["student"]: row["Email address"] for row in csv.DictReader(roster.open())}
    by_email = {row["Email address"]: float(row["00 Welcome"]) for row in rows}
    assert {s: by_email[email_of[s]] for s in _grades()["student"]} == dict(zip(_grades()["student"],
                                                                                   _grades()["final"]))
    jane = next(row for row in rows if row["ID number"] == "S-003")
    assert jane["Feedback: 00 Welcome"] == \
        "12 of 12 points, late penalty 3.6; not graded: not a readable notebook (invalid JSON)"


def test_a_student_missing_from_the_roster_stops_the_export(tmp_path, roster):
    grades = pd.concat([_grades(), _grades().iloc[[0]].assign(student="newcomer")])
    with pytest.raises(lms.RosterError, match="no row for newcomer"):
        lms.canvas(grades, roster, "A", tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize("text, message", [
    ("name,ID\nada,1\n", "needs a 'student' column"),
    ("student,Section\nada,A\n", "needs one of the columns"),
    ("student,ID\nada,1\nada,2\n", "line 3: student 'ada' appears twice"),
    ("student,ID\nada,\n", "line 2: 'ada' has none of"),
])
def test_a_bad_roster_is_named(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(lms.RosterError, match=None) as raised:
        lms.canvas(_grades(), path, "A", tmp_path / "c.csv")
    assert message in str(raised.value)
