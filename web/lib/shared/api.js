// The one fetch wrapper of both pages: every failure — no network, or an error status —
// becomes an ApiError carrying the Japanese text to show, the status and the problem details
// (RFC 9457) for the console. Which text is each page's choice: the map page and the staff
// page say different things, so each passes its own `describe` (map/api.js, staff/api.js).

/** A failed API call, with the Japanese text to show. */
export class ApiError extends Error {
  /**
   * @param {string} userMessage Japanese, shown on the page
   * @param {{status?: number, problem?: object|null, cause?: unknown}} details status 0 when
   *   the server was not reached
   */
  constructor(userMessage, { status = 0, problem = null, cause = undefined } = {}) {
    super(userMessage, { cause });
    this.name = 'ApiError';
    this.userMessage = userMessage;
    this.status = status;
    this.problem = problem;
  }
}

/**
 * What went wrong, for a page's message table: `status` 0 when the server was not reached
 * (`offline` when the browser knows it has no network), else the response's status, its
 * parsed problem+json body (or null) and its Retry-After header (or null).
 * @typedef {{status: number, offline?: boolean, problem?: object|null, retryAfter?: string|null}} Failure
 */

/**
 * One request. Resolves to the response when its status is 2xx; otherwise throws an ApiError
 * whose text `describe(failure)` chooses. A cancelled request (AbortError) is rethrown as is.
 * @param {string} url
 * @param {RequestInit} init
 * @param {(failure: Failure) => string} describe
 * @returns {Promise<Response>}
 * @throws {ApiError}
 */
export async function request(url, init, describe) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    if (isAbort(cause)) throw cause;
    // No network at all (the browser knows it is offline), or the server could not be reached.
    throw new ApiError(describe({ status: 0, offline: navigator.onLine === false }), { cause });
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      // Not problem+json (a proxy's error page, say); the status alone decides the message.
    }
    const failure = { status: response.status, problem, retryAfter: response.headers.get('Retry-After') };
    throw new ApiError(describe(failure), { status: response.status, problem });
  }
  return response;
}

/** Whether an error is the cancellation of a request the page no longer needs. */
export function isAbort(error) {
  return error?.name === 'AbortError';
}
