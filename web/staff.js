// The staff page: sign in with a token (kept in sessionStorage only), find a provider by
// name or on the map, edit it with errors shown next to each field, drag its pin to fix the
// location, set 受入可否 with today's date in one tap, see the history and revert, and
// recover from a 412 by re-applying one's changes to the latest version.
// Every data value reaches the page as text (dom.js `h` and textContent), never as HTML.

import { h, replaceChildren } from './lib/dom.js';
import { createMap } from './lib/map.js';
import { StaffError, staffRequest, tokenStore } from './lib/staff-api.js';
import {
  FIELD_LABELS,
  HOME_CARE_CLASSES,
  HOME_CARE_FLAGS,
  KINDS,
  TEXT_FIELDS,
  actionLabel,
  changedKeys,
  describeValue,
  featureFromValues,
  fieldMessage,
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
  /** The provider being edited: id, ETag, Feature as loaded, its form values. */
  selected: null,
  /** The 412 answer waiting for the user's choice. */
  conflict: null,
  busy: false,
};

// ---------------------------------------------------------------- messages

function showStatus(text, kind = 'ok') {
  ui.status.textContent = text;
  ui.status.className = `message message--${kind}`;
  ui.status.hidden = !text;
}

function clearFieldErrors() {
  ui.formError.hidden = true;
  ui.formError.textContent = '';
  for (const el of ui.fields.querySelectorAll('.field-error')) {
    el.textContent = '';
    el.hidden = true;
  }
  for (const el of ui.fields.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** Shows each refused field's message next to it; fields without a place go to the top. */
function showFieldErrors(invalidParams) {
  clearFieldErrors();
  const general = [];
  let first = null;
  for (const p of invalidParams ?? []) {
    const slot = $(`err-${p.name}`);
    const message = fieldMessage(p.name, p.reason);
    if (!slot) {
      general.push(message);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    slot.hidden = false;
    slot.closest('details')?.setAttribute('open', '');
    const control = ui.fields.querySelector(`[data-error-for="${p.name}"]`);
    control?.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  if (general.length) {
    ui.formError.textContent = general.join(' ');
    ui.formError.hidden = false;
  }
  first?.focus({ preventScroll: true });
  first?.scrollIntoView({ block: 'center' });
}

// ---------------------------------------------------------------- the form

function errorSlot(name) {
  return h('p', { class: 'field-error', id: `err-${name}`, hidden: true });
}

function textField(f) {
  const id = `f-${f.name}`;
  const describedBy = [f.hint ? `hint-${f.name}` : null, `err-${f.name}`].filter(Boolean).join(' ');
  const attrs = {
    id,
    name: f.name,
    'data-error-for': f.name,
    'aria-describedby': describedBy,
    autocomplete: 'off',
    inputmode: f.inputmode,
    required: f.required,
  };
  const control = f.type === 'textarea' ? h('textarea', { ...attrs, rows: 3 }) : h('input', { ...attrs, type: f.type });
  return h(
    'div',
    { class: `field field--${f.name}` },
    h('label', { for: id, class: 'label' }, f.label, f.required ? h('span', { class: 'required' }, '必須') : null),
    control,
    f.hint ? h('p', { class: 'hint', id: `hint-${f.name}` }, f.hint) : null,
    errorSlot(f.name),
  );
}

function buildForm() {
  const kind = h(
    'div',
    { class: 'field field--kind' },
    h('label', { for: 'f-kind', class: 'label' }, '種別'),
    h(
      'select',
      { id: 'f-kind', name: 'kind', 'data-error-for': 'kind', 'aria-describedby': 'err-kind' },
      KINDS.map((k) => h('option', { value: k.id }, k.label)),
    ),
    errorSlot('kind'),
  );
  const services = h(
    'details',
    { id: 'services-box', class: 'field fieldset services' },
    h('summary', { class: 'label' }, 'サービス種別：', h('span', { id: 'services-chosen', class: 'services__chosen' })),
    state.serviceGroups.map((g) =>
      h(
        'div',
        { class: 'services__group' },
        h('p', { class: 'services__group-label' }, g.label),
        g.services.map((code) =>
          h(
            'label',
            { class: 'check' },
            h('input', { type: 'checkbox', name: 'services', value: code, 'data-error-for': 'services' }),
            `${state.serviceLabels.get(code) ?? code}（${code}）`,
          ),
        ),
      ),
    ),
    errorSlot('services'),
  );
  const accepting = h(
    'fieldset',
    { class: 'field fieldset accepting' },
    h('legend', { class: 'label' }, '受入可否'),
    h(
      'div',
      { class: 'pair' },
      h(
        'label',
        { class: 'pair__item' },
        '状態',
        h(
          'select',
          { id: 'f-accepting', name: 'accepting', 'data-error-for': 'accepting', 'aria-describedby': 'err-accepting' },
          h('option', { value: '' }, '不明'),
          h('option', { value: 'true' }, '受入可'),
          h('option', { value: 'false' }, '受入不可'),
        ),
      ),
      h(
        'label',
        { class: 'pair__item' },
        '確認日',
        h('input', {
          id: 'f-accepting_updated_at',
          name: 'accepting_updated_at',
          type: 'date',
          'data-error-for': 'accepting_updated_at',
          'aria-describedby': 'err-accepting_updated_at',
        }),
      ),
    ),
    errorSlot('accepting'),
    errorSlot('accepting_updated_at'),
  );
  const location = h(
    'fieldset',
    { class: 'field fieldset location' },
    h('legend', { class: 'label' }, '位置（地図のピンをドラッグしても変更できます）'),
    h(
      'div',
      { class: 'pair' },
      h(
        'label',
        { class: 'pair__item' },
        '経度',
        h('input', { id: 'f-lon', name: 'lon', type: 'text', inputmode: 'decimal', 'data-error-for': 'geometry', 'aria-describedby': 'err-geometry' }),
      ),
      h(
        'label',
        { class: 'pair__item' },
        '緯度',
        h('input', { id: 'f-lat', name: 'lat', type: 'text', inputmode: 'decimal', 'aria-describedby': 'err-geometry' }),
      ),
    ),
    errorSlot('geometry'),
  );
  const homeCare = h(
    'fieldset',
    { id: 'home-care', class: 'field fieldset home-care', 'aria-describedby': 'err-home_care' },
    h('legend', { class: 'label' }, '在宅医療（診療所・病院）'),
    h(
      'label',
      { class: 'pair__item' },
      '在宅療養支援の届出',
      h(
        'select',
        { id: 'f-hc_class', name: 'hc_class', 'data-error-for': 'home_care' },
        HOME_CARE_CLASSES.map((c) => h('option', { value: c.id }, c.label)),
      ),
    ),
    h(
      'div',
      { class: 'checks' },
      HOME_CARE_FLAGS.map((f) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `hc_${f.id}` }), f.label)),
    ),
    errorSlot('home_care'),
  );
  const [nameField, kanaField, ...rest] = TEXT_FIELDS.map(textField);
  replaceChildren(ui.fields, nameField, kanaField, kind, ...rest, accepting, location, homeCare, services);
  ui.form.elements.kind.addEventListener('change', syncHomeCare);
}

function syncHomeCare() {
  const kind = ui.form.elements.kind.value;
  $('home-care').hidden = !(kind === 'clinic' || kind === 'hospital');
}

function readForm() {
  const els = ui.form.elements;
  const values = {};
  for (const f of TEXT_FIELDS) values[f.name] = els[f.name].value;
  values.kind = els.kind.value;
  values.services = [...ui.form.querySelectorAll('input[name="services"]:checked')].map((c) => c.value).sort();
  values.accepting = els.accepting.value;
  values.accepting_updated_at = els.accepting_updated_at.value;
  values.lon = els.lon.value;
  values.lat = els.lat.value;
  values.hc_class = els.hc_class.value;
  for (const f of HOME_CARE_FLAGS) values[`hc_${f.id}`] = els[`hc_${f.id}`].checked;
  return values;
}

function writeForm(values) {
  const els = ui.form.elements;
  for (const f of TEXT_FIELDS) els[f.name].value = values[f.name];
  els.kind.value = values.kind;
  const chosen = new Set(values.services);
  for (const box of ui.form.querySelectorAll('input[name="services"]')) box.checked = chosen.has(box.value);
  els.accepting.value = values.accepting;
  els.accepting_updated_at.value = values.accepting_updated_at;
  els.lon.value = values.lon;
  els.lat.value = values.lat;
  els.hc_class.value = values.hc_class;
  for (const f of HOME_CARE_FLAGS) els[`hc_${f.id}`].checked = values[`hc_${f.id}`];
  syncHomeCare();
  updateDirty();
}

function updateChosenServices() {
  const chosen = [...ui.form.querySelectorAll('input[name="services"]:checked')].map((c) => c.value);
  $('services-chosen').textContent = chosen.length
    ? chosen.map((code) => state.serviceLabels.get(code) ?? code).join('、')
    : '（なし）';
}

function updateDirty() {
  updateChosenServices();
  ui.dirty.hidden = !state.selected || changedKeys(state.selected.values, readForm()).length === 0;
}

// ---------------------------------------------------------------- the selected provider

function acceptingText(p) {
  const now = p.accepting === true ? '受入可' : p.accepting === false ? '受入不可' : '不明';
  return p.accepting_updated_at ? `${now}（${p.accepting_updated_at} 確認）` : now;
}

/** Shows a provider as loaded from the server; `values` overrides the form (re-applied edits). */
function showProvider(feature, etag, values = null) {
  const p = feature.properties;
  state.selected = { id: String(feature.id), etag, feature, values: valuesFromFeature(feature) };
  ui.editorEmpty.hidden = true;
  ui.editor.hidden = false;
  ui.title.textContent = p.name || '（名称なし）';
  ui.meta.textContent = `ID ${feature.id}・版 ${p.version}・最終更新 ${formatTime(p.updated_at)}（${p.updated_by ?? ''}）`;
  ui.acceptCurrent.textContent = acceptingText(p);
  const deleted = Boolean(p.deleted_at);
  ui.deleted.hidden = !deleted;
  ui.deletedText.textContent = deleted ? `この事業所は削除されています（${formatTime(p.deleted_at)}）。公開地図には表示されません。` : '';
  for (const el of [ui.save, ui.acceptYes, ui.acceptNo, ui.del]) el.disabled = deleted;
  ui.delConfirm.hidden = true;
  ui.del.hidden = deleted;
  clearFieldErrors();
  writeForm(values ?? state.selected.values);
  placePin(feature.geometry.coordinates, deleted);
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
    showFieldErrors(error.problem?.invalid_params);
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
  if (state.busy || !state.selected) return;
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
  return write('PUT', providerPath(), featureFromValues(state.selected.id, readForm()), done);
}

function setAccepting(accepting) {
  ui.form.elements.accepting.value = accepting ? 'true' : 'false';
  ui.form.elements.accepting_updated_at.value = todayInJapan();
  return save(accepting ? '受入可（本日確認）として保存しました' : '受入不可（本日確認）として保存しました');
}

// ---------------------------------------------------------------- 412: changed meanwhile

function showConflict(problem) {
  const current = problem.current;
  state.conflict = { current, etag: `"${problem.current_version}"`, mine: readForm(), base: state.selected.values };
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
  return h(
    'li',
    { class: 'change' },
    h('span', { class: 'change__field' }, FIELD_LABELS[change.field] ?? change.field),
    '：',
    h('span', { class: 'change__from' }, describeValue(change.field, change.from, state.serviceLabels)),
    ' → ',
    h('span', { class: 'change__to' }, describeValue(change.field, change.to, state.serviceLabels)),
  );
}

async function loadHistory() {
  if (!state.selected) return;
  const current = state.selected.feature.properties.version;
  try {
    const { data } = await staffRequest('GET', providerPath('/history'), { token: state.token });
    const items = data.versions.map((v) =>
      h(
        'li',
        { class: 'version', 'data-version': v.version },
        h(
          'p',
          { class: 'version__head' },
          h('strong', {}, `版 ${v.version}`),
          ` ${actionLabel(v.action)}・${formatTime(v.changed_at)}・`,
          h('span', { class: 'version__who' }, v.changed_by),
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
      const marker = L.circleMarker([lat, lon], { radius: 6, className: `dot dot--${f.properties.kind}` });
      marker.bindTooltip(f.properties.name);
      marker.on('click', () => selectProvider(String(f.id)));
      state.providerLayer.addLayer(marker);
    }
    ui.mapStatus.textContent =
      data.numberMatched > MAP_LIMIT ? `表示範囲に${data.numberMatched}件あります。拡大すると全件表示されます。` : '';
  } catch {
    ui.mapStatus.textContent = '地図の事業所を読み込めませんでした。';
  }
}

function placePin([lon, lat], deleted) {
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
      showStatus('位置を変更しました。「保存」を押すと反映されます。', 'info');
    });
    state.pin.addTo(state.map);
  }
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
  state.pin.setLatLng([lat, lon]);
  if (deleted) state.pin.dragging?.disable();
  else state.pin.dragging?.enable();
  const zoom = state.map.getZoom();
  state.map.setView([lat, lon], Number.isFinite(zoom) ? Math.max(zoom, 16) : 16, { animate: false });
}

function movePinFromInputs() {
  const lon = Number(ui.form.elements.lon.value);
  const lat = Number(ui.form.elements.lat.value);
  if (state.pin && Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    state.pin.setLatLng([lat, lon]);
  }
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
    clearFieldErrors();
    writeForm(state.selected.values);
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
  await loadServices();
  buildForm();
  const token = tokenStore.get();
  if (token) await signIn(token);
  else signOut();
}

start();
