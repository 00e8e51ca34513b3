/** What one API call gave: the data, or the HTTP status and the problem+json body. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; problem: unknown };

/** An openapi-fetch call as an Outcome; a network failure is status 0. */
export async function outcome<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Outcome<T>> {
  try {
    const { data, error, response } = await call;
    if (response.ok && data !== undefined) return { ok: true, value: data };
    return { ok: false, status: response.status, problem: error };
  } catch {
    return { ok: false, status: 0, problem: undefined };
  }
}
