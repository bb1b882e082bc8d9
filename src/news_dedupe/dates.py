"""Publication dates of records: read in the many forms feeds write them, kept as UTC seconds.

A version of a story is filed within hours or days of its original; a templated report (the
next day's money-market notice, the next week's figures) or a follow-up comes on its own day.
Verification reads the dates for that (`verify.LATER_REPORT`); parsing is python-dateutil's,
which reads ISO 8601, RFC 2822 and wire formats such as ``25-MAR-1987 09:11:08.00``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from dateutil import parser as _parser

DAY = 86400.0
_UTC = dt.timezone.utc
# the date-like start of a value with something else after it ("27-MAR-1987 00:02:59.13&#5;RM")
_LEADING = re.compile(r"[\w ,:./+-]+")


class BadDate(ValueError):
    """A date field that holds something other than a date."""


def parse_date(value: object) -> float | None:
    """Seconds since the epoch (UTC) of a record's date; None for no date (missing, null, empty).

    Strings are read by dateutil (a date without a zone is taken as UTC), numbers as seconds
    since the epoch (milliseconds when they are that large), datetimes as they are. BadDate
    when the value is there but is no date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadDate(f"{value!r} is not a date")
    if isinstance(value, (int, float)):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise BadDate(f"{value!r} is not a date")
        return seconds / 1000.0 if abs(seconds) >= 1e11 else seconds
    if isinstance(value, dt.datetime):
        return _seconds(value)
    if isinstance(value, dt.date):
        return _seconds(dt.datetime(value.year, value.month, value.day))
    if not isinstance(value, str):
        raise BadDate(f"a {type(value).__name__} is not a date")
    text = value.strip()
    if not text:
        return None
    try:
        return _seconds(_parser.parse(text))
    except (ValueError, OverflowError):
        pass
    lead = _LEADING.match(text)
    if lead and lead.end() < len(text):
        try:
            return _seconds(_parser.parse(lead.group().strip()))
        except (ValueError, OverflowError):
            pass
    shown = text if len(text) <= 40 else text[:37] + "..."
    raise BadDate(f"{shown!r} is not a date")


def _seconds(when: dt.datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=_UTC)
    return when.timestamp()


def days_apart(a: float | None, b: float | None) -> float | None:
    """Days between two dates, None unless both are known."""
    if a is None or b is None:
        return None
    return abs(a - b) / DAY
