// The staff API from the page: every request carries the token from sessionStorage (never a
// cookie, never the URL), and every failure becomes a StaffError with a Japanese message.

const TOKEN_KEY = 'caremap.staffToken';

/** The token of this browser tab (sessionStorage: gone when the tab closes). */
export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A failed staff request, with the Japanese text to show and the problem details. */
export class StaffError extends Error {
  constructor(message, { status = 0, problem = null, cause = undefined } = {}) {
    super(message, { cause });
    this.name = 'StaffError';
    this.status = status;
    this.problem = problem;
  }
}

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

/**
 * One staff request.
 * @param {string} method
 * @param {string} path
 * @param {{token: string, etag?: string|null, body?: object|null}} options
 * @returns {Promise<{data: any, etag: string|null}>}
 * @throws {StaffError}
 */
export async function staffRequest(method, path, { token, etag = null, body = null }) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/geo+json, application/json' };
  if (etag) headers['If-Match'] = etag;
  if (body) headers['Content-Type'] = 'application/geo+json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (cause) {
    throw new StaffError(staffMessage(0), { cause });
  }
  return finish(response);
}

/** The JSON body of a response, or a StaffError for a failed one. */
async function finish(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    // An empty or non-JSON body; the status decides.
  }
  if (!response.ok) {
    throw new StaffError(staffMessage(response.status, response.headers.get('Retry-After')), {
      status: response.status,
      problem: data,
    });
  }
  return { data, etag: response.headers.get('ETag') };
}

/**
 * Uploads files as multipart/form-data (the text `fields` first, then one `file` part per file).
 * @param {string} path
 * @param {{token: string, files: File[], fields?: Record<string, string>}} options
 * @returns {Promise<{data: any, etag: string|null}>}
 * @throws {StaffError}
 */
export async function staffUpload(path, { token, files, fields = {} }) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) form.append('file', file, file.name);
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      body: form,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (cause) {
    throw new StaffError(staffMessage(0), { cause });
  }
  return finish(response);
}
