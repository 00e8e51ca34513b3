"""The slot engine on its own (no database): weekly hours in a zone to UTC slots, across
daylight-saving changes, less leave and appointments, within validity dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from api.scheduling.slots import (
    InvalidRules,
    ScheduleRules,
    WeeklyHours,
    check_rules,
    free_slots,
    slot_at,
    working_slots,
)

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def rules(zone: str = "Europe/London", minutes: int = 30,
          hours: tuple[WeeklyHours, ...] = (), valid_from: date = date(2026, 1, 1),
          valid_to: date | None = None) -> ScheduleRules:
    every_day = tuple(WeeklyHours(d, time(9), time(12)) for d in range(7))
    return ScheduleRules(timezone=zone, slot_minutes=minutes, weekly_hours=hours or every_day,
                         valid_from=valid_from, valid_to=valid_to)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_day_is_cut_into_slots_on_the_grid_from_opening() -> None:
    r = rules(hours=(WeeklyHours(0, time(9), time(11, 15)),), minutes=30)  # Monday
    slots = working_slots(r, utc(2026, 1, 5), utc(2026, 1, 6))
    # 09:00 London is 09:00 UTC in January; the last 15 minutes make no whole slot.
    assert [s.start for s in slots] == [utc(2026, 1, 5, 9), utc(2026, 1, 5, 9, 30),
                                        utc(2026, 1, 5, 10), utc(2026, 1, 5, 10, 30)]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


@pytest.mark.parametrize(("zone", "before", "after", "utc_before", "utc_after"), [
    # Europe/London: clocks go forward on Sunday 29 March 2026.
    ("Europe/London", date(2026, 3, 27), date(2026, 3, 30), 9, 8),
    # America/New_York: forward on Sunday 8 March 2026.
    ("America/New_York", date(2026, 3, 6), date(2026, 3, 9), 14, 13),
    # And back again in the autumn: 25 October (London), 1 November (New York).
    ("Europe/London", date(2026, 10, 23), date(2026, 10, 26), 8, 9),
    ("America/New_York", date(2026, 10, 30), date(2026, 11, 2), 13, 14),
])
def test_nine_local_maps_to_different_utc_across_a_daylight_saving_change(
        zone: str, before: date, after: date, utc_before: int, utc_after: int) -> None:
    r = rules(zone=zone)
    first_before = working_slots(r, datetime.combine(before, time(0), UTC),
                                 datetime.combine(before, time(23, 59), UTC))[0]
    first_after = working_slots(r, datetime.combine(after, time(0), UTC),
                                datetime.combine(after, time(23, 59), UTC))[0]
    assert first_before.start == datetime.combine(before, time(utc_before), UTC)
    assert first_after.start == datetime.combine(after, time(utc_after), UTC)


def test_hours_across_the_missing_hour_keep_real_durations() -> None:
    # 00:30-03:30 local on the night New York springs forward (02:00 -> 03:00): the day
    # holds two real hours, so four 30-minute slots, no slot in the missing hour.
    r = rules(zone="America/New_York", hours=(WeeklyHours(6, time(0, 30), time(3, 30)),))
    slots = working_slots(r, utc(2026, 3, 8), utc(2026, 3, 9))
    assert [s.start for s in slots] == [utc(2026, 3, 8, 5, 30), utc(2026, 3, 8, 6),
                                        utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7)]


def test_leave_and_appointments_remove_slots_and_leave_can_straddle_days() -> None:
    r = rules(zone="UTC", hours=tuple(WeeklyHours(d, time(9), time(12)) for d in range(7)))
    leave = (utc(2026, 2, 2, 11), utc(2026, 2, 3, 10))  # Monday 11:00 to Tuesday 10:00
    appointment = (utc(2026, 2, 3, 11), utc(2026, 2, 3, 11, 30))
    slots = free_slots(r, utc(2026, 2, 2), utc(2026, 2, 4), busy=[leave, appointment],
                       now=LONG_AGO)
    starts = [s.start for s in slots]
    assert starts == [utc(2026, 2, 2, 9), utc(2026, 2, 2, 9, 30), utc(2026, 2, 2, 10),
                      utc(2026, 2, 2, 10, 30),
                      utc(2026, 2, 3, 10), utc(2026, 2, 3, 10, 30), utc(2026, 2, 3, 11, 30)]


def test_a_busy_stretch_partly_over_a_slot_takes_the_slot() -> None:
    r = rules(zone="UTC", hours=(WeeklyHours(0, time(9), time(10)),))
    busy = [(utc(2026, 2, 2, 9, 20), utc(2026, 2, 2, 9, 40))]
    assert free_slots(r, utc(2026, 2, 2), utc(2026, 2, 3), busy=busy, now=LONG_AGO) == []


def test_past_slots_are_not_offered() -> None:
    r = rules(zone="UTC")
    now = utc(2026, 2, 2, 10, 10)
    slots = free_slots(r, utc(2026, 2, 2), utc(2026, 2, 2, 23), busy=[], now=now)
    assert [s.start for s in slots] == [utc(2026, 2, 2, 10, 30), utc(2026, 2, 2, 11),
                                        utc(2026, 2, 2, 11, 30)]


def test_validity_dates_are_inclusive_and_in_local_days() -> None:
    r = rules(zone="Asia/Tokyo", valid_from=date(2026, 2, 3), valid_to=date(2026, 2, 4))
    slots = working_slots(r, utc(2026, 2, 1), utc(2026, 2, 7))
    days = sorted({s.start.astimezone(r.zone).date() for s in slots})
    assert days == [date(2026, 2, 3), date(2026, 2, 4)]
    # 09:00 in Tokyo is midnight UTC.
    assert slots[0].start == utc(2026, 2, 3, 0)


def test_slot_at_finds_only_grid_starts() -> None:
    r = rules(zone="Europe/London")
    assert slot_at(r, utc(2026, 1, 5, 9, 30)) is not None
    assert slot_at(r, utc(2026, 1, 5, 9, 15)) is None  # off the grid
    assert slot_at(r, utc(2026, 1, 5, 13)) is None  # after hours
    assert slot_at(r, utc(2025, 12, 31, 9)) is None  # before valid_from


@pytest.mark.parametrize(("changes", "message"), [
    ({"zone": "Mars/Olympus_Mons"}, "IANA"),
    ({"zone": "../../etc/passwd"}, "IANA"),
    ({"minutes": 2}, "slot_minutes"),
    ({"hours": (WeeklyHours(0, time(9), time(12)), WeeklyHours(0, time(11), time(13)))},
     "overlap"),
    ({"hours": (WeeklyHours(0, time(12), time(9)),)}, "end before"),
    ({"hours": (WeeklyHours(7, time(9), time(12)),)}, "weekday"),
    ({"hours": (WeeklyHours(0, time(9), time(9, 10)),)}, "shorter than a slot"),
    ({"valid_from": date(2026, 2, 1), "valid_to": date(2026, 1, 1)}, "valid_to"),
])
def test_rules_that_cannot_make_slots_are_refused(changes: dict[str, object],
                                                  message: str) -> None:
    with pytest.raises(InvalidRules, match=message):
        check_rules(rules(**changes))  # type: ignore[arg-type]


def test_adjacent_hours_on_one_day_do_not_overlap() -> None:
    check_rules(rules(hours=(WeeklyHours(0, time(9), time(12)),
                             WeeklyHours(0, time(12), time(13)))))
