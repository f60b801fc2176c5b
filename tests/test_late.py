"""Deadlines, extensions and late penalties: exact boundaries, caps, cut-offs, and bad files."""
from __future__ import annotations

import datetime as dt
import os
import zipfile

import pandas as pd
import pytest

from autograder import engine, late

UTC = dt.timezone.utc
DEADLINE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
DAILY = late.Policy(deadline=DEADLINE, percent=10, cap=30)


def _after(**delta) -> dt.datetime:
    return DEADLINE + dt.timedelta(**delta)


@pytest.mark.parametrize("submitted, penalty", [
    (DEADLINE, 0.0),                          # at the deadline: on time
    (_after(seconds=1), 1.2),                 # one second late: one started day, 10 % of 12
    (_after(days=1), 1.2),                    # exactly one day late: still one day
    (_after(days=1, seconds=1), 2.4),         # the second day has started
    (_after(days=3), 3.6),                    # 30 %
    (_after(days=5), 3.6),                    # 50 % capped at 30 %
    (_after(days=-3), 0.0),                   # early
])
def test_penalty_per_started_day_with_a_cap(submitted, penalty):
    verdict = late.judge(DAILY, submitted, raw=10.0, maximum=12.0)
    assert verdict.penalty == pytest.approx(penalty)
    assert verdict.final == pytest.approx(10.0 - penalty)
    assert (verdict.hours_late > 0) == (submitted > DEADLINE)


def test_the_penalty_never_takes_more_than_the_raw_score():
    verdict = late.judge(DAILY, _after(days=2), raw=1.0, maximum=12.0)
    assert verdict.penalty == 1.0 and verdict.final == 0.0


def test_grace_period_and_hourly_penalty():
    hourly = late.Policy(deadline=DEADLINE, grace=dt.timedelta(minutes=10), percent=2,
                         period=dt.timedelta(hours=1))
    assert late.judge(hourly, _after(minutes=10), 12.0, 12.0).penalty == 0.0
    assert "grace" in late.judge(hourly, _after(minutes=9), 12.0, 12.0).reason
    # Past the grace period, lateness counts from the deadline: 90 minutes = 2 started hours = 4 %.
    assert late.judge(hourly, _after(minutes=90), 12.0, 12.0).penalty == pytest.approx(0.48)
    assert late.judge(hourly, _after(minutes=11), 12.0, 12.0).penalty == pytest.approx(0.24)


def test_zero_after_the_cutoff():
    policy = late.Policy(deadline=DEADLINE, percent=10, cutoff=_after(days=2))
    assert late.judge(policy, _after(days=2), 12.0, 12.0).final == pytest.approx(9.6)
    verdict = late.judge(policy, _after(days=2, seconds=1), 12.0, 12.0)
    assert verdict.final == 0.0 and verdict.penalty == 12.0 and "cut-off" in verdict.reason


def test_extensions_move_the_deadline_and_the_cutoff(tmp_path):
    path = tmp_path / "deadlines.toml"
    path.write_text("""
[chapters.00_welcome]
deadline = 2026-12-01T23:59:00Z
penalty_per_day = 10
cutoff = 2026-12-03T23:59:00Z

[extensions.00_welcome]
bob = 2026-12-04T23:59:00Z
cyd = { days = 2 }
""")
    data = late.load(path)
    policy = late.policy_of(data, "00_welcome")
    ext = {s: late._extension(data, "00_welcome", s) for s in ("ada", "bob", "cyd")}
    assert ext["ada"] is None
    on_time = late.judge(policy, _after(days=3), 12.0, 12.0, ext["bob"])
    assert on_time.penalty == 0.0 and "extended from 2026-12-01T23:59:00+00:00" in on_time.reason
    # cyd's cut-off moved two days as well: three days after the original deadline is one day late, not zero.
    shifted = late.judge(policy, _after(days=3), 12.0, 12.0, ext["cyd"])
    assert shifted.penalty == pytest.approx(1.2) and shifted.deadline == _after(days=2)
    assert late.judge(policy, _after(days=3), 12.0, 12.0, ext["ada"]).final == 0.0


