// The signed-in pages' side of the staff API (the staff page and the provider page): the
// token of this browser tab (sessionStorage only: never a cookie, never the URL; both pages
// use the same key, so the staff page can hand a provider's token to the provider page) and
// one authorised request through the shared fetch wrapper (api.js), never cached.

import { request } from './api.js';

const TOKEN_KEY = 'caremap.staffToken';

/** The token of this browser tab (sessionStorage: gone when the tab closes). */
export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Same-origin requests of these pages: never cached, never with cookies. */
export const PRIVATE = { cache: 'no-store', credentials: 'omit' };

/**
 * One request with the token.
 * @param {string} method
 * @param {string} path
 * @param {{token: string, etag?: string|null, body?: object|null, contentType?: string,
 *   describe: (failure: import('./api.js').Failure) => string}} options
 * @returns {Promise<{data: any, etag: string|null, response: Response}>} `data` is the JSON
 *   body (null when empty or not JSON: the status said it worked)
 * @throws {import('./api.js').ApiError}
 */
export async function adminRequest(method, path, { token, etag = null, body = null, contentType = 'application/json', describe }) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/geo+json, application/json' };
  if (etag) headers['If-Match'] = etag;
  if (body) headers['Content-Type'] = contentType;
  const init = { method, headers, body: body ? JSON.stringify(body) : undefined, ...PRIVATE };
  return answer(await request(path, init, describe));
}

/** The JSON body (null when empty or not JSON) and the ETag. */
export async function answer(response) {
  let data = null;
  try {
    data = await response.clone().json();
  } catch {
    // An empty or non-JSON body.
  }
  return { data, etag: response.headers.get('ETag'), response };
}
