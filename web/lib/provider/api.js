// The provider page's requests (through the shared staff-API wrapper, shared/admin-api.js)
// and its Japanese messages: what a failed request says to an office manager, and what a
// refused field says.

import { adminRequest } from '../shared/admin-api.js';

/**
 * The Japanese message for a failed request of the provider page.
 * @param {import('../shared/api.js').Failure} failure
 */
export function providerMessage({ status, retryAfter = null }) {
  switch (status) {
    case 0:
      return '通信に失敗しました。電波やネットワークを確認して、もう一度お試しください。';
    case 401:
      return 'トークンが正しくないか、使えなくなっています。案内状のトークンを確かめて、もう一度サインインしてください。';
    case 403:
      return 'この事業所アカウントでは、この操作はできません。';
    case 404:
      return '事業所が見つかりませんでした。市の担当者にお問い合わせください。';
    case 412:
      return 'ほかの方（市の職員など）が先にこの事業所の情報を変更していました。最新の内容を読み込みましたので、もう一度お試しください。';
    case 422:
      return '入力内容を確認してください。';
    case 428:
      return '保存できませんでした。ページを再読み込みしてから、もう一度お試しください。';
    case 429:
      return `サインインの失敗が続いたため、一時的に制限しています。${retryAfter ? `${retryAfter}秒ほど` : 'しばらく'}待ってからお試しください。`;
    default:
      return status >= 500
        ? 'サーバーでエラーが発生しました。時間をおいて、もう一度お試しください。'
        : '要求を処理できませんでした。時間をおいて、もう一度お試しください。';
  }
}

/**
 * The Japanese message for a field the server refused (its reasons are English).
 * @param {string} name
 */
export function fieldMessage(name) {
  switch (name) {
    case 'accepting_note':
      return 'ひとことは200文字以内で入力してください。';
    case 'accepting_places':
      return '空き人数は0〜999の数字で入力してください（わからなければ空欄のままで構いません）。';
    case 'accepting':
      return '受入可・要相談・受入不可のどれかを選んでください。';
    default:
      return '入力内容を確認してください。';
  }
}

/**
 * One request of the provider page, with its token.
 * @param {string} method
 * @param {string} path
 * @param {{token: string, etag?: string|null, body?: object|null}} options
 * @returns {Promise<{data: any, etag: string|null}>}
 * @throws {import('../shared/api.js').ApiError}
 */
export function providerRequest(method, path, { token, etag = null, body = null }) {
  return adminRequest(method, path, { token, etag, body, describe: providerMessage });
}
