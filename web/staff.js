// The staff page: sign in with a token (kept in sessionStorage only), find a provider by
// name or on the map, edit it with errors shown next to each field, drag its pin to fix the
// location, set 受入可否 with today's date in one tap, see the history and revert, and
// recover from a 412 by re-applying one's changes to the latest version, register a new
// provider (「新規登録」: the same form, placed by tapping the map or dragging the pin; the
// server assigns its id), and import the official open-data files (check the changes first,
// then commit).
// Every data value reaches the page as text (dom.js `h` and textContent), never as HTML.

import { h, replaceChildren } from './lib/dom.js';
import { createMap } from './lib/map.js';
import { StaffError, staffRequest, tokenStore } from './lib/staff-api.js';
import { setUpImports } from './lib/staff-import.js';
import { buildFields, clearFieldErrors, readForm, showFieldErrors, updateChosenServices, writeForm } from './lib/staff-fields.js';
import {
  actionLabel,
  changeText,
  changedKeys,
  emptyValues,
  featureFromValues,
  formatTime,
  keyLabel,
  reapply,
  todayInJapan,
  valuesFromFeature,
} from './lib/staff-form.js';

const $ = (id) => document.getElementById(id);
const L = window.L;

const ui = {
  signin: $('signin'),
  signinForm: $('signin-form'),
  tokenInput: $('token-input'),
  signinError: $('signin-error'),
  who: $('who'),
  whoName: $('who-name'),
  whoRole: $('who-role'),
  signout: $('signout-button'),
  app: $('app'),
  searchForm: $('search-form'),
  searchQ: $('search-q'),
  searchStatus: $('search-status'),
  searchResults: $('search-results'),
  map: $('map'),
  mapStatus: $('map-status'),
  editorEmpty: $('editor-empty'),
  newButton: $('new-button'),
  newHint: $('new-hint'),
  quick: $('quick'),
  danger: $('danger'),
  historySection: $('history-section'),
  editor: $('editor'),
  title: $('editor-title'),
  meta: $('editor-meta'),
  status: $('status'),
  conflict: $('conflict'),
  conflictText: $('conflict-text'),
  conflictReapply: $('conflict-reapply'),
  conflictDiscard: $('conflict-discard'),
  deleted: $('deleted-notice'),
  deletedText: $('deleted-text'),
  restore: $('restore-button'),
  acceptCurrent: $('accept-current'),
  acceptYes: $('accept-yes'),
  acceptNo: $('accept-no'),
  form: $('edit-form'),
  formError: $('form-error'),
  fields: $('fields'),
  dirty: $('dirty-notice'),
  save: $('save-button'),
  reset: $('reset-button'),
  del: $('delete-button'),
  delConfirm: $('delete-confirm'),
  delYes: $('delete-yes'),
  delNo: $('delete-no'),
  history: $('history'),
};

const ROLE_LABELS = { editor: '編集者', admin: '管理者' };

const state = {
  token: null,
  /** @type {Map<string,string>} service code → label */
  serviceLabels: new Map(),
  serviceGroups: [],
  map: null,
  providerLayer: null,
  pin: null,
  /** The provider being edited: id, ETag, Feature as loaded, its form values; for a new
   * provider (「新規登録」) `isNew` with no id, ETag or Feature yet. */
  selected: null,
  /** The 412 answer waiting for the user's choice. */
  conflict: null,
  busy: false,
};

// ---------------------------------------------------------------- messages and the form

function showStatus(text, kind = 'ok') {
  ui.status.textContent = text;
  ui.status.className = `message message--${kind}`;
  ui.status.hidden = !text;
}

const readValues = () => readForm(ui.form);
const clearErrors = () => clearFieldErrors(ui.form, ui.formError);

function writeValues(values) {
  writeForm(ui.form, values, state.serviceLabels);
  updateDirty();
}

function updateDirty() {
  updateChosenServices(ui.form, state.serviceLabels);
  ui.dirty.hidden =
    !state.selected || state.selected.isNew || changedKeys(state.selected.values, readValues()).length === 0;
}

// ---------------------------------------------------------------- the selected provider

function acceptingText(p) {
  const now = p.accepting === true ? '受入可' : p.accepting === false ? '受入不可' : '不明';
  return p.accepting_updated_at ? `${now}（${p.accepting_updated_at} 確認）` : now;
}

