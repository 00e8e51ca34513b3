// The patient's "Appointments" screen: find a doctor (name, specialty, organisation) with
// their next free slot, book a slot (an optional reason, kept encrypted), share records with
// the clinic for the visit (signed in her wallet), and her own appointments, upcoming and
// past, with cancel, reschedule and sharing.

import { useEffect, useId, useState, type FormEvent } from "react";
import { api, type DirectoryEntry, type Me } from "../api/client";
import { t, useI18n } from "../i18n";
import { feeInWords, formatWhen, languagesInWords } from "../lib/calendarFormat";
import { usePractitioners } from "../lib/appointmentsDirectory";
import { outcome } from "../lib/outcome";
import { isChangeable, splitUpcoming, type AppointmentOut, type PractitionerOut } from "../lib/scheduling";
import { useDirectoryEntries } from "../lib/useDirectory";
import { usePaged } from "../lib/usePaged";
import { lockWallet, type UnlockedWallet } from "../lib/wallet";
import { AppointmentCancel, AppointmentReschedule } from "./AppointmentChange";
import { AppointmentItem } from "./AppointmentItem";
import { BookingForm } from "./BookingForm";
import { BookingGrant } from "./BookingGrant";
import { ErrorAlert, Fact, Loading, PagedList } from "./common";

type Search = { q: string; specialty: string; organization: string };

export function AppointmentsHome({ me }: { me: Me }) {
  useI18n();
  const [round, setRound] = useState(0);
  const [doctor, setDoctor] = useState<PractitionerOut | null>(null);
  const [booked, setBooked] = useState<{ appointment: AppointmentOut; doctor: PractitionerOut } | null>(null);
  const orgs = useDirectoryEntries();
  const [wallet, setWallet] = useState<UnlockedWallet | null>(null);
  // Leaving the screen (or signing out) forgets the wallet's key, as the health screen does.
  useEffect(() => lockWallet, []);
  const sharing: Sharing = { orgs: orgs.entries, ownerId: me.id, wallet, onWallet: setWallet };

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("scheduling.patientTitle")}</h1>
      <div className="sched-layout">
        <DoctorFinder
          orgs={orgs.entries}
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
              owner={{ practitioner: doctor.id }}
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
        {booked && (
          <Booked
            appointment={booked.appointment}
            doctor={booked.doctor}
            sharing={sharing}
            onAnother={() => setBooked(null)}
          />
        )}
        <MyAppointments round={round} sharing={sharing} />
      </div>
    </main>
  );
}

/** What sharing with a clinic needs: the directory's organisations and the patient's wallet. */
type Sharing = {
  orgs: readonly DirectoryEntry[];
  ownerId: string;
  wallet: UnlockedWallet | null;
  onWallet: (wallet: UnlockedWallet) => void;
};

function DoctorFinder({ orgs, onChoose }: { orgs: readonly DirectoryEntry[]; onChoose: (p: PractitionerOut) => void }) {
  const id = useId();
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
            {orgs.map((o) => (
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
  sharing,
  onAnother,
}: {
  appointment: AppointmentOut;
  doctor: PractitionerOut;
  sharing: Sharing;
  onAnother: () => void;
}) {
  return (
    <section className="card sched-booked" aria-labelledby="booked-heading">
      <h2 id="booked-heading">{t("scheduling.bookedHeading")}</h2>
      <p className="success" role="status">
        {t("scheduling.bookedLine", { name: doctor.name, when: formatWhen(appointment.start) })}
      </p>
      <p>{t("scheduling.bookedPending")}</p>
      <BookingGrant
        appointmentStart={appointment.start}
        organisation={sharing.orgs.find((o) => o.id === appointment.organization) ?? null}
        organisationName={doctor.organization_name}
        ownerId={sharing.ownerId}
        wallet={sharing.wallet}
        onWallet={sharing.onWallet}
      />
      <button type="button" className="secondary" onClick={onAnother}>
        {t("scheduling.bookAnother")}
      </button>
    </section>
  );
}

function MyAppointments({ round, sharing }: { round: number; sharing: Sharing }) {
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
            <ShareForVisit appointment={a} organisationName={doctor?.organization_name ?? null} sharing={sharing} />
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

/** "Share my records with <clinic>" under an appointment she has: opens the grant in place. */
function ShareForVisit({
  appointment,
  organisationName,
  sharing,
}: {
  appointment: AppointmentOut;
  organisationName: string | null;
  sharing: Sharing;
}) {
  const [open, setOpen] = useState(false);
  const organisation = sharing.orgs.find((o) => o.id === appointment.organization) ?? null;
  const name = organisation?.name ?? organisationName ?? t("scheduling.grant.theClinic");
  if (!open) {
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)} aria-expanded={false}>
        {t("scheduling.grant.open", { org: name })}
      </button>
    );
  }
  return (
    <div className="sched-inline booking-grant-inline">
      <BookingGrant
        appointmentStart={appointment.start}
        organisation={organisation}
        organisationName={name}
        ownerId={sharing.ownerId}
        wallet={sharing.wallet}
        onWallet={sharing.onWallet}
      />
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        {t("scheduling.close")}
      </button>
    </div>
  );
}
