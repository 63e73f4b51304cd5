// The staff API from the page, through the shared fetch wrapper (shared/api.js): every request
// carries the token from sessionStorage (never a cookie, never the URL), and every failure
// becomes an ApiError with the staff page's Japanese message. The page's public reads
// (search, map, reference data) go through the same wrapper.

import { PRIVATE, adminRequest, answer, tokenStore } from '../shared/admin-api.js';
import { request } from '../shared/api.js';

export { tokenStore };

/**
 * The Japanese message for a failed staff request.
 * @param {number} status
 * @param {string|null} retryAfter the Retry-After header (seconds)
 */
export function staffMessage(status, retryAfter = null) {
  switch (status) {
    case 0:
      return '通信に失敗しました。ネットワークを確認して、もう一度お試しください。';
    case 401:
      return 'トークンが正しくないか、無効になっています。もう一度サインインしてください。';
    case 403:
      return 'この操作を行う権限がありません。';
    case 404:
      return '事業所が見つかりませんでした。';
    case 409:
      return '現在の状態ではこの操作はできません（削除済みの事業所は、先に復元してください）。';
    case 412:
      return 'あなたが編集している間に、ほかの人がこの事業所を変更しました。';
    case 413:
      return 'ファイルが大きすぎます。';
    case 422:
      return '入力内容に誤りがあります。赤く表示された項目を確認してください。';
    case 428:
      return '版の情報がないため保存できませんでした。事業所を読み込み直してください。';
    case 429:
      return `サインインの失敗が続いたため、一時的に制限しています。${retryAfter ? `${retryAfter}秒ほど` : 'しばらく'}待ってからお試しください。`;
    default:
      return status >= 500
        ? 'サーバーでエラーが発生しました。時間をおいて再度お試しください。'
        : '要求を処理できませんでした。入力内容を確認してください。';
  }
}

/** The staff page's text for a failed request (see shared/api.js `Failure`). */
const describe = ({ status, retryAfter = null }) => staffMessage(status, retryAfter);

/**
 * One staff request.
 * @param {string} method
 * @param {string} path
 * @param {{token: string, etag?: string|null, body?: object|null}} options
 * @returns {Promise<{data: any, etag: string|null}>}
 * @throws {ApiError}
 */
export async function staffRequest(method, path, { token, etag = null, body = null }) {
  return adminRequest(method, path, { token, etag, body, contentType: 'application/geo+json', describe });
}

/**
 * One staff request whose body is plain JSON (PATCH vacancy, provider accounts).
 * @param {string} method
 * @param {string} path
 * @param {{token: string, etag?: string|null, body?: object|null}} options
 * @returns {Promise<{data: any, etag: string|null, response: Response}>}
 * @throws {ApiError}
 */
export function staffJson(method, path, { token, etag = null, body = null }) {
  return adminRequest(method, path, { token, etag, body, describe });
}

/**
 * Uploads files as multipart/form-data (the text `fields` first, a field given as a list once
 * per value, then one `file` part per file).
 * @param {string} path
 * @param {{token: string, files: File[], fields?: Record<string, string|string[]>}} options
 * @returns {Promise<{data: any, etag: string|null}>}
 * @throws {ApiError}
 */
export async function staffUpload(path, { token, files, fields = {} }) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) form.append(name, one);
  for (const file of files) form.append('file', file, file.name);
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  return answer(await request(path, { method: 'POST', headers, body: form, ...PRIVATE }, describe));
}

/**
 * GET a public JSON document (no token): providers for the finder and the map, services,
 * districts, the base map's tiles.
 * @param {string} path
 * @throws {ApiError}
 */
export async function publicJson(path) {
  const response = await request(path, {}, describe);
  return response.json();
}
