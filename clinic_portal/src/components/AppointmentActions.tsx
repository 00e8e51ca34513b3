// The clinic's actions on one appointment: confirm, decline, check in (which opens an
// encounter), record a no-show, cancel. Each shows only in the status it applies to.

import { useState } from "react";
import { api } from "../api/client";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import { outcome, type Outcome } from "../lib/outcome";
import type { AppointmentOut } from "../lib/scheduling";
import { AppointmentCancel } from "./AppointmentChange";

type Step = "confirm" | "check-in" | "no-show";

export function AppointmentActions({
  appointment,
  can,
  onChanged,
  onOpenEncounter,
}: {
  appointment: AppointmentOut;
  can: { confirm?: boolean; checkIn?: boolean; noShow?: boolean; cancel?: boolean };
  onChanged: (changed: AppointmentOut) => void;
  onOpenEncounter?: (appointment: AppointmentOut) => void;
}) {
  const [busy, setBusy] = useState<Step | null>(null);
  const [error, setError] = useState("");
  const status = appointment.status;
  const started = new Date(appointment.start).getTime() <= Date.now();

  async function run(step: Step) {
    setBusy(step);
    setError("");
    const params = { params: { path: { appointment_id: appointment.id } } };
    let call: Promise<Outcome<AppointmentOut>>;
    if (step === "confirm") call = outcome(api.POST("/api/v1/appointments/{appointment_id}/confirm", params));
    else if (step === "check-in") call = outcome(api.POST("/api/v1/appointments/{appointment_id}/check-in", params));
    else call = outcome(api.POST("/api/v1/appointments/{appointment_id}/no-show", params));
    const result = await call;
    setBusy(null);
    if (result.ok) onChanged(result.value);
    else setError(problemDetail(result.problem, result.status));
  }

  const button = (step: Step, label: string, primary = false) => (
    <button
      type="button"
      className={primary ? "primary" : "secondary"}
      onClick={() => void run(step)}
      disabled={busy !== null}
      aria-busy={busy === step}
    >
      {label}
    </button>
  );

  return (
    <>
      {can.confirm && status === "pending" && button("confirm", t("scheduling.confirm"), true)}
      {can.confirm && status === "pending" && (
        <AppointmentCancel
          appointment={appointment}
          action="decline"
          defaultReason="practitioner_unavailable"
          onDone={onChanged}
        />
      )}
      {can.checkIn && status === "booked" && appointment.practitioner && button("check-in", t("scheduling.checkIn"), true)}
      {can.noShow && (status === "booked" || status === "pending") && started && button("no-show", t("scheduling.noShow"))}
      {can.cancel && (status === "booked" || status === "pending") && (
        <AppointmentCancel appointment={appointment} action="cancel" defaultReason="other" onDone={onChanged} />
      )}
      {onOpenEncounter && status === "arrived" && appointment.encounter && (
        <button type="button" className="primary" onClick={() => onOpenEncounter(appointment)}>
          {t("scheduling.openEncounter")}
        </button>
      )}
      {error && (
        <p className="alert sched-action-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
