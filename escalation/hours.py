"""Business hours: "Mon-Fri 08:00-20:00; Sat 09:00-13:00" in an IANA time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_GROUP = re.compile(r"^\s*([A-Za-z,\- ]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


class HoursError(ValueError):
    """A business-hours string that cannot be read; the message says what to write."""


def _parse_days(text: str) -> set[int]:
    days: set[int] = set()
    for part in text.replace(" ", "").lower().split(","):
        if not part:
            continue
        ends = part.split("-")
        try:
            idx = [DAYS.index(e[:3]) for e in ends]
        except ValueError:
            raise HoursError(f"unknown day in {text!r}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun") from None
        if len(idx) == 1:
            days.add(idx[0])
        elif len(idx) == 2:
            a, b = idx
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            raise HoursError(f"bad day range {part!r}")
    return days


def _parse_time(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours == 24 and minutes == 0:
        return time(23, 59, 59, 999999)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise HoursError(f"bad time {text!r}; use HH:MM")
    return time(hours, minutes)


@dataclass(frozen=True)
class BusinessHours:
    """Opening periods per weekday; an empty spec or "always" means always open."""

    periods: tuple[tuple[frozenset[int], time, time], ...]
    tz: ZoneInfo
    always: bool = False

    @classmethod
    def parse(cls, spec: str, timezone: str = "UTC") -> BusinessHours:
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"unknown time zone {timezone!r}; use an IANA name like Europe/London") from None
        if spec.strip().lower() in ("", "always", "24/7"):
            return cls((), tz, always=True)
        periods = []
        for group in re.split(r"[;\n]", spec):
            if not group.strip():
                continue
            match = _GROUP.match(group)
            if not match:
                raise HoursError(f"cannot read business hours {group.strip()!r}; write e.g. 'Mon-Fri 08:00-20:00'")
            days, start, end = match.groups()
            periods.append((frozenset(_parse_days(days)), _parse_time(start), _parse_time(end)))
        return cls(tuple(periods), tz)

    def is_open(self, when: datetime | None = None) -> bool:
        """True when `when` (default now; naive means UTC) falls in an opening period."""
        if self.always:
            return True
        when = when or datetime.now(self.tz)
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo("UTC"))
        local = when.astimezone(self.tz)
        day, now = local.weekday(), local.time()
        for days, start, end in self.periods:
            if start <= end:
                if day in days and start <= now < end:
                    return True
            elif (day in days and now >= start) or ((day - 1) % 7 in days and now < end):
                return True  # a period past midnight belongs to the day it started
        return False
