// The page's only way to the network: its own origin's JSON API.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.reason ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error;
  }
}

/** GET a JSON answer of this service; throws ApiError on an error answer, TypeError when unreachable. */
export async function getJson(path, signal) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, signal });
  const body = await response.json();
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const scopePath = (scope) => `/v1/scopes/${encodeURIComponent(scope)}`;

/** Retries `load` while the service is unreachable (a restart), with a growing pause. */
export async function retrying(load, { signal, onWait }) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await load();
    } catch (error) {
      if (error instanceof ApiError || signal?.aborted) throw error;
      onWait?.(error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5000)));
      if (signal?.aborted) throw error;
    }
  }
}
