// 「事業所アカウント」: an editor issues an account for one or more providers (name + providers
// found by search), sees its token once (copy, or print the letter: letter.js), lists the
// accounts and revokes one after a confirmation dialog. Through
// `/api/admin/provider-accounts`; every value shown as text.

import { ApiError } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import { staffJson } from './api.js';
import { formatTime } from './form-values.js';
import { clearLetter, printLetter } from './letter.js';
import { state } from './page-state.js';
import { findProviders } from './search.js';
import { signOut } from './session.js';

const $ = (id) => document.getElementById(id);

const el = {
  form: $('account-form'),
  name: $('account-name'),
  nameError: $('err-account-name'),
  q: $('account-q'),
  search: $('account-search'),
  searchStatus: $('account-search-status'),
  results: $('account-results'),
  chosen: $('account-chosen'),
  providersError: $('err-account-providers'),
  error: $('account-error'),
  issued: $('account-issued'),
  issuedHeading: $('issued-heading'),
  token: $('issued-token'),
  copy: $('issued-copy'),
  print: $('issued-print'),
  close: $('issued-close'),
  issuedStatus: $('issued-status'),
  status: $('accounts-status'),
  rows: $('accounts-rows'),
  dialog: $('revoke-dialog'),
  revokeText: $('revoke-text'),
  revokeYes: $('revoke-yes'),
  revokeNo: $('revoke-no'),
};

/** The providers chosen for the new account: id → name, in the order chosen. */
const chosen = new Map();
/** The account just issued (with its token), until 「閉じる」. */
let issued = null;
/** The account name the dialog asks about. */
let revoking = null;

const ACCOUNTS = '/api/admin/provider-accounts';

function renderChosen() {
  replaceChildren(
    el.chosen,
    ...(chosen.size === 0
      ? [h('li', { class: 'hint' }, 'まだ選んでいません。上で検索して、事業所を押してください。')]
      : [...chosen].map(([id, name]) =>
          h(
            'li',
            { class: 'chosen-list__item', 'data-id': id },
            h('span', {}, name),
            h('button', { type: 'button', class: 'button button--small', 'data-remove': id, 'aria-label': `${name}を外す` }, '外す'),
          ),
        )),
  );
}

function clearErrors() {
  for (const slot of [el.nameError, el.providersError, el.error]) {
    slot.textContent = '';
    slot.hidden = true;
  }
  el.name.removeAttribute('aria-invalid');
}

function fieldError(slot, text) {
  slot.textContent = text;
  slot.hidden = false;
}

/** A failed request: 401 signs out; otherwise the message goes to `slot`. */
function failed(error, slot, messages = {}) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 401) {
    signOut(error.userMessage);
    return;
  }
  fieldError(slot, messages[error.status] ?? error.userMessage);
}

async function issue() {
  clearErrors();
  const name = el.name.value.trim();
  if (!name) {
    fieldError(el.nameError, 'アカウント名を入力してください。');
    el.name.setAttribute('aria-invalid', 'true');
    el.name.focus();
    return;
  }
  if (chosen.size === 0) {
    fieldError(el.providersError, '事業所を1つ以上選んでください。');
    el.q.focus();
    return;
  }
  try {
    const { data } = await staffJson('POST', ACCOUNTS, { token: state.token, body: { name, providers: [...chosen.keys()] } });
    issued = data;
    el.token.textContent = data.token;
    el.issuedStatus.textContent = '';
    el.issued.hidden = false;
    el.issuedHeading.focus();
    el.name.value = '';
    chosen.clear();
    renderChosen();
    replaceChildren(el.results);
    el.searchStatus.textContent = '';
    await loadAccounts();
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      for (const p of error.problem?.invalid_params ?? []) {
        if (p.name === 'name') {
          fieldError(el.nameError, 'アカウント名は64文字以内で、改行などを含めずに入力してください。');
          el.name.setAttribute('aria-invalid', 'true');
        } else if (p.name === 'providers') {
          fieldError(el.providersError, '選んだ事業所が見つかりません。検索し直して選んでください。');
        }
      }
    }
    failed(error, el.error, { 409: 'このアカウント名はすでに使われています。別の名前にしてください。', 422: '入力内容を確認してください。' });
  }
}

