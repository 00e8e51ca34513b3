// The patient's "Appointments" screen: find a doctor (name, specialty, organisation) with
// their next free slot, book a slot (an optional reason, kept encrypted), and her own
// appointments, upcoming and past, with cancel and reschedule.

import { useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import { feeInWords, formatWhen, languagesInWords } from "../lib/calendarFormat";
import { usePractitioners } from "../lib/appointmentsDirectory";
import { outcome } from "../lib/outcome";
import { isChangeable, splitUpcoming, type AppointmentOut, type PractitionerOut } from "../lib/scheduling";
import { useDirectoryEntries } from "../lib/useDirectory";
import { usePaged } from "../lib/usePaged";
import { AppointmentCancel, AppointmentReschedule } from "./AppointmentChange";
import { AppointmentItem } from "./AppointmentItem";
import { BookingForm } from "./BookingForm";
import { ErrorAlert, Fact, Loading, PagedList } from "./common";

type Search = { q: string; specialty: string; organization: string };

export function AppointmentsHome({ me }: { me: Me }) {
  useI18n();
  const [round, setRound] = useState(0);
  const [doctor, setDoctor] = useState<PractitionerOut | null>(null);
  const [booked, setBooked] = useState<{ appointment: AppointmentOut; doctor: PractitionerOut } | null>(null);

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("scheduling.patientTitle")}</h1>
      <div className="sched-layout">
        <DoctorFinder
          onChoose={(p) => {
            setDoctor(p);
            setBooked(null);
          }}
        />
        {doctor && !booked && (
          <section className="card" aria-labelledby="book-heading">
            <h2 id="book-heading" tabIndex={-1}>
              {t("scheduling.bookWith", { name: doctor.name })}
            </h2>
            <p className="muted">{doctor.organization_name}</p>
            <BookingForm
              key={doctor.id}
              practitioner={doctor.id}
              submitLabel={t("scheduling.book")}
              book={(slot, reason) =>
                outcome(
                  api.POST("/api/v1/appointments", {
                    body: { practitioner: doctor.id, start: slot.start, reason, patient: me.uhid },
                  }),
                )
              }
              onBooked={(appointment) => {
                setBooked({ appointment, doctor });
                setRound((n) => n + 1);
              }}
            />
          </section>
        )}
        {booked && <Booked appointment={booked.appointment} doctor={booked.doctor} onAnother={() => setBooked(null)} />}
        <MyAppointments round={round} />
      </div>
    </main>
  );
}

function DoctorFinder({ onChoose }: { onChoose: (p: PractitionerOut) => void }) {
  const id = useId();
  const orgs = useDirectoryEntries();
  const [form, setForm] = useState<Search>({ q: "", specialty: "", organization: "" });
  const [search, setSearch] = useState<Search>({ q: "", specialty: "", organization: "" });
  const doctors = usePaged<PractitionerOut>(JSON.stringify(search), (offset, limit) =>
    outcome(
      api.GET("/api/v1/directory/practitioners", {
        params: {
          query: {
            ...(search.q ? { q: search.q } : {}),
            ...(search.specialty ? { specialty: search.specialty } : {}),
            ...(search.organization ? { organization: search.organization } : {}),
            limit,
            offset,
          },
        },
      }),
    ),
  10,
  );

  function find(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSearch({ q: form.q.trim(), specialty: form.specialty.trim(), organization: form.organization });
  }

  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("scheduling.findDoctor")}</h2>
      <form className="sched-find" onSubmit={find} role="search" aria-label={t("scheduling.findDoctor")}>
        <div className="field">
          <label htmlFor={`${id}-q`}>{t("scheduling.doctorName")}</label>
          <input id={`${id}-q`} type="search" value={form.q} onChange={(e) => setForm({ ...form, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-specialty`}>{t("scheduling.specialty")}</label>
          <input
            id={`${id}-specialty`}
            type="search"
            value={form.specialty}
            onChange={(e) => setForm({ ...form, specialty: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-org`}>{t("scheduling.organisation")}</label>
          <select
            id={`${id}-org`}
            value={form.organization}
            onChange={(e) => setForm({ ...form, organization: e.target.value })}
          >
            <option value="">{t("scheduling.anyOrganisation")}</option>
            {orgs.entries.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary">
          {t("scheduling.find")}
        </button>
      </form>
      <PagedList
        page={doctors}
        what={t("scheduling.doctorsWhat")}
        empty={t("scheduling.noDoctors")}
        render={(p) => (
          <li key={p.id} className="item" data-testid="doctor">
            <div className="item-head">
              <span className="item-title">{p.name}</span>
              <span className="muted">{p.organization_name}</span>
            </div>
            <dl className="facts">
              {p.specialty && <Fact term={t("scheduling.specialty")}>{p.specialty}</Fact>}
              {p.languages.length > 0 && <Fact term={t("scheduling.languages")}>{languagesInWords(p.languages)}</Fact>}
              {p.fee && <Fact term={t("scheduling.fee")}>{feeInWords(p.fee.amount, p.fee.currency)}</Fact>}
              <Fact term={t("scheduling.nextFree")}>
                {p.next_free_slot ? formatWhen(p.next_free_slot) : t("scheduling.noFreeThisMonth")}
              </Fact>
            </dl>
            <div className="sched-actions">
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  onChoose(p);
                  // The booking card appears below; take the keyboard and reader there.
                  requestAnimationFrame(() => document.getElementById("book-heading")?.focus());
                }}
                aria-label={t("scheduling.chooseTimeWith", { name: p.name })}
              >
                {t("scheduling.chooseTime")}
              </button>
            </div>
          </li>
        )}
      />
    </section>
  );
}