/** Shows or hides what only a stored provider has (quick 受入可否, delete, history). */
function showStoredParts(stored) {
  ui.quick.hidden = !stored;
  ui.danger.hidden = !stored;
  ui.historySection.hidden = !stored;
  ui.newHint.hidden = stored;
  ui.save.textContent = stored ? '保存' : '登録';
}

/** Shows a provider as loaded from the server; `values` overrides the form (re-applied edits). */
function showProvider(feature, etag, values = null) {
  const p = feature.properties;
  state.selected = { id: String(feature.id), etag, feature, values: valuesFromFeature(feature), isNew: false };
  ui.editorEmpty.hidden = true;
  ui.editor.hidden = false;
  showStoredParts(true);
  ui.title.textContent = p.name || '（名称なし）';
  ui.meta.textContent = `ID ${feature.id}・版 ${p.version}・最終更新 ${formatTime(p.updated_at)}（${p.updated_by ?? ''}）`;
  ui.acceptCurrent.textContent = acceptingText(p);
  const deleted = Boolean(p.deleted_at);
  ui.deleted.hidden = !deleted;
  ui.deletedText.textContent = deleted ? `この事業所は削除されています（${formatTime(p.deleted_at)}）。公開地図には表示されません。` : '';
  for (const el of [ui.save, ui.acceptYes, ui.acceptNo, ui.del]) el.disabled = deleted;
  ui.delConfirm.hidden = true;
  ui.del.hidden = deleted;
  clearErrors();
  writeValues(values ?? state.selected.values);
  placePin(feature.geometry.coordinates, deleted);
}

/** 「新規登録」: the empty form; the position comes from a tap on the map or the pin. */
function startNew() {
  hideConflict();
  showStatus('');
  state.selected = { id: null, etag: null, feature: null, values: emptyValues(), isNew: true };
  ui.editorEmpty.hidden = true;
  ui.editor.hidden = false;
  showStoredParts(false);
  ui.title.textContent = '新規登録';
  ui.meta.textContent = 'IDは登録時に自動で付きます。';
  ui.deleted.hidden = true;
  ui.save.disabled = false;
  replaceChildren(ui.history);
  clearErrors();
  writeValues(state.selected.values);
  state.pin?.remove();
  state.pin = null;
  ui.form.elements.name.focus();
}

/** Registers the new provider; the server answers 201 with its id. */
async function create() {
  if (state.busy) return;
  state.busy = true;
  ui.editor.setAttribute('aria-busy', 'true');
  try {
    const { data, etag } = await staffRequest('POST', '/api/admin/providers', {
      token: state.token,
      body: featureFromValues(null, readValues()),
    });
    showProvider(data, etag);
    showStatus(`新規登録しました（ID ${data.id}）。公開地図にすぐ表示されます。`);
    await Promise.all([loadHistory(), loadMarkers()]);
  } catch (error) {
    handleError(error);
  } finally {
    state.busy = false;
    ui.editor.removeAttribute('aria-busy');
  }
}

async function selectProvider(id) {
  hideConflict();
  showStatus('');
  try {
    const { data, etag } = await staffRequest('GET', `/api/admin/providers/${encodeURIComponent(id)}`, { token: state.token });
    showProvider(data, etag);
    await loadHistory();
  } catch (error) {
    handleError(error);
  }
}

// ---------------------------------------------------------------- writes

function handleError(error) {
  if (!(error instanceof StaffError)) throw error;
  if (error.status === 401) {
    signOut(error.message);
    return;
  }
  if (error.status === 422) {
    showFieldErrors(ui.form, ui.formError, error.problem?.invalid_params);
    showStatus(error.message, 'error');
    return;
  }
  if (error.status === 412 && error.problem?.current) {
    showConflict(error.problem);
    return;
  }
  showStatus(error.message, 'error');
}

/** Runs one write; on success shows the new version and `done` text. */
async function write(method, path, body, done) {
  if (state.busy || !state.selected || state.selected.isNew) return;
  state.busy = true;
  ui.editor.setAttribute('aria-busy', 'true');
  try {
    const { data, etag } = await staffRequest(method, path, { token: state.token, etag: state.selected.etag, body });
    hideConflict();
    showProvider(data, etag);
    showStatus(`${done}（版 ${data.properties.version}）`);
    await Promise.all([loadHistory(), loadMarkers()]);
  } catch (error) {
    handleError(error);
  } finally {
    state.busy = false;
    ui.editor.removeAttribute('aria-busy');
  }
}

