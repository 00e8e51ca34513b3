// The helpdesk's "Bookings": book for a walk-in patient (by UHID) with any practitioner of
// the organisation or one of its rooms or equipment, and the organisation's appointments of a
// day with check-in, no-show and cancel.

import { useId, useState } from "react";
import { api, type Me, type PatientSummary } from "../api/client";
import { t, useI18n } from "../i18n";
import { usePractitioners } from "../lib/appointmentsDirectory";
import { formatDay, formatWhen, patientLabel } from "../lib/calendarFormat";
import { outcome } from "../lib/outcome";
import { addDays, browserTimeZone, dayKey, startOfDay, type AppointmentOut } from "../lib/scheduling";
import { ownerKey, type ResourceOut, type SchedOwner } from "../lib/schedOwner";
import { usePaged } from "../lib/usePaged";
import { AppointmentActions } from "./AppointmentActions";
import { AppointmentItem } from "./AppointmentItem";
import { BookingForm } from "./BookingForm";
import { Fact, PagedList } from "./common";
import { PatientByUhid } from "./EncounterView";
import { resourceKindInWords } from "./ResourceEditor";

export function BookingsHome({ me }: { me: Me }) {
  useI18n();
  const [changes, setChanges] = useState(0);
  const doctors = usePractitioners(me.organization?.id ?? null);
  const resources = usePaged<ResourceOut>(me.organization ? `resources:${me.organization.id}` : null, (offset, limit) =>
    outcome(api.GET("/api/v1/resources", { params: { query: { limit, offset } } })),
  200,
  );
  const resourceNames = new Map(resources.items.map((r) => [r.id, r.name]));
  return (
    <main className="content" id="main">
      <h1 className="page-title">
        {me.organization ? t("scheduling.bookingsTitleOf", { org: me.organization.name }) : t("scheduling.bookingsTitle")}
      </h1>
      <div className="sched-layout">
        <WalkIn doctors={[...doctors.values()]} resources={resources.items} onBooked={() => setChanges((n) => n + 1)} />
        <DayList
          doctors={doctors}
          resources={resourceNames}
          changes={changes}
          onChanged={() => setChanges((n) => n + 1)}
        />
      </div>
    </main>
  );
}

type WhatToBook = "practitioner" | "resource";

function WalkIn({
  doctors,
  resources,
  onBooked,
}: {
  doctors: { id: string; name: string; specialty: string | null }[];
  resources: readonly ResourceOut[];
  onBooked: () => void;
}) {
  const id = useId();
  const [patient, setPatient] = useState<PatientSummary | null>(null);
  const [what, setWhat] = useState<WhatToBook>("practitioner");
  const [doctor, setDoctor] = useState("");
  const [resource, setResource] = useState("");
  const [done, setDone] = useState<{ name: string; when: string } | null>(null);
  const chosenDoctor = doctors.find((d) => d.id === doctor);
  const chosenResource = resources.find((r) => r.id === resource);
  const owner: SchedOwner | null =
    what === "practitioner"
      ? chosenDoctor
        ? { practitioner: chosenDoctor.id }
        : null
      : chosenResource
        ? { resource: chosenResource.id }
        : null;

  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("scheduling.walkInHeading")}</h2>
      {done && (
        <p className="success" role="status">
          {t("scheduling.walkInBooked", done)}
        </p>
      )}
      {patient ? (
        <div className="sched-patient">
          <p>
            {t("scheduling.bookingFor", { name: patient.full_name, uhid: patient.uhid_display })}
          </p>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setPatient(null);
              setDone(null);
            }}
          >
            {t("scheduling.otherPatient")}
          </button>
        </div>
      ) : (
        <PatientByUhid
          onFound={(p) => {
            setPatient(p);
            setDone(null);
          }}
        />
      )}
      {patient && (
        <>
          {resources.length > 0 && (
            <fieldset className="share-choice">
              <legend>{t("scheduling.resource.whatToBook")}</legend>
              {(["practitioner", "resource"] as const).map((kind) => (
                <label key={kind} className="share-radio">
                  <input
                    type="radio"
                    name={`${id}-what`}
                    value={kind}
                    checked={what === kind}
                    onChange={() => setWhat(kind)}
                  />
                  {kind === "practitioner" ? t("scheduling.resource.bookPractitioner") : t("scheduling.resource.bookResource")}
                </label>
              ))}
            </fieldset>
          )}
          {what === "practitioner" ? (
            <div className="field">
              <label htmlFor={`${id}-doctor`}>{t("scheduling.practitioner")}</label>
              <select id={`${id}-doctor`} value={doctor} onChange={(e) => setDoctor(e.target.value)}>
                <option value="">{t("scheduling.choosePractitioner")}</option>
                {doctors.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.specialty ? `${d.name} · ${d.specialty}` : d.name}
                  </option>
                ))}
              </select>
            </div>
          ) : (
            <div className="field">
              <label htmlFor={`${id}-resource`}>{t("scheduling.resource.roomOrEquipment")}</label>
              <select id={`${id}-resource`} value={resource} onChange={(e) => setResource(e.target.value)}>
                <option value="">{t("scheduling.resource.choose")}</option>
                {resources.map((r) => (
                  <option key={r.id} value={r.id}>
                    {`${r.name} · ${resourceKindInWords(r.kind)}`}
                  </option>
                ))}
              </select>
            </div>
          )}
          {owner && (
            <BookingForm
              key={`${ownerKey(owner)}:${patient.uhid}`}
              owner={owner}
              submitLabel={t("scheduling.bookForPatient", { name: patient.full_name })}
              book={(slot, reason) =>
                outcome(
                  api.POST("/api/v1/appointments", {
                    body: { ...owner, start: slot.start, reason, patient: patient.uhid },
                  }),
                )
              }
              onBooked={(a) => {
                setDone({ name: patient.full_name, when: formatWhen(a.start) });
                onBooked();
              }}
            />
          )}
        </>
      )}
    </section>
  );
}

