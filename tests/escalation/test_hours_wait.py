from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from escalation.hours import BusinessHours, HoursError
from escalation.wait import estimate_wait


def at(spec: str, tz: str, iso: str) -> bool:
    return BusinessHours.parse(spec, tz).is_open(datetime.fromisoformat(iso))


def test_weekday_hours_in_a_time_zone():
    # 2026-11-27 is a Friday.
    assert at("Mon-Fri 08:00-20:00", "UTC", "2026-11-27T08:00:00+00:00")
    assert not at("Mon-Fri 08:00-20:00", "UTC", "2026-11-27T20:00:00+00:00")
    assert not at("Mon-Fri 08:00-20:00", "UTC", "2026-11-28T12:00:00+00:00")  # Saturday
    # 07:30 UTC is 08:30 in Berlin (CET, UTC+1 in November).
    assert at("Mon-Fri 08:00-20:00", "Europe/Berlin", "2026-11-27T07:30:00+00:00")
    assert not at("Mon-Fri 08:00-20:00", "America/New_York", "2026-11-27T12:30:00+00:00")
    hours = BusinessHours.parse("Mon-Fri 08:00-20:00; Sat 09:00-13:00", "UTC")
    assert hours.is_open(datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("UTC")))
    assert not hours.is_open(datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("UTC")))


def test_overnight_and_always():
    assert at("Fri 22:00-06:00", "UTC", "2026-11-28T05:59:00+00:00")  # Saturday early = Friday's
    assert not at("Fri 22:00-06:00", "UTC", "2026-11-27T05:59:00+00:00")
    assert BusinessHours.parse("always").is_open()


@pytest.mark.parametrize("spec,tz", [("Mon-Fry 08:00-20:00", "UTC"), ("weekdays", "UTC"),
                                     ("Mon 25:00-26:00", "UTC"), ("Mon 08:00-09:00", "Mars/Base")])
def test_bad_specs_say_what_is_wrong(spec, tz):
    with pytest.raises(HoursError):
        BusinessHours.parse(spec, tz)


def test_wait_estimate_and_announcement():
    info = estimate_wait(3, [120, 120, 900], agents=1)
    assert info.position == 3 and info.estimated_wait_s == 300
    assert info.announcement() == "You are number 3; the wait is about 5 minutes."
    assert estimate_wait(3, [120, 120, 900], agents=2).estimated_wait_s == 150
    assert estimate_wait(1, [60], agents=1).announcement() == "You are next in line; the wait is less than a minute."
    assert estimate_wait(2, [], agents=0, default_handle_time_s=240).estimated_wait_s == 360