function providerPath(suffix = '') {
  return `/api/admin/providers/${encodeURIComponent(state.selected.id)}${suffix}`;
}

function save(done = '保存しました') {
  if (state.selected?.isNew) return create();
  return write('PUT', providerPath(), featureFromValues(state.selected.id, readValues()), done);
}

function setAccepting(accepting) {
  ui.form.elements.accepting.value = accepting ? 'true' : 'false';
  ui.form.elements.accepting_updated_at.value = todayInJapan();
  return save(accepting ? '受入可（本日確認）として保存しました' : '受入不可（本日確認）として保存しました');
}

// ---------------------------------------------------------------- 412: changed meanwhile

function showConflict(problem) {
  const current = problem.current;
  state.conflict = { current, etag: `"${problem.current_version}"`, mine: readValues(), base: state.selected.values };
  const p = current.properties;
  ui.conflictText.textContent =
    `あなたが編集している間に、${p.updated_by ?? '別の職員'}さんがこの事業所を変更しました` +
    `（${formatTime(p.updated_at)}、版 ${p.version}）。あなたの変更はまだ保存されていません。`;
  ui.conflict.hidden = false;
  showStatus('');
  ui.conflictReapply.focus();
}

function hideConflict() {
  state.conflict = null;
  ui.conflict.hidden = true;
}

function resolveConflict(keepMine) {
  const c = state.conflict;
  if (!c) return;
  hideConflict();
  if (!keepMine) {
    showProvider(c.current, c.etag);
    showStatus(`最新の内容（版 ${c.current.properties.version}）を読み込みました。`, 'info');
    loadHistory();
    return;
  }
  const { values, keys } = reapply(valuesFromFeature(c.current), c.base, c.mine);
  showProvider(c.current, c.etag, values);
  const labels = [...new Set(keys.map(keyLabel))].join('、');
  showStatus(
    `最新の内容（版 ${c.current.properties.version}）に、あなたの変更（${labels || 'なし'}）を反映しました。内容を確認して「保存」を押してください。`,
    'info',
  );
  loadHistory();
}

// ---------------------------------------------------------------- history

function changeItem(change) {
  return h('li', { class: 'change' }, changeText(change, state.serviceLabels));
}

/** Who made a version, as people read it (「初期データ」 rather than `data`). */
const authorName = (v) => v.changed_by_name ?? v.changed_by;

async function loadHistory() {
  if (!state.selected || state.selected.isNew) return;
  const { id } = state.selected;
  const current = state.selected.feature.properties.version;
  try {
    const { data } = await staffRequest('GET', providerPath('/history'), { token: state.token });
    if (state.selected?.id !== id) return;
    const latest = data.versions[0];
    if (latest?.version === current) {
      const p = state.selected.feature.properties;
      ui.meta.textContent = `ID ${id}・版 ${p.version}・最終更新 ${formatTime(p.updated_at)}（${authorName(latest)}）`;
    }
    const items = data.versions.map((v) =>
      h(
        'li',
        { class: 'version', 'data-version': v.version },
        h(
          'p',
          { class: 'version__head' },
          h('strong', {}, `版 ${v.version}`),
          ` ${actionLabel(v.action)}・${formatTime(v.changed_at)}・`,
          h('span', { class: 'version__who' }, authorName(v)),
          v.version === current ? h('span', { class: 'badge' }, '現在') : null,
        ),
        v.changes.length ? h('ul', { class: 'changes' }, v.changes.map(changeItem)) : h('p', { class: 'hint' }, '項目の変更なし'),
        v.version !== current && !state.selected.feature.properties.deleted_at
          ? h('button', { type: 'button', class: 'button button--small revert', 'data-revert': v.version }, `版 ${v.version} の内容に戻す`)
          : null,
      ),
    );
    replaceChildren(ui.history, ...items);
  } catch (error) {
    handleError(error);
  }
}

// ---------------------------------------------------------------- finding providers

async function search(q) {
  ui.searchStatus.textContent = '検索しています…';
  try {
    const response = await fetch(`/api/providers?q=${encodeURIComponent(q)}&limit=50`);
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    const items = data.features.map((f) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'result', 'data-id': f.id },
          h('span', { class: 'result__name' }, f.properties.name),
          h('span', { class: 'result__address' }, f.properties.address ?? ''),
        ),
      ),
    );
    replaceChildren(ui.searchResults, ...items);
    ui.searchStatus.textContent =
      data.numberMatched > items.length ? `${data.numberMatched}件中${items.length}件を表示しています。` : `${items.length}件見つかりました。`;
  } catch {
    ui.searchStatus.textContent = '検索できませんでした。時間をおいて再度お試しください。';
  }
}