function accountRow(account) {
  const revoked = Boolean(account.revoked_at);
  return h(
    'tr',
    { 'data-name': account.name, class: revoked ? 'is-revoked' : null },
    h('th', { scope: 'row' }, account.name),
    h('td', {}, (account.providers ?? []).map((p) => p.name ?? p.id).join('、')),
    h('td', {}, formatTime(account.created_at)),
    h('td', {}, revoked ? `無効（${formatTime(account.revoked_at)}）` : '有効'),
    h(
      'td',
      {},
      revoked
        ? null
        : h('button', { type: 'button', class: 'button button--small button--danger', 'data-revoke': account.name }, '無効にする'),
    ),
  );
}

/** Loads and shows the provider accounts. */
export async function loadAccounts() {
  el.status.textContent = '読み込んでいます…';
  try {
    const { data } = await staffJson('GET', ACCOUNTS, { token: state.token });
    const accounts = data?.accounts ?? [];
    replaceChildren(el.rows, ...accounts.map(accountRow));
    el.status.textContent = accounts.length ? `${accounts.length}件` : 'まだ発行していません。';
  } catch (error) {
    failed(error, el.status);
    el.status.hidden = false;
  }
}

function askRevoke(name) {
  revoking = name;
  el.revokeText.textContent = `アカウント「${name}」を無効にしますか？ このトークンではサインインできなくなります（元に戻せません。必要なら新しく発行してください）。`;
  el.dialog.showModal();
  el.revokeNo.focus();
}

async function revoke() {
  const name = revoking;
  el.dialog.close();
  if (!name) return;
  try {
    await staffJson('DELETE', `${ACCOUNTS}/${encodeURIComponent(name)}`, { token: state.token });
    await loadAccounts();
    el.status.textContent = `アカウント「${name}」を無効にしました。`;
  } catch (error) {
    failed(error, el.status, { 404: 'そのアカウントは見つかりませんでした（すでに無効かもしれません）。' });
  }
}

async function copyToken() {
  if (!issued) return;
  try {
    await navigator.clipboard.writeText(issued.token);
    el.issuedStatus.textContent = 'トークンをコピーしました。';
  } catch {
    // No clipboard (plain http on a LAN): select the token to copy by hand.
    getSelection().selectAllChildren(el.token);
    el.issuedStatus.textContent = 'トークンを選択しました。Ctrl+C（⌘+C）でコピーしてください。';
  }
}

/** Wires the section's controls (once, at start). */
export function setUpProviderAccounts() {
  renderChosen();
  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    issue();
  });
  const search = () => {
    const q = el.q.value.trim();
    if (q) findProviders(q, { list: el.results, status: el.searchStatus, attribute: 'add' });
  };
  el.search.addEventListener('click', search);
  el.q.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      search();
    }
  });
  el.results.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-add]');
    if (!button) return;
    chosen.set(button.dataset.add, button.dataset.name ?? button.dataset.add);
    el.providersError.hidden = true;
    renderChosen();
  });
  el.chosen.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-remove]');
    if (!button) return;
    chosen.delete(button.dataset.remove);
    renderChosen();
    el.q.focus();
  });
  el.copy.addEventListener('click', copyToken);
  el.print.addEventListener('click', () => issued && printLetter(issued));
  el.close.addEventListener('click', () => {
    issued = null;
    el.token.textContent = '';
    clearLetter();
    el.issued.hidden = true;
    el.name.focus();
  });
  el.rows.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-revoke]');
    if (button) askRevoke(button.dataset.revoke);
  });
  el.revokeYes.addEventListener('click', revoke);
  el.revokeNo.addEventListener('click', () => el.dialog.close());
  el.dialog.addEventListener('close', () => {
    const name = revoking;
    revoking = null;
    el.rows.querySelector(`button[data-revoke="${CSS.escape(name ?? '')}"]`)?.focus();
  });
}
