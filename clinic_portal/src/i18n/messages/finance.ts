// The organisation's price list and reports (administrators), and the insurer's claims.

export const en = {
  "finance.nav.prices": "Price list",
  "finance.nav.claims": "Claims",
  "finance.nav.reports": "Reports",
} as const;

export const hi: Record<keyof typeof en, string> = {
  "finance.nav.prices": "मूल्य सूची",
  "finance.nav.claims": "दावे",
  "finance.nav.reports": "रिपोर्ट",
};