function Booked({
  appointment,
  doctor,
  onAnother,
}: {
  appointment: AppointmentOut;
  doctor: PractitionerOut;
  onAnother: () => void;
}) {
  return (
    <section className="card sched-booked" aria-labelledby="booked-heading">
      <h2 id="booked-heading">{t("scheduling.bookedHeading")}</h2>
      <p className="success" role="status">
        {t("scheduling.bookedLine", { name: doctor.name, when: formatWhen(appointment.start) })}
      </p>
      <p>{t("scheduling.bookedPending")}</p>
      <h3>{t("scheduling.shareHeading", { org: doctor.organization_name })}</h3>
      <p>{t("scheduling.shareExplain", { org: doctor.organization_name })}</p>
      <p>
        <a className="sched-link-button" href="#/health">
          {t("scheduling.shareLink", { org: doctor.organization_name })}
        </a>
      </p>
      <button type="button" className="secondary" onClick={onAnother}>
        {t("scheduling.bookAnother")}
      </button>
    </section>
  );
}

function MyAppointments({ round }: { round: number }) {
  const [changes, setChanges] = useState(0);
  const doctors = usePractitioners(null, round);
  const list = usePaged<AppointmentOut>(`mine:${round}:${changes}`, (offset, limit) =>
    outcome(api.GET("/api/v1/appointments", { params: { query: { limit, offset } } })),
  100,
  );
  const { upcoming, past } = splitUpcoming(list.items, new Date());
  const changed = () => setChanges((n) => n + 1);

  const render = (a: AppointmentOut) => {
    const doctor = a.practitioner ? doctors.get(a.practitioner) : undefined;
    return (
      <AppointmentItem
        key={a.id}
        appointment={a}
        title={doctor?.name ?? t("scheduling.aPractitioner")}
        facts={doctor && <Fact term={t("scheduling.organisation")}>{doctor.organization_name}</Fact>}
      >
        {isChangeable(a.status) && (
          <>
            <AppointmentReschedule appointment={a} onDone={changed} />
            <AppointmentCancel appointment={a} action="cancel" defaultReason="patient_request" onDone={changed} />
          </>
        )}
      </AppointmentItem>
    );
  };

  return (
    <section className="card" aria-labelledby="mine-heading" data-testid="my-appointments">
      <h2 id="mine-heading">{t("scheduling.myAppointments")}</h2>
      {list.status === "loading" && <Loading what={t("scheduling.appointmentsWhat")} />}
      {list.status === "error" && <ErrorAlert message={list.error} />}
      {list.status === "ready" && (
        <>
          <h3>{t("scheduling.upcoming")}</h3>
          {upcoming.length === 0 ? (
            <p className="empty">{t("scheduling.noUpcoming")}</p>
          ) : (
            <ul className="items">{upcoming.map(render)}</ul>
          )}
          <h3>{t("scheduling.past")}</h3>
          {past.length === 0 ? <p className="empty">{t("scheduling.noPast")}</p> : <ul className="items">{past.map(render)}</ul>}
          <ErrorAlert message={list.error} />
        </>
      )}
    </section>
  );
}
