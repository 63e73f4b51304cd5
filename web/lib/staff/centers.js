// The 地域包括支援センター section of the staff page: the list of centres, and a form to add,
// edit or delete one. 担当区域 is a textarea, one 町丁目 (南流山一丁目) or town (南流山) per line;
// the server checks each against the address data and names the unknown ones. The layer has
// one version: every write sends it (If-Match), and a 412 (someone else changed a centre
// meanwhile) reloads the list. Everything is shown as text.

import { ApiError } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import { staffRequest } from './api.js';

const PATH = '/api/admin/community-centers';

/** The 担当区域 of a textarea: one entry per line, blanks and repeats dropped. */
export function areasFromText(text) {
  const out = [];
  for (const line of text.split(/\r?\n/)) {
    const area = line.trim();
    if (area && !out.includes(area)) out.push(area);
  }
  return out;
}

/** The Feature a form's values give. */
export function centerFeature({ name, address, phone, lon, lat, areas }) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [Number(lon), Number(lat)] },
    properties: { name: name.trim(), address: address.trim(), phone: phone.trim(), areas: areasFromText(areas) },
  };
}

/** Japanese for the fields the server names. */
const FIELD_LABELS = { name: '名称', address: '所在地', phone: '電話番号', geometry: '位置（経度・緯度）', areas: '担当区域', id: 'ID' };

/** Japanese for the reasons the server gives (the rest as given). */
function reasonText(p) {
  if (p.name === 'areas') {
    const m = /^not 町丁目 of the address data: (.*?) \(/.exec(p.reason);
    if (m) return `住所データにない町丁目です：${m[1]}（例：南流山一丁目、または町名だけの 南流山）`;
  }
  if (p.name === 'name') return '名称を入れてください。';
  if (p.name === 'phone') return '電話番号は 04-7150-1234 のように入れてください。';
  if (p.name === 'geometry') return '経度・緯度を日本の範囲の数値で入れてください。';
  return p.reason;
}

/**
 * Wires the section.
 * @param {{token: () => string|null}} options
 * @returns {{load: () => Promise<void>}}
 */
export function setUpCenters({ token }) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    list: $('centers-list'),
    status: $('centers-status'),
    add: $('center-new'),
    form: $('center-form'),
    heading: $('center-form-heading'),
    error: $('center-form-error'),
    name: $('center-name'),
    address: $('center-address'),
    phone: $('center-phone'),
    lon: $('center-lon'),
    lat: $('center-lat'),
    areas: $('center-areas'),
    del: $('center-delete'),
    cancel: $('center-cancel'),
  };
  let version = null;
  let centers = [];
  let editing = null; // the id being edited, or '' for a new centre

  const status = (text, kind = 'info') => {
    ui.status.textContent = text;
    ui.status.className = `message message--${kind}`;
    ui.status.hidden = !text;
  };

  function render() {
    replaceChildren(
      ui.list,
      centers.map((f) =>
        h(
          'li',
          { class: 'centers__item' },
          h('button', { type: 'button', class: 'button button--link', 'data-center': f.id }, f.properties.name),
          h('span', { class: 'hint' }, ` ${f.properties.phone || ''} 担当区域 ${f.properties.areas.length}件`),
        ),
      ),
    );
  }

  async function load() {
    try {
      const { data, etag } = await staffRequest('GET', PATH, { token: token() });
      centers = data.features;
      version = etag;
      render();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status(error.userMessage, 'error');
    }
  }

  function open(id) {
    const f = centers.find((c) => c.id === id);
    editing = f ? id : '';
    ui.heading.textContent = f ? `編集：${f.properties.name}` : '新しいセンター';
    ui.name.value = f?.properties.name ?? '';
    ui.address.value = f?.properties.address ?? '';
    ui.phone.value = f?.properties.phone ?? '';
    ui.lon.value = f ? String(f.geometry.coordinates[0]) : '';
    ui.lat.value = f ? String(f.geometry.coordinates[1]) : '';
    ui.areas.value = f ? f.properties.areas.join('\n') : '';
    ui.del.hidden = !f;
    ui.error.hidden = true;
    ui.form.hidden = false;
    ui.name.focus();
  }

  function close() {
    ui.form.hidden = true;
    editing = null;
  }

  async function send(method, path, body, done) {
    ui.error.hidden = true;
    try {
      await staffRequest(method, path, { token: token(), etag: version, body });
      close();
      await load();
      status(done, 'ok');
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const problems = error.problem?.invalid_params ?? [];
      if (error.status === 412) {
        await load();
        ui.error.textContent = 'あなたが編集している間に、ほかの人がセンターを変更しました。一覧を読み込み直したので、内容を確かめてもう一度保存してください。';
      } else if (error.status === 422 && problems.length) {
        ui.error.textContent = problems.map((p) => `${FIELD_LABELS[p.name] ?? p.name}：${reasonText(p)}`).join('\n');
      } else {
        ui.error.textContent = error.userMessage;
      }
      ui.error.hidden = false;
    }
  }

  ui.list.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-center]');
    if (button) open(button.dataset.center);
  });
  ui.add.addEventListener('click', () => open(''));
  ui.cancel.addEventListener('click', close);
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const feature = centerFeature({
      name: ui.name.value,
      address: ui.address.value,
      phone: ui.phone.value,
      lon: ui.lon.value,
      lat: ui.lat.value,
      areas: ui.areas.value,
    });
    if (editing) send('PUT', `${PATH}/${encodeURIComponent(editing)}`, feature, '保存しました。');
    else send('POST', PATH, feature, '追加しました。');
  });
  ui.del.addEventListener('click', () => {
    if (editing) send('DELETE', `${PATH}/${encodeURIComponent(editing)}`, null, '削除しました。');
  });
  return { load };
}
