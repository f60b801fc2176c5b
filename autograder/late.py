"""Deadlines, extensions and late penalties, applied when grades are exported.

The instructor keeps one small TOML file (``deadlines.toml`` in the class folder unless
``--deadlines`` names another)::

    [chapters.03_attention]
    deadline = 2026-12-01T23:59:00+01:00   # a TOML date-time; without an offset, this machine's local time
    grace_minutes = 10                     # optional: up to 10 minutes after the deadline counts as on time
    penalty_per_day = 10                   # percent of the maximum points for each started day late
    # penalty_per_hour = 0.5               # ... or for each started hour (not both)
    cap = 30                               # optional: the penalty never exceeds 30 percent of the maximum
    cutoff = 2026-12-08T23:59:00+01:00     # optional: a submission after this scores 0

    [extensions.03_attention]
    bob = 2026-12-03T23:59:00+01:00        # a new deadline for bob
    cyd = { days = 2 }                     # or a shift: days and/or hours

An extension moves the deadline and the cut-off by the same amount. The submission's time
is the time the import recorded (the file's time inside the LMS zip, or the file's
modification time), in ``submitted/<student>/<id>/timestamp.txt``; the grade itself never
changes, so a new policy or extension needs only a new ``export``.
"""
from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

POLICY_KEYS = {"deadline", "grace_minutes", "penalty_per_day", "penalty_per_hour", "cap", "cutoff"}
SHIFT_KEYS = {"days", "hours"}


class PolicyError(ValueError):
    """The deadlines file is not what this module expects; the message names the entry."""


@dataclass(frozen=True)
class Policy:
    deadline: dt.datetime
    grace: dt.timedelta = dt.timedelta(0)
    percent: float = 0.0          # of the maximum points, per started period
    period: dt.timedelta = dt.timedelta(days=1)
    cap: float = 100.0            # percent of the maximum points
    cutoff: dt.datetime | None = None


@dataclass(frozen=True)
class Verdict:
    submitted_at: dt.datetime
    deadline: dt.datetime         # after any extension
    hours_late: float             # 0 when on time
    penalty: float                # points taken off
    final: float
    reason: str