@pytest.mark.parametrize("text, message", [
    ("[chapters.00_welcome]\npenalty_per_day = 10\n", "no deadline"),
    ("[chapters.00_welcome]\ndeadline = 2026-12-01T23:59:00Z\npenalty = 10\n", "unknown key(s) ['penalty']"),
    ("[chapters.00_welcome]\ndeadline = 2026-12-01T23:59:00Z\npenalty_per_day = 1\npenalty_per_hour = 1\n",
     "not both"),
    ("[chapters.00_welcome]\ndeadline = 2026-12-01\n", "expected a date and time"),
    ("[chapters.00_welcome]\ndeadline = 2026-12-01T23:59:00Z\ncutoff = 2026-11-30T23:59:00Z\n", "before the deadline"),
    ("[chapters.00_welcome]\ndeadline = 2026-12-01T23:59:00Z\ncap = 150\n", "cap: expected a number from 0 to 100"),
    ("[extensions.00_welcome]\nbob = { weeks = 1 }\n", "bob: expected { days = N }"),
    ("[deadline]\n", "unknown section(s) ['deadline']"),
    ("[chapters.00_welcome\n", "not valid TOML"),
])
def test_a_bad_deadlines_file_is_named(tmp_path, text, message):
    path = tmp_path / "deadlines.toml"
    path.write_text(text)
    with pytest.raises(late.PolicyError, match=None) as raised:
        late.load(path)
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_import_records_the_hand_in_time_and_export_applies_the_policy(tmp_path):
    """The zip entry's time and the file's time become the submission time; the CSV and log say why."""
    incoming = tmp_path / "in"
    incoming.mkdir()
    notebook = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    (incoming / "ada.ipynb").write_text(notebook)
    on_time = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
    os.utime(incoming / "ada.ipynb", (on_time, on_time))
    archive = tmp_path / "late.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        local = dt.datetime(2026, 12, 3, 1, 30, tzinfo=UTC).astimezone()  # zip times are local times
        bundle.writestr(zipfile.ZipInfo("bob.ipynb", local.timetuple()[:6]), notebook)
    folder = engine.ClassFolder(tmp_path / "class")
    engine.import_submissions("00_welcome", incoming, folder, echo=None)
    engine.import_submissions("00_welcome", archive, folder, echo=None)
    assert late.submission_time(folder, "ada", "00_welcome") == (dt.datetime.fromtimestamp(on_time, UTC),
                                                                  "recorded at import")
    (folder.root / "deadlines.toml").write_text(
        "[chapters.00_welcome]\ndeadline = 2026-12-01T23:59:00Z\npenalty_per_day = 25\ncap = 40\n")
    table = pd.DataFrame({"student": ["ada", "bob"], "total": [8.0, 10.0], "max": [12.0, 12.0]})
    lines = []
    judged = late.apply(table, "00_welcome", folder, None, echo=lines.append).set_index("student")
    assert judged.loc["ada", ["penalty", "final", "hours_late"]].tolist() == [0.0, 8.0, 0.0]
    # bob: 25.5 hours late = 2 started days = 50 %, capped at 40 % of 12 = 4.8 points.
    assert judged.loc["bob", "hours_late"] == 25.52
    assert judged.loc["bob", ["penalty", "final"]].tolist() == [pytest.approx(4.8), pytest.approx(5.2)]
    assert len(lines) == 1 and lines[0].startswith("bob: late: 25.52 h late") and "capped at 40%" in lines[0]
    assert "bob: late:" in (folder.root / "log" / "00_welcome.log").read_text()

    # An extension for an id with no submission (a typo) is not silently ignored.
    (folder.root / "deadlines.toml").write_text(
        "[chapters.00_welcome]\ndeadline = 2026-12-01T23:59:00Z\n[extensions.00_welcome]\nBob = { days = 3 }\n")
    lines.clear()
    late.apply(table, "00_welcome", folder, None, echo=lines.append)
    assert lines[-1].startswith("WARNING:") and "'Bob' an extension for 00_welcome, but no such student" in lines[-1]

    with pytest.raises(late.PolicyError, match="no such deadlines file"):
        late.apply(table, "00_welcome", folder, tmp_path / "missing.toml")
