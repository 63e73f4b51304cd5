// The map page's requests: GET and POST of JSON and CSV through the shared fetch wrapper
// (shared/api.js), with the map page's Japanese messages. Problem details from the server are
// kept on the ApiError for the console; what users read is always one of the messages below.

import { ApiError, isAbort, request } from '../shared/api.js';

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

/** The map page's text for a failed request (see shared/api.js `Failure`). */
function describe({ status, offline, problem }) {
  if (status === 0) return offline ? MESSAGES.offline : MESSAGES.network;
  return messageForStatus(status, problem);
}

async function readJson(response) {
  try {
    return await response.json();
  } catch (cause) {
    if (isAbort(cause)) throw cause;
    throw new ApiError(MESSAGES.server, { status: response.status, cause });
  }
}

/**
 * GET a JSON (or GeoJSON) document.
 * @param {string} url
 * @param {{signal?: AbortSignal}} options
 */
export async function getJson(url, { signal } = {}) {
  const response = await request(url, { signal, headers: { Accept: 'application/geo+json, application/json' } }, describe);
  return readJson(response);
}

/**
 * POST a GeoJSON body and read a JSON answer.
 * @param {string} url
 * @param {object} body
 * @param {{signal?: AbortSignal}} options
 */
export async function postJson(url, body, { signal } = {}) {
  const init = {
    method: 'POST',
    signal,
    headers: { 'Content-Type': 'application/geo+json', Accept: 'application/geo+json, application/json' },
    body: JSON.stringify(body),
  };
  const response = await request(url, init, describe);
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
  const response = await request(url, init, describe);
  return response.text();
}