def _aware(value, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.astimezone()  # a local date-time: this machine's zone
    raise PolicyError(f"{where}: expected a date and time such as 2026-12-01T23:59:00+01:00, got {value!r}")


def _number(value, where: str, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise PolicyError(f"{where}: expected a number from {low:g} to {high:g}, got {value!r}")
    return float(value)


def load(path: Path) -> dict:
    """Read and check a deadlines file; raises :class:`PolicyError` naming what is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML ({error})") from None
    unknown = set(data) - {"chapters", "extensions"}
    if unknown:
        raise PolicyError(f"{path}: unknown section(s) {sorted(unknown)}; "
                          "expected [chapters.<id>] and [extensions.<id>]")
    for chapter in data.get("chapters", {}):
        policy_of(data, chapter, where=str(path))
    for chapter, students in data.get("extensions", {}).items():
        for student in students:
            _extension(data, chapter, student, where=str(path))
    return data


def policy_of(data: dict, chapter: str, where: str = "deadlines") -> Policy | None:
    entry = data.get("chapters", {}).get(chapter)
    if entry is None:
        return None
    here = f"{where}: [chapters.{chapter}]"
    unknown = set(entry) - POLICY_KEYS
    if unknown:
        raise PolicyError(f"{here}: unknown key(s) {sorted(unknown)}; expected some of {sorted(POLICY_KEYS)}")
    if "deadline" not in entry:
        raise PolicyError(f"{here}: no deadline")
    if "penalty_per_day" in entry and "penalty_per_hour" in entry:
        raise PolicyError(f"{here}: give penalty_per_day or penalty_per_hour, not both")
    deadline = _aware(entry["deadline"], f"{here} deadline")
    cutoff = _aware(entry["cutoff"], f"{here} cutoff") if "cutoff" in entry else None
    if cutoff is not None and cutoff < deadline:
        raise PolicyError(f"{here}: the cutoff {cutoff} is before the deadline {deadline}")
    hourly = "penalty_per_hour" in entry
    return Policy(deadline=deadline,
                  grace=dt.timedelta(minutes=_number(entry.get("grace_minutes", 0), f"{here} grace_minutes")),
                  percent=_number(entry.get("penalty_per_hour" if hourly else "penalty_per_day", 0),
                                  f"{here} penalty", high=100),
                  period=dt.timedelta(hours=1) if hourly else dt.timedelta(days=1),
                  cap=_number(entry.get("cap", 100), f"{here} cap", high=100), cutoff=cutoff)


def _extension(data: dict, chapter: str, student: str, where: str = "deadlines") -> dt.datetime | dt.timedelta | None:
    value = data.get("extensions", {}).get(chapter, {}).get(student)
    if value is None:
        return None
    here = f"{where}: [extensions.{chapter}] {student}"
    if isinstance(value, dict):
        unknown = set(value) - SHIFT_KEYS
        if unknown or not value:
            raise PolicyError(f"{here}: expected {{ days = N }} and/or {{ hours = N }}, got {value!r}")
        return dt.timedelta(days=_number(value.get("days", 0), here), hours=_number(value.get("hours", 0), here))
    return _aware(value, here)


def judge(policy: Policy, submitted_at: dt.datetime, raw: float, maximum: float,
          extension: dt.datetime | dt.timedelta | None = None) -> Verdict:
    """The penalty for one submission: none up to the deadline (plus grace), then ``percent``
    of the maximum for each started period after the deadline, at most ``cap`` percent and
    never more than the raw score; zero after the cut-off."""
    shift = dt.timedelta(0)
    if isinstance(extension, dt.timedelta):
        shift = extension
    elif isinstance(extension, dt.datetime):
        shift = extension - policy.deadline
    deadline = policy.deadline + shift
    cutoff = policy.cutoff + shift if policy.cutoff is not None else None
    extended = f" (extended from {policy.deadline.isoformat()})" if shift else ""
    late = submitted_at - deadline
    if late <= policy.grace:
        note = " within the grace period" if late > dt.timedelta(0) else ""
        return Verdict(submitted_at, deadline, 0.0, 0.0, raw,
                       f"on time{note}: submitted {submitted_at.isoformat()}, "
                       f"deadline {deadline.isoformat()}{extended}")
    hours = late.total_seconds() / 3600
    if cutoff is not None and submitted_at > cutoff:
        return Verdict(submitted_at, deadline, hours, raw, 0.0,
                       f"submitted {submitted_at.isoformat()}, after the cut-off {cutoff.isoformat()}: scores 0")
    periods = math.ceil(late / policy.period)
    percent = min(policy.cap, periods * policy.percent)
    penalty = min(raw, round(maximum * percent / 100, 4))
    unit = "hour" if policy.period == dt.timedelta(hours=1) else "day"
    capped = f", capped at {policy.cap:g}%" if periods * policy.percent > policy.cap else ""
    return Verdict(submitted_at, deadline, hours, penalty, round(raw - penalty, 4),
                   f"{hours:.2f} h late (deadline {deadline.isoformat()}{extended}): {periods} started {unit}(s) "
                   f"x {policy.percent:g}% = {periods * policy.percent:g}%{capped} of {maximum:g} points, "
                   f"minus {penalty:g}")


def submission_time(folder, student: str, chapter: str) -> tuple[dt.datetime, str]:
    """When the submission was handed in, and where that time comes from."""
    submitted = folder.submitted(student, chapter)
    stamp = submitted.parent / "timestamp.txt"
    if stamp.is_file():
        try:
            return dt.datetime.fromisoformat(stamp.read_text(encoding="utf-8").strip()), "recorded at import"
        except ValueError:
            pass
    moment = dt.datetime.fromtimestamp(submitted.stat().st_mtime, dt.timezone.utc)
    return moment, "the file's modification time (no import time recorded)"


def apply(table, chapter: str, folder, deadlines: Path | None, echo=print):
    """Add ``submitted_at``, ``hours_late``, ``penalty`` and ``final`` to a grade table; log each penalty."""
    path = Path(deadlines) if deadlines else folder.root / "deadlines.toml"
    if deadlines and not path.is_file():
        raise PolicyError(f"{path}: no such deadlines file")
    data = load(path) if path.is_file() else {}
    policy = policy_of(data, chapter, where=str(path))
    table = table.copy()
    times, hours, penalties, finals = [], [], [], []
    for _, row in table.iterrows():
        moment, source = submission_time(folder, row["student"], chapter)
        times.append(moment.isoformat())
        if policy is None:
            hours.append(0.0), penalties.append(0.0), finals.append(row["total"])
            continue
        verdict = judge(policy, moment, float(row["total"]), float(row["max"]),
                        _extension(data, chapter, row["student"], where=str(path)))
        hours.append(round(verdict.hours_late, 2)), penalties.append(verdict.penalty), finals.append(verdict.final)
        if verdict.hours_late > 0:
            folder.log(chapter, f"{row['student']}: late: {verdict.reason} (time: {source}); "
                                f"{row['total']:g} -> {verdict.final:g}", echo)
    table["submitted_at"], table["hours_late"], table["penalty"], table["final"] = times, hours, penalties, finals
    for student in sorted(set(data.get("extensions", {}).get(chapter, {})) - set(table["student"])):
        folder.log(chapter, f"WARNING: {path} gives {student!r} an extension for {chapter}, but no such student "
                            "has a submission (a misspelt id?)", echo)
    return table
