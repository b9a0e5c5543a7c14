"""RFC 3339 timestamps and ISO dates, written exactly as the format requires."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, timedelta, timezone

from .errors import quoted

_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})([Tt ])([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ONE_MINUTE = timedelta(minutes=1)


# The canonical form only: no +00:00, no all-zero fraction, upper-case T and Z.
# Hours and offsets in range: fromisoformat reads an offset's minute 60 as
# the next hour, and a newer one may read hour 24 as the next midnight.
_CANONICAL_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([01][0-9]|2[0-3]):([0-9]{2}):([0-9]{2})"
    r"(?:\.(?!000000)([0-9]{6}))?(?:Z|([+-])(?!00:00)([01][0-9]|2[0-3]):([0-5][0-9]))"
)


#: The canonical form of a timestamp, as a pattern to build others with.
CANONICAL_TIMESTAMP = _CANONICAL_TIMESTAMP.pattern
#: A ``YYYY-MM-DD`` date's shape (whether it exists is another matter).
DATE_SHAPE = _DATE.pattern


class TimestampProblem(ValueError):
    """Why a value is not a timestamp or date (turned into a diagnostic)."""


def parse_timestamp(text: str) -> tuple[datetime, str | None]:
    """Read an RFC 3339 timestamp [TS-1].

    Returns the aware datetime and, when the text is accepted but not
    canonical, a note saying what differs.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise TimestampProblem(
            f"{quoted(text)} is not an RFC 3339 timestamp; write it like 2025-05-06T08:03:26Z"
            " or 2025-03-24T12:54:42+08:00"
        )
    year, month, day, _, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if second == "60":
        raise TimestampProblem(f"{quoted(text)} is a leap second, which cannot be represented")
    microsecond = 0
    if fraction is not None:
        if len(fraction) > 6 and fraction[6:].strip("0"):
            raise TimestampProblem(
                f"{quoted(text)} is more precise than microseconds; round it to 6 fractional digits"
            )
        microsecond = int(fraction[:6].ljust(6, "0"))
    if zulu is not None:
        offset = timedelta(0)
    else:
        if int(off_h) > 23 or int(off_m) > 59:
            raise TimestampProblem(f"{quoted(text)} has an offset out of range (-23:59 to +23:59)")
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if sign == "-":
            offset = -offset
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            microsecond,
            tzinfo=timezone(offset),
        )
    except ValueError as exc:
        raise TimestampProblem(f"{quoted(text)} is not a real date and time ({exc})") from None
    canonical = format_timestamp(value)
    note = None
    if text != canonical:
        note = f"timestamp {quoted(text)} is written canonically as {quoted(canonical)}"
    return value, note


def read_canonical_timestamp(text: str) -> datetime | None:
    """The timestamp when ``text`` is a valid one in canonical form, else None."""
    if _CANONICAL_TIMESTAMP.fullmatch(text) is None:
        return None
    try:
        return from_canonical_timestamp(text)
    except ValueError:
        return None  # not a real date or time: the full reader says why


# The datetime of text that CANONICAL_TIMESTAMP matched; a ValueError when
# there is no such date or time. The canonical form is a subset of what
# fromisoformat reads, once Python 3.10 is given 'Z' spelled as an offset;
# the tzinfo is a fixed-offset timezone, as parse_timestamp gives.
if sys.version_info >= (3, 11):
    from_canonical_timestamp = datetime.fromisoformat
else:  # pragma: no cover - Python 3.10, whose tests .ci/package runs

    def from_canonical_timestamp(text: str) -> datetime:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] == "Z" else text)


def format_timestamp(value: datetime) -> str:
    """The canonical form [TS-2]: ``Z`` for UTC, ``±HH:MM`` otherwise, 6
    fractional digits only when there are microseconds."""
    offset = value.utcoffset()
    if offset is None:
        raise TimestampProblem("the datetime has no UTC offset")
    # isoformat writes the fraction exactly when there are microseconds.
    text = value.isoformat()
    if not offset:
        return text[:-6] + "Z"  # isoformat writes a zero offset "+00:00"
    if offset % _ONE_MINUTE:
        # isoformat would add the offset's seconds; the model refuses such
        # offsets [MOD-3], so only a caller bypassing it gets here.
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(offset) // _ONE_MINUTE
        return f"{text[: text.rindex(sign)]}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text


def offset_problem(value: datetime) -> str | None:
    """Why an aware datetime cannot be written as RFC 3339, if it cannot [MOD-3]."""
    offset = value.utcoffset()
    if offset is None:
        return "the datetime is naive; give it a timezone (e.g. tzinfo=timezone.utc)"
    if offset % _ONE_MINUTE:
        return f"the UTC offset {offset} is not a whole number of minutes"
    if value.year < 1:
        return "the year is out of range"
    return None


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date that exists [TS-3]."""
    if _DATE.fullmatch(text) is None:
        raise TimestampProblem(f"{quoted(text)} is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise TimestampProblem(f"{quoted(text)} is not a real date ({exc})") from None


def format_date(value: date) -> str:
    return value.isoformat()