const MAP_LIMIT = 500;

async function loadMarkers() {
  if (!state.map) return;
  const b = state.map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(',');
  try {
    const response = await fetch(`/api/providers?bbox=${bbox}&limit=${MAP_LIMIT}`);
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    state.providerLayer.clearLayers();
    for (const f of data.features) {
      const [lon, lat] = f.geometry.coordinates;
      // bubblingMouseEvents: a click on a dot opens it and is not a tap on the map as well.
      const marker = L.circleMarker([lat, lon], {
        radius: 6,
        className: `dot dot--${f.properties.kind}`,
        bubblingMouseEvents: false,
      });
      // An element, not a string: Leaflet would parse a string as HTML.
      marker.bindTooltip(h('span', {}, f.properties.name));
      marker.on('click', () => selectProvider(String(f.id)));
      state.providerLayer.addLayer(marker);
      marker.getElement()?.setAttribute('data-id', String(f.id));
    }
    ui.mapStatus.textContent =
      data.numberMatched > MAP_LIMIT ? `表示範囲に${data.numberMatched}件あります。拡大すると全件表示されます。` : '';
  } catch {
    ui.mapStatus.textContent = '地図の事業所を読み込めませんでした。';
  }
}

/** Puts the pin at [lon, lat]; `recenter` also brings the map there (a provider opened). */
function placePin([lon, lat], deleted, recenter = true) {
  if (!state.map) return;
  if (!state.pin) {
    state.pin = L.marker([lat, lon], {
      draggable: true,
      autoPan: true,
      keyboard: true,
      title: '選択中の事業所（ドラッグで位置を変更）',
      icon: L.divIcon({ className: 'pin', iconSize: [28, 28], iconAnchor: [14, 33] }),
      zIndexOffset: 1000,
    });
    state.pin.on('dragend', () => {
      const { lat: newLat, lng: newLon } = state.pin.getLatLng();
      ui.form.elements.lon.value = newLon.toFixed(6);
      ui.form.elements.lat.value = newLat.toFixed(6);
      updateDirty();
      showStatus(`位置を変更しました。「${ui.save.textContent}」を押すと反映されます。`, 'info');
    });
    state.pin.addTo(state.map);
  }
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
  state.pin.setLatLng([lat, lon]);
  if (deleted) state.pin.dragging?.disable();
  else state.pin.dragging?.enable();
  if (!recenter) return;
  const zoom = state.map.getZoom();
  state.map.setView([lat, lon], Number.isFinite(zoom) ? Math.max(zoom, 16) : 16, { animate: false });
}

function movePinFromInputs() {
  const lon = Number(ui.form.elements.lon.value);
  const lat = Number(ui.form.elements.lat.value);
  const valid = ui.form.elements.lon.value.trim() !== '' && ui.form.elements.lat.value.trim() !== '';
  if (valid && Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    if (state.pin) state.pin.setLatLng([lat, lon]);
    else if (state.selected?.isNew) placePin([lon, lat], false, false);
  }
}

/** A tap on the map while registering a new provider puts its pin there. */
function tapForNew(event) {
  if (!state.selected?.isNew) return;
  const { lat, lng: lon } = event.latlng;
  ui.form.elements.lon.value = lon.toFixed(6);
  ui.form.elements.lat.value = lat.toFixed(6);
  placePin([lon, lat], false, false);
  showStatus('位置を決めました。ピンはドラッグして動かせます。', 'info');
}

async function setUpMap() {
  if (state.map) return;
  let tiles = [];
  try {
    tiles = (await (await fetch('/api/about')).json()).tiles ?? [];
  } catch {
    // The map still shows the providers without a base map.
  }
  state.map = createMap(ui.map, { tiles, onTileError: () => {} });
  // The editor beside the map changes the map's width as it fills; keep Leaflet's idea of
  // the size (and so pin and click positions) right.
  new ResizeObserver(() => state.map.invalidateSize({ pan: false })).observe(ui.map);
  state.providerLayer = L.layerGroup().addTo(state.map);
  try {
    const districts = await (await fetch('/api/districts')).json();
    const bounds = L.geoJSON(districts).getBounds();
    if (bounds.isValid()) state.map.fitBounds(bounds);
    else state.map.setView([36.0, 138.0], 5);
  } catch {
    state.map.setView([36.0, 138.0], 5);
  }
  state.map.on('moveend', loadMarkers);
  state.map.on('click', tapForNew);
  loadMarkers();
}

