// Codes of the administration screens (roles, organisation kinds) in the person's language;
// a code the catalogue does not know yet is shown made readable.

import { t, type MessageKey } from "../i18n";
import { catalog } from "../i18n/catalog";
import { humanise } from "./format";

function words(key: string, code: string): string {
  return key in catalog.en ? t(key as MessageKey) : humanise(code);
}

export function roleWords(role: string): string {
  return words(`admin.role.${role}`, role);
}

export function kindWords(kind: string): string {
  return words(`admin.kind.${kind}`, kind);
}
