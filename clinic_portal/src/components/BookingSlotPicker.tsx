// A practitioner's (or a room's or equipment's) free slots: a week of days to choose from, then that day's free times,
// asked of GET /api/v1/slots a page at a time. Times show in the browser's time zone.

import { useId, useState } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { formatDay, formatTime, formatWhen } from "../lib/calendarFormat";
import { outcome } from "../lib/outcome";
import { ownerKey, type SchedOwner } from "../lib/schedOwner";
import { addDays, browserTimeZone, dayKey, startOfDay, type SlotOut } from "../lib/scheduling";
import { usePaged } from "../lib/usePaged";
import { ErrorAlert, Loading } from "./common";

export function BookingSlotPicker({
  owner,
  selected,
  onSelect,
}: {
  owner: SchedOwner;
  selected: SlotOut | null;
  onSelect: (slot: SlotOut) => void;
}) {
  const id = useId();
  const today = startOfDay(new Date());
  const [week, setWeek] = useState(0);
  const [day, setDay] = useState<Date>(today);
  const days = Array.from({ length: 7 }, (_, i) => addDays(today, week * 7 + i));
  const slots = usePaged<SlotOut>(`${ownerKey(owner)}:${dayKey(day)}`, (offset, limit) =>
    outcome(
      api.GET("/api/v1/slots", {
        params: {
          query: {
            ...owner,
            start: day.toISOString(),
            end: addDays(day, 1).toISOString(),
            limit,
            offset,
          },
        },
      }),
    ),
  16,
  );

  function moveWeek(by: number) {
    const next = week + by;
    setWeek(next);
    setDay(addDays(today, next * 7));
  }

  return (
    <div className="sched-picker">
      <p className="hint">{t("scheduling.timesIn", { zone: browserTimeZone() })}</p>
      <div className="sched-week-nav">
        <button type="button" className="secondary" onClick={() => moveWeek(-1)} disabled={week === 0}>
          {t("scheduling.earlierDays")}
        </button>
        <button type="button" className="secondary" onClick={() => moveWeek(1)} disabled={week >= 3}>
          {t("scheduling.laterDays")}
        </button>
      </div>
      <fieldset className="sched-days">
        <legend id={`${id}-days`}>{t("scheduling.chooseDay")}</legend>
        {days.map((d) => (
          <button
            key={dayKey(d)}
            type="button"
            className={dayKey(d) === dayKey(day) ? "sched-day sched-chosen" : "sched-day secondary"}
            aria-pressed={dayKey(d) === dayKey(day)}
            onClick={() => setDay(d)}
          >
            {formatDay(d)}
          </button>
        ))}
      </fieldset>
      <fieldset className="sched-times">
        <legend>{t("scheduling.freeTimesOn", { day: formatDay(day, true) })}</legend>
        {slots.status === "loading" && <Loading what={t("scheduling.freeTimesWhat")} />}
        {slots.status === "error" && <ErrorAlert message={slots.error} />}
        {slots.status === "ready" && slots.items.length === 0 && <p className="empty">{t("scheduling.noFreeTimes")}</p>}
        {slots.items.length > 0 && (
          <div className="sched-time-grid">
            {slots.items.map((slot) => {
              const chosen = selected?.start === slot.start;
              return (
                <button
                  key={slot.start}
                  type="button"
                  className={chosen ? "sched-time sched-chosen" : "sched-time secondary"}
                  aria-pressed={chosen}
                  aria-label={t("scheduling.slotLabel", { when: formatWhen(slot.start) })}
                  onClick={() => onSelect(slot)}
                >
                  {formatTime(slot.start)}
                </button>
              );
            })}
          </div>
        )}
        {slots.status === "ready" && slots.error && <ErrorAlert message={slots.error} />}
        {slots.hasMore && (
          <button
            type="button"
            className="secondary more"
            onClick={slots.loadMore}
            disabled={slots.loadingMore}
            aria-busy={slots.loadingMore}
          >
            {slots.loadingMore ? t("common.loadingMore") : t("scheduling.moreTimes")}
          </button>
        )}
      </fieldset>
    </div>
  );
}
