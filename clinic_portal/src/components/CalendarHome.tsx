// The practitioner's "Calendar": their appointments by day or week, confirm or decline the
// pending ones, check in an arrived patient, and open the encounter that check-in starts.

import { useState } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import { formatDay, patientLabel } from "../lib/calendarFormat";
import { outcome } from "../lib/outcome";
import { addDays, browserTimeZone, dayKey, daysOf, groupByDay, type AppointmentOut, type CalendarView } from "../lib/scheduling";
import { usePaged } from "../lib/usePaged";
import { AppointmentActions } from "./AppointmentActions";
import { AppointmentItem } from "./AppointmentItem";
import { ErrorAlert, Fact, Loading } from "./common";
import { EncounterView } from "./EncounterView";

export function CalendarHome({ me }: { me: Me }) {
  useI18n();
  const [view, setView] = useState<CalendarView>("day");
  const [anchor, setAnchor] = useState(() => new Date());
  const [changes, setChanges] = useState(0);
  const [encounter, setEncounter] = useState<AppointmentOut | null>(null);
  const days = daysOf(view, anchor);
  const first = days[0] ?? anchor;
  const end = addDays(days[days.length - 1] ?? anchor, 1);
  const list = usePaged<AppointmentOut>(`${view}:${dayKey(first)}:${changes}`, (offset, limit) =>
    outcome(
      api.GET("/api/v1/appointments", {
        params: { query: { start: first.toISOString(), end: end.toISOString(), limit, offset } },
      }),
    ),
  200,
  );
  const byDay = groupByDay(list.items);

  if (encounter?.encounter) {
    return (
      <main className="content" id="main">
        <EncounterView
          me={me}
          appointment={encounter}
          encounterId={encounter.encounter}
          onClose={() => {
            setEncounter(null);
            setChanges((n) => n + 1);
          }}
        />
      </main>
    );
  }

  const move = (by: number) => setAnchor((a) => addDays(a, view === "day" ? by : by * 7));
  const range =
    view === "day" ? formatDay(first, true) : t("scheduling.weekRange", { from: formatDay(first), to: formatDay(addDays(end, -1)) });

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("scheduling.calendarTitle")}</h1>
      <section className="card" aria-labelledby="calendar-range">
        <div className="sched-toolbar">
          <div className="segmented sched-views" role="group" aria-label={t("scheduling.view")}>
            {(["day", "week"] as const).map((v) => (
              <button
                key={v}
                type="button"
                className={view === v ? "segment sched-chosen" : "segment"}
                aria-pressed={view === v}
                onClick={() => setView(v)}
              >
                {v === "day" ? t("scheduling.dayView") : t("scheduling.weekView")}
              </button>
            ))}
          </div>
          <div className="sched-week-nav">
            <button type="button" className="secondary" onClick={() => move(-1)}>
              {view === "day" ? t("scheduling.previousDay") : t("scheduling.previousWeek")}
            </button>
            <button type="button" className="secondary" onClick={() => setAnchor(new Date())}>
              {t("scheduling.today")}
            </button>
            <button type="button" className="secondary" onClick={() => move(1)}>
              {view === "day" ? t("scheduling.nextDay") : t("scheduling.nextWeek")}
            </button>
          </div>
        </div>
        <h2 id="calendar-range" aria-live="polite">
          {range}
        </h2>
        <p className="hint">{t("scheduling.timesIn", { zone: browserTimeZone() })}</p>
        {list.status === "loading" && <Loading what={t("scheduling.appointmentsWhat")} />}
        {list.status === "error" && <ErrorAlert message={list.error} />}
        {list.status === "ready" &&
          days.map((d) => {
            const items = byDay.get(dayKey(d)) ?? [];
            if (view === "week" && items.length === 0) return null;
            return (
              <div key={dayKey(d)} className="sched-day-block">
                {view === "week" && <h3>{formatDay(d, true)}</h3>}
                {items.length === 0 ? (
                  <p className="empty">{t("scheduling.noAppointmentsDay")}</p>
                ) : (
                  <ul className="items">
                    {items.map((a) => (
                      <AppointmentItem
                        key={a.id}
                        appointment={a}
                        title={patientLabel(a)}
                        facts={a.needs_rebooking ? <Fact term={t("scheduling.note")}>{t("scheduling.onLeave")}</Fact> : null}
                      >
                        <AppointmentActions
                          appointment={a}
                          can={{ confirm: true, checkIn: true, noShow: true }}
                          onChanged={(changed) => {
                            setChanges((n) => n + 1);
                            if (changed.status === "arrived" && changed.encounter) setEncounter(changed);
                          }}
                          onOpenEncounter={setEncounter}
                        />
                      </AppointmentItem>
                    ))}
                  </ul>
                )}
              </div>
            );
          })}
        {list.status === "ready" && view === "week" && list.items.length === 0 && (
          <p className="empty">{t("scheduling.noAppointmentsWeek")}</p>
        )}
      </section>
    </main>
  );
}