// ---------------------------------------------------------------- sign in and out

function showSignedIn(user) {
  ui.signin.hidden = true;
  ui.app.hidden = false;
  ui.who.hidden = false;
  ui.whoName.textContent = user.name;
  ui.whoRole.textContent = ROLE_LABELS[user.role] ?? user.role;
  setUpMap();
}

function signOut(message = '') {
  tokenStore.clear();
  state.token = null;
  state.selected = null;
  ui.app.hidden = true;
  ui.who.hidden = true;
  ui.editor.hidden = true;
  ui.editorEmpty.hidden = false;
  ui.signin.hidden = false;
  ui.signinError.textContent = message;
  ui.signinError.hidden = !message;
  ui.tokenInput.focus();
}

async function signIn(token) {
  try {
    const { data } = await staffRequest('GET', '/api/admin/me', { token });
    state.token = token;
    tokenStore.set(token);
    ui.signinError.hidden = true;
    showSignedIn(data);
  } catch (error) {
    if (!(error instanceof StaffError)) throw error;
    tokenStore.clear();
    ui.signin.hidden = false;
    ui.signinError.textContent = error.message;
    ui.signinError.hidden = false;
  }
}

// ---------------------------------------------------------------- start

async function loadServices() {
  try {
    const data = await (await fetch('/api/services')).json();
    state.serviceLabels = new Map(data.services.map((s) => [s.code, s.label]));
    state.serviceGroups = data.groups.filter((g) => g.services.length);
  } catch {
    state.serviceGroups = [];
  }
}

function wire() {
  ui.signinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.tokenInput.value.trim();
    ui.tokenInput.value = '';
    if (token) signIn(token);
  });
  ui.signout.addEventListener('click', () => signOut());
  ui.newButton.addEventListener('click', startNew);
  ui.searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = ui.searchQ.value.trim();
    if (q) search(q);
  });
  ui.searchResults.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-id]');
    if (button) selectProvider(button.dataset.id);
  });
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  ui.form.addEventListener('input', (event) => {
    if (event.target.name === 'lon' || event.target.name === 'lat') movePinFromInputs();
    updateDirty();
  });
  ui.form.addEventListener('change', updateDirty);
  ui.reset.addEventListener('click', () => {
    if (!state.selected) return;
    if (state.selected.isNew) {
      startNew();
      showStatus('入力を取り消しました。', 'info');
      return;
    }
    clearErrors();
    writeValues(state.selected.values);
    placePin(state.selected.feature.geometry.coordinates, Boolean(state.selected.feature.properties.deleted_at));
    showStatus('編集を取り消しました。', 'info');
  });
  ui.acceptYes.addEventListener('click', () => setAccepting(true));
  ui.acceptNo.addEventListener('click', () => setAccepting(false));
  ui.del.addEventListener('click', () => {
    ui.delConfirm.hidden = false;
    ui.delNo.focus();
  });
  ui.delNo.addEventListener('click', () => {
    ui.delConfirm.hidden = true;
    ui.del.focus();
  });
  ui.delYes.addEventListener('click', () => write('DELETE', providerPath(), null, '削除しました'));
  ui.restore.addEventListener('click', () => write('POST', providerPath('/restore'), null, '復元しました'));
  ui.history.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-revert]');
    if (!button) return;
    const version = Number(button.dataset.revert);
    write('POST', providerPath('/revert'), { version }, `版 ${version} の内容に戻しました`);
  });
  ui.conflictReapply.addEventListener('click', () => resolveConflict(true));
  ui.conflictDiscard.addEventListener('click', () => resolveConflict(false));
}

async function start() {
  wire();
  setUpImports({ token: () => state.token, onCommitted: loadMarkers, serviceLabels: () => state.serviceLabels });
  await loadServices();
  buildFields(ui.form, ui.fields, { serviceGroups: state.serviceGroups, serviceLabels: state.serviceLabels });
  const token = tokenStore.get();
  if (token) await signIn(token);
  else signOut();
}

start();