function DayList({
  doctors,
  resources,
  changes,
  onChanged,
}: {
  doctors: Map<string, { name: string }>;
  resources: Map<string, string>;
  changes: number;
  onChanged: () => void;
}) {
  const [day, setDay] = useState(() => startOfDay(new Date()));
  const list = usePaged<AppointmentOut>(`${dayKey(day)}:${changes}`, (offset, limit) =>
    outcome(
      api.GET("/api/v1/appointments", {
        params: { query: { start: day.toISOString(), end: addDays(day, 1).toISOString(), limit, offset } },
      }),
    ),
  50,
  );
  const isToday = dayKey(day) === dayKey(new Date());

  return (
    <section className="card" aria-labelledby="day-heading" data-testid="day-appointments">
      <h2 id="day-heading" aria-live="polite">
        {isToday ? t("scheduling.todaysAppointments") : t("scheduling.appointmentsOn", { day: formatDay(day, true) })}
      </h2>
      <div className="sched-week-nav">
        <button type="button" className="secondary" onClick={() => setDay((d) => addDays(d, -1))}>
          {t("scheduling.previousDay")}
        </button>
        <button type="button" className="secondary" onClick={() => setDay(startOfDay(new Date()))} disabled={isToday}>
          {t("scheduling.today")}
        </button>
        <button type="button" className="secondary" onClick={() => setDay((d) => addDays(d, 1))}>
          {t("scheduling.nextDay")}
        </button>
      </div>
      <p className="hint">{t("scheduling.timesIn", { zone: browserTimeZone() })}</p>
      <PagedList
        page={list}
        what={t("scheduling.appointmentsWhat")}
        empty={t("scheduling.noAppointmentsDay")}
        render={(a) => (
          <AppointmentItem
            key={a.id}
            appointment={a}
            title={
              (a.practitioner && doctors.get(a.practitioner)?.name) ||
              (a.resource && (resources.get(a.resource) ?? t("scheduling.resource.aResource"))) ||
              t("scheduling.aPractitioner")
            }
            facts={<Fact term={t("scheduling.patient")}>{patientLabel(a)}</Fact>}
          >
            <AppointmentActions
              appointment={a}
              can={{ confirm: true, checkIn: true, noShow: true, cancel: true }}
              onChanged={onChanged}
            />
          </AppointmentItem>
        )}
      />
    </section>
  );
}
