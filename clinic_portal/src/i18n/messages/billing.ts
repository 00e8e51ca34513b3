// Billing for patients (their bills, paying online, their insurance) and for the desk
// (charges, issuing, payments at the desk, credit notes, claims).

export const en = {
  "billing.nav.bills": "Bills",
  "billing.nav.desk": "Billing",
} as const;

export const hi: Record<keyof typeof en, string> = {
  "billing.nav.bills": "बिल",
  "billing.nav.desk": "बिलिंग",
};
