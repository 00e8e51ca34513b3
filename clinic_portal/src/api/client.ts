// The typed OHMS API client and the sign-in session.
//
// The access token lives in memory only (gone when the tab closes or reloads); the refresh
// token is kept in sessionStorage so a reload of this tab can get a new access token. Every
// request carries `Authorization: Bearer <access token>`; a 401 leads to one refresh
// (`POST /api/v1/auth/refresh`) and one retry of the request.

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
type TokenResponse = components["schemas"]["TokenResponse"];

const REFRESH_KEY = "ohms.portal.refresh_token";
// Requests that must never carry the bearer token nor trigger a refresh.
const NO_AUTH_PATHS = new Set<string>(["/api/v1/auth/token", "/api/v1/auth/refresh"]);

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
const sessionEndedListeners = new Set<() => void>();

function storage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null; // storage disabled by the browser
  }
}

function storedRefreshToken(): string | null {
  return storage()?.getItem(REFRESH_KEY) ?? null;
}

function keepTokens(tokens: TokenResponse): void {
  accessToken = tokens.access_token;
  storage()?.setItem(REFRESH_KEY, tokens.refresh_token);
}

function clearTokens(): void {
  accessToken = null;
  storage()?.removeItem(REFRESH_KEY);
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
    if (NO_AUTH_PATHS.has(schemaPath)) return undefined;
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    if (storedRefreshToken()) retryCopies.set(id, request.clone());
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
 * Trade the stored refresh token for new tokens. Concurrent callers share one attempt
 * (a refresh token works once). False, with the tokens cleared, when it does not work.
 */
export function refreshSession(): Promise<boolean> {
  if (refreshing) return refreshing;
  const token = storedRefreshToken();
  if (!token) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const { data } = await api.POST("/api/v1/auth/refresh", { body: { refresh_token: token } });
      if (data) {
        keepTokens(data);
        return true;
      }
      clearTokens();
      return false;
    } catch {
      // The network failed: keep the refresh token so a later attempt may still work.
      accessToken = null;
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** After a reload: a new access token from the stored refresh token, if there is one. */
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
  keepTokens(result.value);
  return { ok: true, value: null };
}

/** End the sign-in on the server (best effort) and forget the tokens here. */
export async function signOut(): Promise<void> {
  try {
    if (accessToken || storedRefreshToken()) await api.POST("/api/v1/auth/logout");
  } catch {
    // Offline: the tokens are forgotten here all the same.
  } finally {
    clearTokens();
  }
}
