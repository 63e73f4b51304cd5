// Talking to the caremap API: fetch wrappers that turn every failure into an ApiError with a
// Japanese message for the page. Problem details (RFC 9457) from the server are kept for
// the console; what users read is always one of the messages below.

export const MESSAGES = {
  network: '通信に失敗しました。時間をおいて再度お試しください。',
  offline: 'オフラインです。インターネットに接続してから、もう一度お試しください。',
  busy: 'ただいま混み合っています。少し待ってから、もう一度お試しください。',
  server: 'サーバーでエラーが発生しました。時間をおいて再度お試しください。',
  badRequest: '検索条件を処理できませんでした。条件を変えてお試しください。',
  notFound: '指定されたデータが見つかりませんでした。',
  queryTooLong: '名称・住所の検索語は200文字以内で入力してください。',
  polygon: '描いた範囲で検索できませんでした。3点以上を、線が交差しないように指定してください。',
  tooLarge: '描いた範囲の点が多すぎます。点を減らしてください。',
  geolocation: '位置情報を取得できませんでした。時間をおいて再度お試しいただくか、地図で場所を選んでください。',
  geolocationDenied: '位置情報を取得できませんでした。ブラウザで位置情報の利用を許可するか、地図で場所を選んでください。',
  geolocationUnsupported: '位置情報を取得できませんでした。このブラウザでは位置情報を利用できません。地図で場所を選んでください。',
};

/** A failed API call, with the Japanese text to show. */
export class ApiError extends Error {
  /**
   * @param {string} userMessage Japanese, shown on the page
   * @param {{status?: number, problem?: object, cause?: unknown}} details
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
 * The Japanese message for an error response.
 * @param {number} status
 * @param {object|null} problem parsed problem+json body, if any
 * @returns {string}
 */
export function messageForStatus(status, problem) {
  const names = (problem?.invalid_params ?? []).map((p) => p.name);
  if (status === 503) return MESSAGES.busy;
  if (status === 413) return MESSAGES.tooLarge;
  if (names.includes('q')) return MESSAGES.queryTooLong;
  if (names.includes('geometry')) return MESSAGES.polygon;
  if (status === 404) return MESSAGES.notFound;
  if (status >= 400 && status < 500) return MESSAGES.badRequest;
  return MESSAGES.server;
}

async function request(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    if (cause?.name === 'AbortError') throw cause;
    // No network at all (the browser knows it is offline), or the server could not be reached.
    throw new ApiError(navigator.onLine === false ? MESSAGES.offline : MESSAGES.network, { cause });
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      // Not problem+json (a proxy's error page, say); the status alone decides the message.
    }
    throw new ApiError(messageForStatus(response.status, problem), { status: response.status, problem });
  }
  return response;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch (cause) {
    if (cause?.name === 'AbortError') throw cause;
    throw new ApiError(MESSAGES.server, { status: response.status, cause });
  }
}

/**
 * GET a JSON (or GeoJSON) document.
 * @param {string} url
 * @param {{signal?: AbortSignal}} options
 */
export async function getJson(url, { signal } = {}) {
  const response = await request(url, { signal, headers: { Accept: 'application/geo+json, application/json' } });
  return readJson(response);
}

/**
 * POST a GeoJSON body and read a JSON answer.
 * @param {string} url
 * @param {object} body
 * @param {{signal?: AbortSignal}} options
 */
export async function postJson(url, body, { signal } = {}) {
  const response = await request(url, {
    method: 'POST',
    signal,
    headers: { 'Content-Type': 'application/geo+json', Accept: 'application/geo+json, application/json' },
    body: JSON.stringify(body),
  });
  return readJson(response);
}

/**
 * Fetch a text document (CSV), GET or POST with a GeoJSON body.
 * @param {string} url
 * @param {object|null} body
 */
export async function getText(url, body = null) {
  const init = body
    ? { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(body) }
    : {};
  const response = await request(url, init);
  return response.text();
}

/** Whether an error is the cancellation of a request the page no longer needs. */
export function isAbort(error) {
  return error?.name === 'AbortError';
}
