// The tests a physician usually orders, as a short pick-list: lab tests and imaging
// procedures named by LOINC. Codes and long common names are those published by LOINC
// (Regenstrief Institute, https://loinc.org, release 2.77; imaging from the LOINC/RSNA
// Radiology Playbook, https://loinc.org/kb/users-guide/loinc-rsna-radiology-playbook/).
// Anything else is entered freely as system, code and display.

import type { MessageKey } from "../i18n";

export const LOINC_SYSTEM = "http://loinc.org";
export const SNOMED_SYSTEM = "http://snomed.info/sct";
export const RADLEX_SYSTEM = "http://www.radlex.org";

export type OrderCategory = "lab" | "imaging";

export type OrderCode = {
  /** Stable id of the choice in the pick-list. */
  id: string;
  category: OrderCategory;
  system: string;
  code: string;
  /** The LOINC long common name (what the order's coding displays). */
  display: string;
  /** The test's short name in the portal's words. */
  name: MessageKey;
};

export const ORDER_CODES: readonly OrderCode[] = [
  { id: "hba1c", category: "lab", system: LOINC_SYSTEM, code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood", name: "orders.code.hba1c" },
  { id: "cbc", category: "lab", system: LOINC_SYSTEM, code: "58410-2", display: "CBC panel - Blood by Automated count", name: "orders.code.cbc" },
  { id: "lipids", category: "lab", system: LOINC_SYSTEM, code: "57698-3", display: "Lipid panel with direct LDL - Serum or Plasma", name: "orders.code.lipids" },
  { id: "glucose", category: "lab", system: LOINC_SYSTEM, code: "2345-7", display: "Glucose [Mass/volume] in Serum or Plasma", name: "orders.code.glucose" },
  { id: "creatinine", category: "lab", system: LOINC_SYSTEM, code: "2160-0", display: "Creatinine [Mass/volume] in Serum or Plasma", name: "orders.code.creatinine" },
  { id: "tsh", category: "lab", system: LOINC_SYSTEM, code: "3016-3", display: "Thyrotropin [Units/volume] in Serum or Plasma", name: "orders.code.tsh" },
  { id: "chestXray", category: "imaging", system: LOINC_SYSTEM, code: "36643-5", display: "XR Chest 2 Views", name: "orders.code.chestXray" },
  { id: "ctHead", category: "imaging", system: LOINC_SYSTEM, code: "30799-1", display: "CT Head WO contrast", name: "orders.code.ctHead" },
];

/** The pick-list of one category. */
export function codesOf(category: OrderCategory): OrderCode[] {
  return ORDER_CODES.filter((c) => c.category === category);
}

/** The code systems the orders API accepts per category, and the form of their codes (as api/orders/service.py). */
export const CODE_SYSTEMS: Record<OrderCategory, readonly string[]> = {
  lab: [LOINC_SYSTEM],
  imaging: [LOINC_SYSTEM, SNOMED_SYSTEM, RADLEX_SYSTEM],
};

const CODE_FORMS: Record<string, RegExp> = {
  [LOINC_SYSTEM]: /^[0-9]{1,7}-[0-9]$/,
  [SNOMED_SYSTEM]: /^[0-9]{6,18}$/,
  [RADLEX_SYSTEM]: /^RPID[0-9]{1,7}$/,
};

/** Whether `code` has the form of a code of `system` (LOINC 4548-4, SNOMED CT digits, RadLex RPID…). */
export function codeHasForm(system: string, code: string): boolean {
  const form = CODE_FORMS[system];
  return form ? form.test(code) : false;
}

/** The pick-list's short name of an ordered code (HbA1c for LOINC 4548-4), if it is one of the list. */
export function shortNameOf(coding: { system: string; code: string }): MessageKey | null {
  return ORDER_CODES.find((c) => c.system === coding.system && c.code === coding.code)?.name ?? null;
}
