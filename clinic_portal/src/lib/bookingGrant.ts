// Sharing records with the clinic of an appointment, from the booking screen: which
// categories, until when (a week after the visit by default), and the grants that follow
// (one signed grant per category, as the consent registry keeps one scope per grant). Pure.

import { dayBoundary, dayOf, SHARE_CATEGORIES } from "./sharing";

export type ShareCategoryName = (typeof SHARE_CATEGORIES)[number]["name"];

/** Categories offered for a visit: every one but "all" (chosen one by one; "all" is on the health screen). */
export const VISIT_CATEGORIES: readonly ShareCategoryName[] = SHARE_CATEGORIES.map((c) => c.name).filter(
  (name) => name !== "all",
);

/** Preselected: what a clinician reads first at a visit. */
export const DEFAULT_VISIT_CATEGORIES: readonly ShareCategoryName[] = ["allergy", "condition", "medication"];

/** The default "Until" of a visit's sharing: a week after the appointment's day (local). */
export function defaultVisitUntil(appointmentStart: string): string {
  const start = new Date(appointmentStart);
  return dayOf(new Date(start.getFullYear(), start.getMonth(), start.getDate() + 7));
}

/** The scope a category is granted under ("lab" -> "category:lab"). */
export function categoryScope(name: ShareCategoryName): string {
  return `category:${name}`;
}

export type VisitGrantProblem = "" | "noCategory" | "until" | "future" | "beforeVisit";

/** Why the visit's sharing cannot be signed yet, or "" when it can. */
export function visitGrantProblem(
  categories: readonly string[],
  until: string,
  appointmentStart: string,
  now: Date = new Date(),
): VisitGrantProblem {
  if (categories.length === 0) return "noCategory";
  const end = dayBoundary(until, "end");
  if (!end) return "until";
  if (end.getTime() <= now.getTime()) return "future";
  // Access that ends before the visit would be of no use to the clinic at the visit.
  if (end.getTime() < new Date(appointmentStart).getTime()) return "beforeVisit";
  return "";
}
