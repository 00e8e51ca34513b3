// The one message catalogue: every word the portal shows, in English and Hindi.
//
// Each screen keeps its messages in ./messages/<area>.ts as `{ en, hi }`, where `hi` must
// have exactly the keys of `en` (the compiler checks it). Keys are "<area>.<what>"; a
// `{name}` in a message is filled by t(key, { name }).

import * as common from "./messages/common";
import * as nav from "./messages/nav";
import * as auth from "./messages/auth";
import * as wallet from "./messages/wallet";
import * as patient from "./messages/patient";
import * as share from "./messages/share";
import * as staff from "./messages/staff";
import * as write from "./messages/write";
import * as records from "./messages/records";
import * as results from "./messages/results";
import * as audit from "./messages/audit";
import * as admin from "./messages/admin";
import * as format from "./messages/format";
import * as scheduling from "./messages/scheduling";
import * as inbox from "./messages/inbox";
import * as orders from "./messages/orders";
import * as pharmacy from "./messages/pharmacy";
import * as billing from "./messages/billing";
import * as finance from "./messages/finance";

export type Lang = "en" | "hi";

const en = {
  ...common.en,
  ...nav.en,
  ...auth.en,
  ...wallet.en,
  ...patient.en,
  ...share.en,
  ...staff.en,
  ...write.en,
  ...records.en,
  ...results.en,
  ...audit.en,
  ...admin.en,
  ...format.en,
  ...scheduling.en,
  ...inbox.en,
  ...orders.en,
  ...pharmacy.en,
  ...billing.en,
  ...finance.en,
} as const;

export type MessageKey = keyof typeof en;

const hi: Record<MessageKey, string> = {
  ...common.hi,
  ...nav.hi,
  ...auth.hi,
  ...wallet.hi,
  ...patient.hi,
  ...share.hi,
  ...staff.hi,
  ...write.hi,
  ...records.hi,
  ...results.hi,
  ...audit.hi,
  ...admin.hi,
  ...format.hi,
  ...scheduling.hi,
  ...inbox.hi,
  ...orders.hi,
  ...pharmacy.hi,
  ...billing.hi,
  ...finance.hi,
};

export const catalog: Record<Lang, Record<MessageKey, string>> = { en, hi };
