// "Schedules": weekly hours of a practitioner (the front desk for any practitioner of the
// organisation, a practitioner for themself) or of a room or equipment (the front desk), in a
// time zone, and leave over them, listing the appointments that leave leaves to be rebooked;
// the organisation's rooms and equipment; a practitioner's directory profile.

import { useId, useState, type FormEvent } from "react";
import { api, type Me } from "../api/client";
import type { components } from "../api/schema";
import { locale, t, useI18n } from "../i18n";
import { formatWhen, patientLabel } from "../lib/calendarFormat";
import { formatDate, problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import {
  browserTimeZone,
  checkSchedule,
  dayKey,
  hasProblems,
  localInputToIso,
  refusalField,
  type AppointmentOut,
  type ScheduleField,
  type ScheduleForm,
  type ScheduleOut,
} from "../lib/scheduling";
import { ownerFromKey, ownerKey, scheduleBodyFor, type ResourceOut, type SchedOwner } from "../lib/schedOwner";
import { usePaged } from "../lib/usePaged";
import { AppointmentItem } from "./AppointmentItem";
import { Fact, PagedList } from "./common";
import { ProfileEditor } from "./ProfileEditor";
import { ResourceEditor } from "./ResourceEditor";

type MemberOut = components["schemas"]["MemberOut"];
const PRACTITIONER_ROLES = ["physician", "nurse", "radiologist", "lab_technician"];

function weekdayName(weekday: number): string {
  // 1 January 2024 was a Monday (weekday 0 of the API).
  return new Intl.DateTimeFormat(locale(), { weekday: "long" }).format(new Date(2024, 0, 1 + weekday));
}

export function ScheduleHome({ me }: { me: Me }) {
  useI18n();
  const id = useId();
  const frontDesk = me.roles.includes("org_admin") || me.roles.includes("helpdesk");
  const orgId = me.organization?.id ?? null;
  const members = usePaged<MemberOut>(frontDesk && me.permissions.includes("member:read") ? orgId : null, (offset, limit) =>
    outcome(
      api.GET("/api/v1/organizations/{organization_id}/members", {
        params: { path: { organization_id: orgId ?? "" }, query: { limit, offset } },
      }),
    ),
  200,
  );
  const practitioners = frontDesk
    ? members.items.filter((m) => m.is_active && m.roles.some((r) => PRACTITIONER_ROLES.includes(r)))
    : [{ id: me.id, full_name: me.full_name }];
  const resources = usePaged<ResourceOut>(frontDesk && orgId ? `resources:${orgId}` : null, (offset, limit) =>
    outcome(api.GET("/api/v1/resources", { params: { query: { limit, offset } } })),
  200,
  );
  const [chosen, setChosen] = useState(frontDesk ? "" : ownerKey({ practitioner: me.id }));
  const [round, setRound] = useState(0);
  const owner = ownerFromKey(chosen);
  const who = named(owner, practitioners, resources.items);
  // The practitioner edits their own profile; of the front desk, only administrators may.
  const profileOf =
    who && "practitioner" in who.owner && (who.owner.practitioner === me.id || me.roles.includes("org_admin"))
      ? who.owner.practitioner
      : null;
  const choose = (key: string) => {
    setChosen(key);
    requestAnimationFrame(() => document.getElementById(`${id}-schedules`)?.focus());
  };

  return (
    <main className="content" id="main">
      <h1 className="page-title">{t("scheduling.schedulesTitle")}</h1>
      <div className="sched-layout">
        {frontDesk && (
          <section className="card" aria-labelledby={`${id}-who`}>
            <h2 id={`${id}-who`}>{t("scheduling.whoseSchedule")}</h2>
            <div className="field">
              <label htmlFor={`${id}-practitioner`}>{t("scheduling.scheduleOwner")}</label>
              <select id={`${id}-practitioner`} value={chosen} onChange={(e) => setChosen(e.target.value)}>
                <option value="">{t("scheduling.chooseOwner")}</option>
                <optgroup label={t("scheduling.practitioners")}>
                  {practitioners.map((p) => (
                    <option key={p.id} value={ownerKey({ practitioner: p.id })}>
                      {p.full_name}
                    </option>
                  ))}
                </optgroup>
                {resources.items.length > 0 && (
                  <optgroup label={t("scheduling.resource.heading")}>
                    {resources.items.map((r) => (
                      <option key={r.id} value={ownerKey({ resource: r.id })}>
                        {r.name}
                      </option>
                    ))}
                  </optgroup>
                )}
              </select>
            </div>
            {members.status === "loading" && <p className="muted" role="status">{t("scheduling.loadingPeople")}</p>}
            {members.status === "error" && (
              <p className="alert" role="alert">
                {members.error}
              </p>
            )}
          </section>
        )}
        {frontDesk && (
          <ResourceEditor
            resources={resources}
            onCreated={() => resources.reload(1)}
            onChoose={(r) => choose(ownerKey({ resource: r.id }))}
          />
        )}
        {who && (
          <>
            <Schedules key={`${chosen}:${round}`} headingId={`${id}-schedules`} owner={who.owner} name={who.name} />
            {profileOf && me.organization && (
              <ProfileEditor
                key={profileOf}
                practitioner={profileOf}
                name={who.name}
                organization={me.organization.id}
                organizationName={me.organization.name}
              />
            )}
            <NewSchedule key={chosen} owner={who.owner} name={who.name} onCreated={() => setRound((n) => n + 1)} />
          </>
        )}
      </div>
    </main>
  );
}

/** The chosen owner with its name, once the practitioner or resource is among those listed. */
function named(
  owner: SchedOwner | null,
  practitioners: readonly { id: string; full_name: string }[],
  resources: readonly ResourceOut[],
): { owner: SchedOwner; name: string } | null {
  if (!owner) return null;
  const name =
    "practitioner" in owner
      ? practitioners.find((p) => p.id === owner.practitioner)?.full_name
      : resources.find((r) => r.id === owner.resource)?.name;
  return name ? { owner, name } : null;
}

function HoursList({ schedule }: { schedule: ScheduleOut }) {
  const hours = [...schedule.weekly_hours].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
  return (
    <ul className="sched-hours-list">
      {hours.map((h, i) => (
        <li key={i}>
          <span>{weekdayName(h.weekday)}</span> <span>{`${h.start}–${h.end}`}</span>
        </li>
      ))}
    </ul>
  );
}

function Schedules({ owner, name, headingId }: { owner: SchedOwner; name: string; headingId: string }) {
  const list = usePaged<ScheduleOut>(ownerKey(owner), (offset, limit) =>
    outcome(api.GET("/api/v1/schedules", { params: { query: { ...owner, limit, offset } } })),
  );
  return (
    <section className="card" aria-labelledby={headingId} data-testid="schedules">
      <h2 id={headingId} tabIndex={-1}>
        {t("scheduling.schedulesOf", { name })}
      </h2>
      <PagedList
        page={list}
        what={t("scheduling.schedulesWhat")}
        empty={t("scheduling.noSchedules")}
        render={(s) => (
          <li key={s.id} className="item">
            <div className="item-head">
              <span className="item-title">{t("scheduling.weeklyHours")}</span>
              <span className="muted">{s.timezone}</span>
            </div>
            <HoursList schedule={s} />
            <dl className="facts">
              <Fact term={t("scheduling.slotLength")}>{t("scheduling.minutes", { count: s.slot_minutes })}</Fact>
              <Fact term={t("scheduling.valid")}>
                {s.valid_to
                  ? t("scheduling.validFromTo", { from: formatDate(s.valid_from), to: formatDate(s.valid_to) })
                  : t("scheduling.validFromOn", { from: formatDate(s.valid_from) })}
              </Fact>
            </dl>
            <AddLeave schedule={s} />
          </li>
        )}
      />
    </section>
  );
}

function AddLeave({ schedule }: { schedule: ScheduleOut }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ start?: string; end?: string; reason?: string; form?: string }>({});
  const [added, setAdded] = useState<{ start: string; end: string; affected: AppointmentOut[] } | null>(null);

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const from = localInputToIso(start);
    const to = localInputToIso(end);
    const found: typeof errors = {};
    if (!from) found.start = t("scheduling.check.leaveStart");
    if (!to) found.end = t("scheduling.check.leaveEnd");
    else if (from && to <= from) found.end = t("scheduling.check.leaveOrder");
    if (!reason.trim()) found.reason = t("scheduling.check.leaveReason");
    setErrors(found);
    if (Object.keys(found).length || !from || !to) return;
    setBusy(true);
    const result = await outcome(
      api.POST("/api/v1/schedules/{schedule_id}/exceptions", {
        params: { path: { schedule_id: schedule.id } },
        body: { start: from, end: to, reason: reason.trim() },
      }),
    );
    setBusy(false);
    if (result.ok) {
      setAdded({ start: result.value.start, end: result.value.end, affected: result.value.affected });
      setOpen(false);
      setStart("");
      setEnd("");
      setReason("");
    } else {
      setErrors({ form: problemDetail(result.problem, result.status) });
    }
  }

  const err = (field: keyof typeof errors) =>
    errors[field] ? (
      <p className="alert" role="alert" id={`${id}-${field}-error`}>
        {errors[field]}
      </p>
    ) : null;

  return (
    <div className="sched-leave">
      {added && (
        <div className="sched-affected" data-testid="leave-added">
          <p className="success" role="status">
            {t("scheduling.leaveAdded", { from: formatWhen(added.start), to: formatWhen(added.end) })}
          </p>
          {added.affected.length === 0 ? (
            <p>{t("scheduling.noAffected")}</p>
          ) : (
            <>
              <h3>{t("scheduling.affectedHeading", { count: added.affected.length })}</h3>
              <ul className="items">
                {added.affected.map((a) => (
                  <AppointmentItem
                    key={a.id}
                    appointment={a}
                    title={patientLabel(a)}
                  />
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {!open ? (
        <button type="button" className="secondary" onClick={() => setOpen(true)}>
          {t("scheduling.addLeave")}
        </button>
      ) : (
        <form className="sched-form" onSubmit={(e) => void add(e)} noValidate aria-labelledby={`${id}-heading`}>
          <h3 id={`${id}-heading`}>{t("scheduling.addLeave")}</h3>
          <p className="hint">{t("scheduling.leaveHint", { zone: browserTimeZone() })}</p>
          <div className="sched-two">
            <div className="field">
              <label htmlFor={`${id}-start`}>{t("scheduling.leaveStart")}</label>
              <input
                id={`${id}-start`}
                type="datetime-local"
                value={start}
                onChange={(e) => setStart(e.target.value)}
                aria-invalid={errors.start ? true : undefined}
                aria-describedby={errors.start ? `${id}-start-error` : undefined}
              />
              {err("start")}
            </div>
            <div className="field">
              <label htmlFor={`${id}-end`}>{t("scheduling.leaveEnd")}</label>
              <input
                id={`${id}-end`}
                type="datetime-local"
                value={end}
                onChange={(e) => setEnd(e.target.value)}
                aria-invalid={errors.end ? true : undefined}
                aria-describedby={errors.end ? `${id}-end-error` : undefined}
              />
              {err("end")}
            </div>
          </div>
          <div className="field">
            <label htmlFor={`${id}-reason`}>{t("scheduling.leaveReason")}</label>
            <input
              id={`${id}-reason`}
              type="text"
              maxLength={200}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={errors.reason ? true : undefined}
              aria-describedby={errors.reason ? `${id}-reason-error` : `${id}-reason-hint`}
            />
            <p className="hint" id={`${id}-reason-hint`}>
              {t("scheduling.leaveReasonHint")}
            </p>
            {err("reason")}
          </div>
          {err("form")}
          <div className="sched-actions">
            <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
              {t("scheduling.saveLeave")}
            </button>
            <button type="button" className="secondary" onClick={() => setOpen(false)} disabled={busy}>
              {t("scheduling.close")}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

function emptyForm(): ScheduleForm {
  return {
    rows: [0, 1, 2, 3, 4].map((weekday) => ({ weekday, start: "09:00", end: "17:00" })),
    slotMinutes: "15",
    timezone: browserTimeZone(),
    validFrom: dayKey(new Date()),
    validTo: "",
  };
}

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

function NewSchedule({ owner, name, onCreated }: { owner: SchedOwner; name: string; onCreated: () => void }) {
  const id = useId();
  const [form, setForm] = useState<ScheduleForm>(emptyForm);
  const [problems, setProblems] = useState(() => checkSchedule(emptyForm()));
  const [shown, setShown] = useState(false);
  const [refusal, setRefusal] = useState<{ field: ScheduleField | "form"; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState(false);

  function update(next: ScheduleForm) {
    setForm(next);
    setProblems(checkSchedule(next));
    setRefusal(null);
    setCreated(false);
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setShown(true);
    const found = checkSchedule(form);
    setProblems(found);
    if (hasProblems(found)) return;
    setBusy(true);
    const result = await outcome(api.POST("/api/v1/schedules", { body: scheduleBodyFor(owner, form) }));
    setBusy(false);
    if (result.ok) {
      setCreated(true);
      setShown(false);
      onCreated();
    } else {
      setRefusal({ field: refusalField(result.problem), message: problemDetail(result.problem, result.status) });
    }
  }

  const fieldProblem = (field: ScheduleField) => {
    const mine = shown ? problems.fields[field] : undefined;
    const theirs = refusal?.field === field ? refusal.message : "";
    const text = mine ? t(mine) : theirs;
    return text ? (
      <p className="alert" role="alert" id={`${id}-${field}-error`}>
        {text}
      </p>
    ) : null;
  };
  const invalid = (field: ScheduleField) =>
    (shown && problems.fields[field]) || refusal?.field === field
      ? { "aria-invalid": true as const, "aria-describedby": `${id}-${field}-error` }
      : {};
  const setRow = (i: number, patch: Partial<ScheduleForm["rows"][number]>) =>
    update({ ...form, rows: form.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });

  return (
    <section className="card sched-wide" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t("scheduling.newSchedule", { name })}</h2>
      {created && (
        <p className="success" role="status">
          {t("scheduling.scheduleCreated")}
        </p>
      )}
      <form className="sched-form" onSubmit={(e) => void create(e)} noValidate>
        <fieldset className="sched-hours" {...(refusal?.field === "rows" ? { "aria-describedby": `${id}-rows-error` } : {})}>
          <legend>{t("scheduling.weeklyHours")}</legend>
          {form.rows.map((row, i) => {
            const rowProblem = shown ? problems.rows[i] : undefined;
            const rowId = `${id}-row-${i}`;
            return (
              <div key={i} className="sched-hours-row" role="group" aria-label={t("scheduling.rowLabel", { n: i + 1 })}>
                <div className="field">
                  <label htmlFor={`${rowId}-day`}>{t("scheduling.weekday")}</label>
                  <select
                    id={`${rowId}-day`}
                    value={row.weekday}
                    onChange={(e) => setRow(i, { weekday: Number(e.target.value) })}
                  >
                    {[0, 1, 2, 3, 4, 5, 6].map((d) => (
                      <option key={d} value={d}>
                        {weekdayName(d)}
                      </option>
                    ))}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor={`${rowId}-start`}>{t("scheduling.from")}</label>
                  <input
                    id={`${rowId}-start`}
                    type="time"
                    value={row.start}
                    onChange={(e) => setRow(i, { start: e.target.value })}
                    aria-invalid={rowProblem ? true : undefined}
                    aria-describedby={rowProblem ? `${rowId}-error` : undefined}
                  />
                </div>
                <div className="field">
                  <label htmlFor={`${rowId}-end`}>{t("scheduling.to")}</label>
                  <input
                    id={`${rowId}-end`}
                    type="time"
                    value={row.end}
                    onChange={(e) => setRow(i, { end: e.target.value })}
                    aria-invalid={rowProblem ? true : undefined}
                    aria-describedby={rowProblem ? `${rowId}-error` : undefined}
                  />
                </div>
                <button
                  type="button"
                  className="secondary sched-remove"
                  onClick={() => update({ ...form, rows: form.rows.filter((_, j) => j !== i) })}
                  aria-label={t("scheduling.removeRow", { day: weekdayName(row.weekday), n: i + 1 })}
                >
                  {t("scheduling.remove")}
                </button>
                {rowProblem && (
                  <p className="alert sched-row-error" role="alert" id={`${rowId}-error`}>
                    {t(rowProblem)}
                  </p>
                )}
              </div>
            );
          })}
          <button
            type="button"
            className="secondary"
            onClick={() => update({ ...form, rows: [...form.rows, { weekday: 5, start: "09:00", end: "13:00" }] })}
          >
            {t("scheduling.addRow")}
          </button>
          {fieldProblem("rows")}
        </fieldset>
        <div className="sched-two">
          <div className="field">
            <label htmlFor={`${id}-slot`}>{t("scheduling.slotLengthMinutes")}</label>
            <input
              id={`${id}-slot`}
              type="number"
              min={5}
              max={480}
              step={5}
              value={form.slotMinutes}
              onChange={(e) => update({ ...form, slotMinutes: e.target.value })}
              {...invalid("slotMinutes")}
            />
            {fieldProblem("slotMinutes")}
          </div>
          <div className="field">
            <label htmlFor={`${id}-tz`}>{t("scheduling.timeZone")}</label>
            <input
              id={`${id}-tz`}
              type="text"
              list={`${id}-zones`}
              value={form.timezone}
              onChange={(e) => update({ ...form, timezone: e.target.value })}
              {...invalid("timezone")}
            />
            <datalist id={`${id}-zones`}>
              {timeZones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            {fieldProblem("timezone")}
          </div>
          <div className="field">
            <label htmlFor={`${id}-from`}>{t("scheduling.validFrom")}</label>
            <input
              id={`${id}-from`}
              type="date"
              value={form.validFrom}
              onChange={(e) => update({ ...form, validFrom: e.target.value })}
              {...invalid("validFrom")}
            />
            {fieldProblem("validFrom")}
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>{t("scheduling.validTo")}</label>
            <input
              id={`${id}-to`}
              type="date"
              value={form.validTo}
              onChange={(e) => update({ ...form, validTo: e.target.value })}
              {...invalid("validTo")}
            />
            {fieldProblem("validTo")}
          </div>
        </div>
        {refusal?.field === "form" && (
          <p className="alert" role="alert">
            {refusal.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          {t("scheduling.createSchedule")}
        </button>
      </form>
    </section>
  );
}
