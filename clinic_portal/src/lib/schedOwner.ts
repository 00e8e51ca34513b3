// Whose time a schedule, a slot or a booking is: a practitioner's, or a room's or equipment's
// (the service books both with one engine). Pure.

import type { components } from "../api/schema";
import { scheduleBody, type ScheduleForm } from "./scheduling";

export type SchedOwner = { practitioner: string } | { resource: string };
export type ResourceOut = components["schemas"]["ResourceOut"];
export type ResourceKind = components["schemas"]["ResourceKind"];

/** A stable key for an owner (remounting pickers and lists when it changes). */
export function ownerKey(owner: SchedOwner): string {
  return "practitioner" in owner ? `p:${owner.practitioner}` : `r:${owner.resource}`;
}

/** An owner from a select's value ("p:<id>" or "r:<id>"), or null for "". */
export function ownerFromKey(key: string): SchedOwner | null {
  const m = /^([pr]):(.+)$/.exec(key);
  if (!m || !m[2]) return null;
  return m[1] === "p" ? { practitioner: m[2] } : { resource: m[2] };
}

/** The body of POST /schedules for a practitioner or a resource. */
export function scheduleBodyFor(owner: SchedOwner, form: ScheduleForm): components["schemas"]["ScheduleCreate"] {
  const body = scheduleBody("", form);
  if ("practitioner" in owner) return { ...body, practitioner: owner.practitioner };
  return { ...body, practitioner: null, resource: owner.resource };
}

/** A resource's name for a check that it is sensible before it is sent: "" when fine. */
export function resourceNameProblem(name: string): "" | "empty" | "long" {
  const trimmed = name.trim();
  if (!trimmed) return "empty";
  if (trimmed.length > 200) return "long";
  return "";
}
