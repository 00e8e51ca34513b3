import { describe, expect, it } from "vitest";
import {
  addDays,
  checkSchedule,
  dayKey,
  daysOf,
  groupByDay,
  hasProblems,
  localInputToIso,
  reasonKey,
  refusalField,
  scheduleBody,
  splitUpcoming,
  startOfWeek,
  statusBadge,
  type ScheduleForm,
} from "./scheduling";

const form = (over: Partial<ScheduleForm> = {}): ScheduleForm => ({
  rows: [{ weekday: 0, start: "09:00", end: "13:00" }],
  slotMinutes: "15",
  timezone: "Asia/Kolkata",
  validFrom: "2026-12-01",
  validTo: "",
  ...over,
});

describe("statuses and reasons in words", () => {
  it("maps every status to a message and a tone, unknown ones to 'other'", () => {
    expect(statusBadge("pending")).toEqual({ key: "scheduling.status.pending", tone: "pending" });
    expect(statusBadge("booked").tone).toBe("active");
    expect(statusBadge("noshow").key).toBe("scheduling.status.noshow");
    expect(statusBadge("teleported")).toEqual({ key: "scheduling.status.unknown", tone: "other" });
  });
  it("words reason codes, an unknown one as 'other'", () => {
    expect(reasonKey("clinic_closed")).toBe("scheduling.reason.clinic_closed");
    expect(reasonKey("whatever")).toBe("scheduling.reason.other");
  });
});

describe("upcoming and past", () => {
  const now = new Date("2026-12-01T10:00:00Z");
  const a = (start: string, status: string) => ({
    start,
    end: new Date(new Date(start).getTime() + 15 * 60000).toISOString(),
    status,
  });
  it("puts active future ones first (soonest first), and the rest latest first", () => {
    const items = [
      a("2026-12-03T10:00:00Z", "booked"),
      a("2026-12-02T10:00:00Z", "pending"),
      a("2026-12-04T10:00:00Z", "cancelled"),
      a("2026-11-20T10:00:00Z", "fulfilled"),
      a("2026-11-25T10:00:00Z", "booked"),
    ];
    const { upcoming, past } = splitUpcoming(items, now);
    expect(upcoming.map((x) => x.start)).toEqual(["2026-12-02T10:00:00Z", "2026-12-03T10:00:00Z"]);
    expect(past.map((x) => x.start)).toEqual(["2026-12-04T10:00:00Z", "2026-11-25T10:00:00Z", "2026-11-20T10:00:00Z"]);
  });
});

describe("days and weeks in the browser's zone", () => {
  it("starts weeks on Monday and lists seven days", () => {
    const wed = new Date(2026, 11, 2, 15, 30);
    expect(dayKey(startOfWeek(wed))).toBe("2026-11-30");
    expect(daysOf("week", wed).map(dayKey)).toEqual([
      "2026-11-30",
      "2026-12-01",
      "2026-12-02",
      "2026-12-03",
      "2026-12-04",
      "2026-12-05",
      "2026-12-06",
    ]);
    expect(daysOf("day", wed).map(dayKey)).toEqual(["2026-12-02"]);
    expect(dayKey(addDays(new Date(2026, 11, 31), 1))).toBe("2027-01-01");
  });
  it("groups by day in time order", () => {
    const at = (d: number, h: number) => ({ start: new Date(2026, 11, d, h).toISOString() });
    const groups = groupByDay([at(2, 11), at(1, 9), at(2, 9)]);
    expect([...groups.keys()]).toEqual(["2026-12-01", "2026-12-02"]);
    expect(groups.get("2026-12-02")?.map((x) => new Date(x.start).getHours())).toEqual([9, 11]);
  });
  it("reads a datetime-local value as the browser's wall clock", () => {
    expect(localInputToIso("2026-12-01T09:30")).toBe(new Date(2026, 11, 1, 9, 30).toISOString());
    expect(localInputToIso("")).toBeNull();
    expect(localInputToIso("tomorrow")).toBeNull();
  });
});

describe("a weekly schedule before it is sent", () => {
  it("accepts good hours", () => {
    expect(hasProblems(checkSchedule(form()))).toBe(false);
  });
  it("flags an end before the start and overlapping rows of the same day", () => {
    const p = checkSchedule(
      form({
        rows: [
          { weekday: 0, start: "09:00", end: "13:00" },
          { weekday: 0, start: "12:00", end: "15:00" },
          { weekday: 1, start: "12:00", end: "15:00" },
          { weekday: 2, start: "15:00", end: "09:00" },
        ],
      }),
    );
    expect(p.rows).toEqual({
      0: "scheduling.check.overlap",
      1: "scheduling.check.overlap",
      3: "scheduling.check.endBeforeStart",
    });
  });
  it("flags the slot length, the zone and the validity", () => {
    const p = checkSchedule(form({ rows: [], slotMinutes: "2", timezone: " ", validTo: "2026-11-01" }));
    expect(Object.keys(p.fields).sort()).toEqual(["rows", "slotMinutes", "timezone", "validTo"]);
  });
  it("builds the body the API takes", () => {
    expect(scheduleBody("p1", form({ validTo: "" }))).toEqual({
      practitioner: "p1",
      timezone: "Asia/Kolkata",
      slot_minutes: 15,
      weekly_hours: [{ weekday: 0, start: "09:00", end: "13:00" }],
      valid_from: "2026-12-01",
      valid_to: null,
    });
  });
  it("puts the service's refusal next to its field", () => {
    expect(refusalField({ detail: "these hours overlap another schedule of the same practitioner" })).toBe("rows");
    expect(refusalField({ errors: [{ loc: ["body", "slot_minutes"], msg: "too small" }] })).toBe("slotMinutes");
    expect(refusalField({ detail: "unknown time zone 'Mars/Base'" })).toBe("timezone");
    expect(refusalField({ detail: "something else" })).toBe("form");
    expect(refusalField(undefined)).toBe("form");
  });
});
