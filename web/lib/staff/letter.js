// The letter (案内状) for a new 事業所アカウント: the account's name and offices, the sign-in
// address the server gives (`sign_in_url`), the token and short instructions, printed on its
// own (staff-accounts.css shows only the letter on paper while the body has `print-letter`).

import { h, replaceChildren } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);

/** Days after which a confirmation is old (`/api/about`), said in the letter; null unknown. */
let staleAfterDays = null;

export function useStaleRule(days) {
  staleAfterDays = Number.isInteger(days) ? days : null;
}

/**
 * Fills the letter with the account just issued and opens the print dialog.
 * @param {{name: string, token: string, sign_in_url: string, providers: {id: string, name: string}[]}} account
 */
export function printLetter(account) {
  const offices = account.providers ?? [];
  $('letter-date').textContent = new Date().toLocaleDateString('ja-JP', { timeZone: 'Asia/Tokyo', year: 'numeric', month: 'long', day: 'numeric' });
  $('letter-to').textContent = `${offices.map((p) => p.name ?? p.id).join('、')} 御中`;
  replaceChildren($('letter-offices'), ...offices.map((p) => h('li', {}, p.name ?? p.id)));
  $('letter-url').textContent = account.sign_in_url ?? `${location.origin}/provider.html`;
  $('letter-token').textContent = account.token;
  $('letter-name').textContent = account.name;
  $('letter-stale').textContent = staleAfterDays
    ? `最後の確認から${staleAfterDays}日を過ぎると、地図では「古い情報」として薄く表示されます。`
    : '';
  // The class stays until the next letter or the token is closed: printing is the browser's.
  document.body.classList.add('print-letter');
  window.print();
}

/** Empties the letter (the token must not stay in the page once its box is closed). */
export function clearLetter() {
  document.body.classList.remove('print-letter');
  for (const id of ['letter-to', 'letter-url', 'letter-token', 'letter-name']) $(id).textContent = '';
  replaceChildren($('letter-offices'));
}
