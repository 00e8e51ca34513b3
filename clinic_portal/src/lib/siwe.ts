// Sign-In with Ethereum (EIP-4361) messages. The service hands out the nonce and every field
// it will check (POST /api/v1/auth/siwe/nonce: domain, URI, chain id, times, statement); the
// portal writes them into the message the wallet signs (personal_sign), and the service
// checks that message and its signature (api/identity/service.py verify_siwe).

import { createSiweMessage } from "viem/siwe";
import type { Hex } from "./derivation";

/** The body of POST /api/v1/auth/siwe/nonce. */
export type SiweChallenge = {
  nonce: string;
  domain: string;
  uri: string;
  chain_id: number;
  issued_at: string;
  expiration_time: string;
  version?: string;
  statement?: string;
};

export const DEFAULT_STATEMENT = "Sign in to OHMS";

/** A time from the API as a Date (a time without an offset is UTC, as the service means it). */
function apiTime(value: string): Date {
  const hasOffset = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(value.trim());
  const date = new Date(hasOffset ? value : `${value}Z`);
  if (Number.isNaN(date.getTime())) throw new Error(`not a time: ${value}`);
  return date;
}

/** The EIP-4361 message for `address` answering `challenge`, exactly as the wallet will show it. */
export function siweMessage(challenge: SiweChallenge, address: Hex): string {
  return createSiweMessage({
    address,
    domain: challenge.domain,
    uri: challenge.uri,
    chainId: challenge.chain_id,
    nonce: challenge.nonce,
    version: "1",
    statement: challenge.statement ?? DEFAULT_STATEMENT,
    issuedAt: apiTime(challenge.issued_at),
    expirationTime: apiTime(challenge.expiration_time),
  });
}
