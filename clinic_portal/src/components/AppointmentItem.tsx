// One appointment in a list: when, with whom, its status in words, and the actions the
// viewer may take on it (passed in as children).

import type { ReactNode } from "react";
import { t } from "../i18n";
import { reasonKey, statusBadge, type AppointmentOut } from "../lib/scheduling";
import { formatWhen } from "../lib/calendarFormat";
import { Badge, Fact } from "./common";

export function AppointmentItem({
  appointment,
  title,
  facts,
  children,
}: {
  appointment: AppointmentOut;
  title: string;
  facts?: ReactNode;
  children?: ReactNode;
}) {
  const badge = statusBadge(appointment.status);
  return (
    <li className="item sched-appointment" data-testid="appointment">
      <div className="item-head">
        <span className="item-title">{title}</span>
        <Badge tone={badge.tone}>{t(badge.key)}</Badge>
      </div>
      <dl className="facts">
        <Fact term={t("scheduling.when")}>
          <time dateTime={appointment.start}>{formatWhen(appointment.start)}</time>
        </Fact>
        {facts}
        {appointment.cancel_reason && (
          <Fact term={t("scheduling.cancelReason")}>{t(reasonKey(appointment.cancel_reason))}</Fact>
        )}
        {appointment.follow_up_of && <Fact term={t("scheduling.kind")}>{t("scheduling.followUp")}</Fact>}
      </dl>
      {appointment.needs_rebooking && isActive(appointment.status) && (
        <p className="sched-rebook" role="note">
          {t("scheduling.needsRebooking")}
        </p>
      )}
      {children && <div className="sched-actions">{children}</div>}
    </li>
  );
}

function isActive(status: string): boolean {
  return status === "pending" || status === "booked";
}
