// The typed OHMS API client and the sign-in session.
//
// The access token lives in memory only (gone when the tab closes or reloads). The refresh
// token is never seen by any script: the service keeps it in an httpOnly, SameSite=Strict
// cookie for the auth routes, because every auth request says `X-OHMS-Session: cookie`. A
// reload refreshes through that cookie. Every request carries `Authorization: Bearer
// <access token>`; a 401 leads to one refresh and one retry of the request.
//
// localStorage holds one non-secret flag, "a portal session may exist", so that a visitor
// who never signed in is not sent to the refresh route for nothing.

import createClient, { type Middleware } from "openapi-fetch";
import { outcome, type Outcome } from "../lib/outcome";
import type { components, paths } from "./schema";

export type Me = components["schemas"]["Me"];
export type RecordMetadata = components["schemas"]["RecordMetadata"];
export type ConsentOut = components["schemas"]["ConsentOut"];
export type AuditEntryOut = components["schemas"]["AuditEntryOut"];
export type NotificationOut = components["schemas"]["NotificationOut"];
export type PatientSummary = components["schemas"]["PatientSummary"];
export type DirectoryEntry = components["schemas"]["DirectoryEntry"];
export type Problem = components["schemas"]["Problem"];
export type TokenResponse = components["schemas"]["TokenResponse"];

const SESSION_HEADER = "X-OHMS-Session";
const SESSION_HINT_KEY = "ohms.portal.session";
// Requests that must never carry the bearer token nor trigger a refresh.
const NO_AUTH_PATHS = new Set<string>(["/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/siwe/verify"]);
// Requests that set, use or clear the session's cookie.
const COOKIE_PATHS = new Set<string>([...NO_AUTH_PATHS, "/api/v1/auth/logout"]);

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
const sessionEndedListeners = new Set<() => void>();

function hints(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled by the browser
  }
}

function mayHaveSession(): boolean {
  return hints()?.getItem(SESSION_HINT_KEY) === "1";
}

/** Keep the tokens of a sign-in or refresh: the access token in memory, the refresh token
 * stays in its cookie (the body has none). */
export function adoptTokens(tokens: TokenResponse): void {
  accessToken = tokens.access_token;
  hints()?.setItem(SESSION_HINT_KEY, "1");
}

function clearTokens(): void {
  accessToken = null;
  hints()?.removeItem(SESSION_HINT_KEY);
}

/** The Authorization header value for requests made outside the typed client (an
 * XMLHttpRequest upload that reports its progress), or null when signed out. */
export function authorizationHeader(): string | null {
  return accessToken ? `Bearer ${accessToken}` : null;
}

/** Called when the session ends on its own (the refresh token no longer works). */
export function onSessionEnded(listener: () => void): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

// Copies of requests in flight, so a request can be sent again after a refresh (its body
// has been read by the first attempt).
const retryCopies = new Map<string, Request>();

const auth: Middleware = {
  onRequest({ request, schemaPath, id }) {
    if (COOKIE_PATHS.has(schemaPath)) request.headers.set(SESSION_HEADER, "cookie");
    if (NO_AUTH_PATHS.has(schemaPath)) return request;
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    if (mayHaveSession()) retryCopies.set(id, request.clone());
    return request;
  },
  async onResponse({ response, schemaPath, id, options }) {
    const copy = retryCopies.get(id);
    retryCopies.delete(id);
    if (response.status !== 401 || NO_AUTH_PATHS.has(schemaPath) || !copy) return undefined;
    if (!(await refreshSession())) {
      notifySessionEnded();
      return undefined;
    }
    const retry = new Request(copy);
    retry.headers.set("Authorization", `Bearer ${accessToken ?? ""}`);
    const send = options.fetch; // called unbound: as a method of `options` it throws "Illegal invocation"
    return send(retry);
  },
  onError({ id }) {
    retryCopies.delete(id);
    return undefined;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

function notifySessionEnded(): void {
  for (const listener of sessionEndedListeners) listener();
}

/**
 * Trade the session's cookie for a new access token. Concurrent callers share one attempt
 * (a refresh token works once). False, with the tokens cleared, when it does not work.
 */
export function refreshSession(): Promise<boolean> {
  if (refreshing) return refreshing;
  if (!mayHaveSession()) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const { data } = await api.POST("/api/v1/auth/refresh", { credentials: "same-origin" });
      if (data) {
        adoptTokens(data);
        return true;
      }
      clearTokens();
      return false;
    } catch {
      // The network failed: the cookie is kept, so a later attempt may still work.
      accessToken = null;
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** After a reload: a new access token from the session's cookie, if there may be one. */
export function restoreSession(): Promise<boolean> {
  if (accessToken) return Promise.resolve(true);
  return refreshSession();
}

/** Sign in with the OAuth2 password form (username = email). */
export async function signIn(email: string, password: string): Promise<Outcome<null>> {
  const result = await outcome(
    api.POST("/api/v1/auth/token", {
      body: { username: email, password, grant_type: "password", scope: "" },
      bodySerializer: (body) => {
        const form = new URLSearchParams();
        form.set("grant_type", "password");
        form.set("username", body.username);
        form.set("password", body.password);
        return form;
      },
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );
  if (!result.ok) return result;
  adoptTokens(result.value);
  return { ok: true, value: null };
}

/** End the sign-in on the server (best effort) and forget the tokens here. */
export async function signOut(): Promise<void> {
  try {
    if (accessToken) await api.POST("/api/v1/auth/logout");
  } catch {
    // Offline: the tokens are forgotten here all the same.
  } finally {
    clearTokens();
  }
}
