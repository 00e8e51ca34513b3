"""The slot engine: a schedule's weekly hours, in its own IANA time zone, turned into
concrete UTC slots, less exceptions (leave) and booked appointments. Pure: no database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Interval = tuple[datetime, datetime]


class InvalidRules(ValueError):
    """Weekly hours or a time zone that cannot make a schedule."""


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours on one weekday (Monday 0), local wall-clock time, end after start."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class ScheduleRules:
    timezone: str
    slot_minutes: int
    weekly_hours: tuple[WeeklyHours, ...]
    valid_from: date
    valid_to: date | None = None  # inclusive; open-ended when None

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.timezone)

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone `name`; refuses names that are not zones (and file paths)."""
    if name not in _zone_names():
        raise InvalidRules(f"{name!r} is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRules(f"{name!r} is not an IANA time zone") from None


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def check_rules(rules: ScheduleRules) -> None:
    """Refuse rules that cannot make slots: bad zone, slot length, days, overlapping hours."""
    zone_of(rules.timezone)
    if not 5 <= rules.slot_minutes <= 480:
        raise InvalidRules("slot_minutes must be between 5 and 480")
    if rules.valid_to is not None and rules.valid_to < rules.valid_from:
        raise InvalidRules("valid_to is before valid_from")
    if not rules.weekly_hours:
        raise InvalidRules("weekly_hours is empty")
    for hours in rules.weekly_hours:
        if not 0 <= hours.weekday <= 6:
            raise InvalidRules("weekday must be 0 (Monday) to 6 (Sunday)")
        if hours.end <= hours.start:
            raise InvalidRules(f"on weekday {hours.weekday} the hours end before they start")
        if _minutes(hours.end) - _minutes(hours.start) < rules.slot_minutes:
            raise InvalidRules(f"on weekday {hours.weekday} the hours are shorter than a slot")
    if weekly_overlap(rules.weekly_hours, rules.weekly_hours):
        raise InvalidRules("weekly hours overlap")


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def weekly_overlap(a: Sequence[WeeklyHours], b: Sequence[WeeklyHours]) -> bool:
    """Whether any hours of `a` overlap other hours of `b` on the same weekday (an entry
    compared with itself does not count)."""
    return any(x is not y and x.weekday == y.weekday and x.start < y.end and y.start < x.end
               for x in a for y in b)


def validity_overlap(a: ScheduleRules, b: ScheduleRules) -> bool:
    a_end, b_end = a.valid_to or date.max, b.valid_to or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def working_slots(rules: ScheduleRules, start: datetime, end: datetime) -> list[Slot]:
    """Every slot of the schedule that starts in [start, end), in UTC, in order. Each day's
    grid starts at that day's opening time; local times are mapped with the zone's offset on
    that date, so 09:00 in London is 09:00 UTC in winter and 08:00 UTC in summer."""
    zone = rules.zone
    step = rules.slot_length
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    slots: list[Slot] = []
    day = first
    while day <= last:
        if rules.valid_on(day):
            for hours in rules.weekly_hours:
                if hours.weekday != day.weekday():
                    continue
                opens = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
                closes = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
                at = opens
                while at + step <= closes:
                    if start <= at < end:
                        slots.append(Slot(at, at + step))
                    at += step
        day += timedelta(days=1)
    slots.sort(key=lambda s: s.start)
    return slots


def free_slots(rules: ScheduleRules, start: datetime, end: datetime, *,
               busy: Iterable[Interval], now: datetime) -> list[Slot]:
    """The working slots in [start, end) that start after `now` and overlap nothing busy
    (exceptions and leave, active appointments)."""
    taken = sorted(busy)
    return [s for s in working_slots(rules, max(start, now), end)
            if s.start >= now and not _overlaps_any(s, taken)]


def _overlaps_any(slot: Slot, busy: Sequence[Interval]) -> bool:
    return any(b_start < slot.end and slot.start < b_end for b_start, b_end in busy)


def slot_at(rules: ScheduleRules, start: datetime) -> Slot | None:
    """The working slot that starts exactly at `start`, if there is one."""
    for slot in working_slots(rules, start, start + timedelta(microseconds=1)):
        if slot.start == start:
            return slot
    return None
