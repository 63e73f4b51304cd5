// 「空き状況の確認」: the providers whose 空き状況 to ask about, never confirmed first, then the
// oldest confirmation first (`GET /api/admin/vacancy-reminders`, `?stale=true` for the stale
// ones only), and the same list as CSV for a mail merge (`f=csv`, fetched with the token and
// saved as a file: shared/download.js).

import { ApiError } from '../shared/api.js';
import { japanDay, saveBlob } from '../shared/download.js';
import { h, replaceChildren } from '../shared/dom.js';
import { acceptingLabel, confirmedAt, confirmedText } from '../shared/vacancy.js';
import { staffJson } from './api.js';
import { state } from './page-state.js';
import { signOut } from './session.js';

const $ = (id) => document.getElementById(id);

const el = {
  rule: $('reminders-rule'),
  stale: $('reminders-stale'),
  reload: $('reminders-reload'),
  csv: $('reminders-csv'),
  status: $('reminders-status'),
  rows: $('reminders-rows'),
};

const path = (csv) => {
  const params = new URLSearchParams();
  if (el.stale.checked) params.set('stale', 'true');
  if (csv) params.set('f', 'csv');
  const qs = params.toString();
  return `/api/admin/vacancy-reminders${qs ? `?${qs}` : ''}`;
};

function failed(error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 401) signOut(error.userMessage);
  else el.status.textContent = error.userMessage;
}

function reminderRow(item) {
  const confirmed = confirmedAt({ accepting_checked_at: item.accepting_checked_at });
  const phones = [item.phone ? `電話 ${item.phone}` : null, item.fax ? `FAX ${item.fax}` : null].filter(Boolean);
  return h(
    'tr',
    { 'data-id': item.id, class: item.stale ? 'is-stale' : null },
    h('th', { scope: 'row' }, item.name),
    h('td', {}, phones.flatMap((line, i) => (i ? [h('br'), line] : [line]))),
    h('td', {}, acceptingLabel(item.accepting) ?? '不明'),
    h('td', {}, confirmed ? confirmedText(confirmed) : '未確認'),
    h('td', { class: 'num' }, Number.isInteger(item.days_since_check) ? `${item.days_since_check}日` : '—'),
    h('td', {}, (item.accounts ?? []).join('、') || 'なし'),
  );
}

/** Loads and shows the list. */
export async function loadReminders() {
  el.status.textContent = '読み込んでいます…';
  try {
    const { data } = await staffJson('GET', path(false), { token: state.token });
    const items = data?.items ?? [];
    if (Number.isInteger(data?.stale_after_days)) {
      el.rule.textContent = `確認から${data.stale_after_days}日を過ぎたものが「古い」です。確認が古い順（一度も確認されていない事業所が先頭）に並べています。CSVは確認のお願い（郵送・FAX）の差し込み印刷に使えます。`;
    }
    replaceChildren(el.rows, ...items.map(reminderRow));
    el.status.textContent = items.length
      ? `${items.length}件${el.stale.checked ? '（確認が古い事業所）' : ''}`
      : '確認が古い事業所はありません。';
  } catch (error) {
    failed(error);
  }
}

async function downloadCsv() {
  el.status.textContent = 'CSVを作成しています…';
  try {
    const { response } = await staffJson('GET', path(true), { token: state.token });
    // The bytes as the server wrote them (with the BOM Excel needs).
    const blob = await response.blob();
    saveBlob(blob, `caremap_空き状況の確認${el.stale.checked ? '_古いもの' : ''}_${japanDay()}.csv`);
    el.status.textContent = 'CSVをダウンロードしました。';
  } catch (error) {
    failed(error);
  }
}

/** Wires the section's controls (once, at start). */
export function setUpReminders() {
  el.stale.addEventListener('change', loadReminders);
  el.reload.addEventListener('click', loadReminders);
  el.csv.addEventListener('click', downloadCsv);
}
