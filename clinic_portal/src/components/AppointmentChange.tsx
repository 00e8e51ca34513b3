// Changing an appointment: cancel or decline with a reason's code, or move it to another
// free slot of the same practitioner.

import { useId, useState } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome } from "../lib/outcome";
import { CHANGE_REASONS, reasonKey, type AppointmentOut, type ChangeReason, type SlotOut } from "../lib/scheduling";
import { formatWhen } from "../lib/calendarFormat";
import { BookingSlotPicker } from "./BookingSlotPicker";

/** "Cancel" (or "Decline"): a reason's code, then the call. */
export function AppointmentCancel({
  appointment,
  action,
  defaultReason,
  onDone,
}: {
  appointment: AppointmentOut;
  action: "cancel" | "decline";
  defaultReason: ChangeReason;
  onDone: (changed: AppointmentOut) => void;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState<ChangeReason>(defaultReason);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const verb = action === "cancel" ? t("scheduling.cancel") : t("scheduling.decline");

  async function send() {
    setBusy(true);
    setError("");
    const params = { path: { appointment_id: appointment.id } };
    const result = await outcome(
      action === "cancel"
        ? api.POST("/api/v1/appointments/{appointment_id}/cancel", { params, body: { reason } })
        : api.POST("/api/v1/appointments/{appointment_id}/decline", { params, body: { reason } }),
    );
    setBusy(false);
    if (result.ok) {
      setOpen(false);
      onDone(result.value);
    } else {
      setError(problemDetail(result.problem, result.status));
    }
  }

  if (!open) {
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)}>
        {verb}
      </button>
    );
  }
  return (
    <div className="sched-inline" role="group" aria-labelledby={`${id}-label`}>
      <p id={`${id}-label`} className="sched-inline-title">
        {action === "cancel"
          ? t("scheduling.cancelWhich", { when: formatWhen(appointment.start) })
          : t("scheduling.declineWhich", { when: formatWhen(appointment.start) })}
      </p>
      <div className="field">
        <label htmlFor={`${id}-reason`}>{t("scheduling.why")}</label>
        <select id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value as ChangeReason)}>
          {CHANGE_REASONS.map((r) => (
            <option key={r} value={r}>
              {t(reasonKey(r))}
            </option>
          ))}
        </select>
      </div>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <div className="sched-actions">
        <button type="button" className="primary" onClick={() => void send()} disabled={busy} aria-busy={busy}>
          {action === "cancel" ? t("scheduling.confirmCancel") : t("scheduling.confirmDecline")}
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)} disabled={busy}>
          {t("scheduling.keepIt")}
        </button>
      </div>
    </div>
  );
}

/** "Reschedule": another free slot of the same practitioner. */
export function AppointmentReschedule({
  appointment,
  onDone,
}: {
  appointment: AppointmentOut;
  onDone: (changed: AppointmentOut) => void;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [slot, setSlot] = useState<SlotOut | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [round, setRound] = useState(0);

  async function move() {
    if (!slot) {
      setError(t("scheduling.pickSlotFirst"));
      return;
    }
    setBusy(true);
    setError("");
    const result = await outcome(
      api.POST("/api/v1/appointments/{appointment_id}/reschedule", {
        params: { path: { appointment_id: appointment.id } },
        body: { start: slot.start },
      }),
    );
    setBusy(false);
    if (result.ok) {
      setOpen(false);
      onDone(result.value);
    } else if (result.status === 409) {
      setSlot(null);
      setRound((n) => n + 1);
      setError(t("scheduling.slotTaken"));
    } else {
      setError(problemDetail(result.problem, result.status));
    }
  }

  // Only a practitioner's time is moved here (the patient's screen): rooms and equipment are
  // the clinic's to rebook.
  if (!appointment.practitioner) return null;
  const owner = { practitioner: appointment.practitioner };
  if (!open) {
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)}>
        {t("scheduling.reschedule")}
      </button>
    );
  }
  return (
    <div className="sched-inline" role="group" aria-labelledby={`${id}-label`}>
      <p id={`${id}-label`} className="sched-inline-title">
        {t("scheduling.rescheduleWhich", { when: formatWhen(appointment.start) })}
      </p>
      <BookingSlotPicker key={round} owner={owner} selected={slot} onSelect={setSlot} />
      <p aria-live="polite">
        {slot ? t("scheduling.chosenSlot", { when: formatWhen(slot.start) }) : t("scheduling.noSlotChosen")}
      </p>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <div className="sched-actions">
        <button type="button" className="primary" onClick={() => void move()} disabled={busy} aria-busy={busy}>
          {t("scheduling.moveHere")}
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)} disabled={busy}>
          {t("scheduling.keepIt")}
        </button>
      </div>
    </div>
  );
}
