// The caremap map page. Two modes:
//  - browsing (no search): the map loads the providers of the viewport on `moveend`
//    (bbox query, debounced, skipped while the view stays inside what was loaded);
//  - a search (nearest to a point, a district, a drawn area, or a name): the map and the
//    list show exactly the search's results, nearest first where there is a point.
// Chips, 受入可のみ and the name text are filters that apply to both.

import { ApiError, MESSAGES, getJson, getText, isAbort, postJson } from './lib/api.js';
import { mergeCsv } from './lib/csv.js';
import { h, replaceChildren } from './lib/dom.js';
import { PolygonDrawer } from './lib/draw.js';
import { MarkerStore, createMap, districtLayer, originMarker } from './lib/map.js';
import {
  bboxContains,
  clampBbox,
  filterFamilies,
  mergeFeatures,
  paramsKey,
  roundBboxOutward,
  urlWith,
} from './lib/query.js';
import { printRow, resultItem, popupContent } from './lib/render.js';

const L = window.L;

/** Results of a nearest search, and the step of 「さらに表示」. */
const NEAREST_K = 20;
/** The API's largest k. */
const NEAREST_K_MAX = 100;
/** Most providers one list shows (district, drawn area, name). */
const LIST_LIMIT = 1000;
/** Most providers one viewport load asks for. */
const VIEWPORT_LIMIT = 2000;
/** Most rows of a CSV download (the API's largest limit). */
const CSV_LIMIT = 10000;
/** Quiet time after the map stops moving before the viewport is loaded, ms. */
const VIEWPORT_DEBOUNCE_MS = 250;
/** The layout switches from phone (one column) to desktop (list beside map) here. */
const DESKTOP_QUERY = '(min-width: 60em)';

const $ = (id) => document.getElementById(id);

const ui = {
  sampleNotice: $('sample-notice'),
  locate: $('locate-button'),
  locateLabel: $('locate-label'),
  here: $('here-button'),
  draw: $('draw-button'),
  nameForm: $('name-form'),
  q: $('q'),
  district: $('district'),
  accepting: $('accepting'),
  filters: $('filters'),
  filtersCount: $('filters-count'),
  chips: $('chips'),
  clearChips: $('clear-chips'),
  mapSection: $('map-section'),
  map: $('map'),
  drawToolbar: $('draw-toolbar'),
  drawStatus: $('draw-status'),
  drawCenter: $('draw-center'),
  drawUndo: $('draw-undo'),
  drawFinish: $('draw-finish'),
  drawCancel: $('draw-cancel'),
  mapNotice: $('map-notice'),
  mapNoticeText: $('map-notice-text'),
  mapNoticeClose: $('map-notice-close'),
  legend: $('legend'),
  resultsSection: $('results-section'),
  resultsHeading: $('results-heading'),
  resultsSummary: $('results-summary'),
  resultsTools: $('results-tools'),
  csv: $('csv-link'),
  print: $('print-button'),
  clearSearch: $('clear-search'),
  status: $('status'),
  error: $('error'),
  note: $('results-note'),
  list: $('results'),
  empty: $('results-empty'),
  more: $('more-button'),
  listView: $('list-view-button'),
  datasetInfo: $('dataset-info'),
  printConditions: $('print-conditions'),
  printSample: $('print-sample'),
  printRows: $('print-rows'),
};

const state = {
  /** @type {import('./lib/render.js').Labels} */
  labels: { services: new Map(), kinds: new Map(), districts: new Map() },
  /** Chip groups from /api/services, in page order. */
  groups: [],
  /** Ids of the chosen chips. */
  chosen: new Set(),
  accepting: false,
  q: '',
  /**
   * The current search, or null while browsing.
   * @type {null | {type: 'near', lon: number, lat: number, origin: string, k: number}
   *             | {type: 'district', id: string}
   *             | {type: 'polygon', polygon: object}
   *             | {type: 'text'}}
   */
  search: null,
  results: [],
  /** Providers matching the search before the list limit, or null when unknown. */
  matched: null,
  sample: false,
};

/** Bookkeeping of viewport loading. */
const viewport = { bbox: null, key: null, timer: 0, controller: null };
/** The request of the running search, cancelled when a newer one starts. */
let searchController = null;

let map;
/** @type {MarkerStore} */
let markers;
/** @type {PolygonDrawer} */
let drawer;
const layers = { district: null, area: null, origin: null, chosen: null, allDistricts: null };

// ---------------------------------------------------------------------------------------
// Start

async function start() {
  const [about, services, districts] = await Promise.allSettled([
    getJson('/api/about'),
    getJson('/api/services'),
    getJson('/api/districts'),
  ]);
  const failed = [about, services, districts].find((r) => r.status === 'rejected');
  if (failed) {
    console.error(failed.reason);
    showError(failed.reason instanceof ApiError ? failed.reason.userMessage : MESSAGES.network);
  }

  if (about.status === 'fulfilled') applyAbout(about.value);
  if (services.status === 'fulfilled') applyServices(services.value);
  if (districts.status === 'fulfilled') applyDistricts(districts.value);

  // Lay the page out fully (filters open on desktop) before Leaflet measures the map.
  openFiltersOnDesktop();
  map = createMap(ui.map, {
    tiles: about.status === 'fulfilled' ? about.value.tiles ?? [] : [],
    onTileError: () => showMapNotice('背景地図を読み込めませんでした（検索と一覧は使えます）'),
  });
  markers = new MarkerStore(map, {
    kindLabel: (kind) => state.labels.kinds.get(kind) ?? kind,
    popup: (feature) => popupContent(feature, state.labels),
    onSelect: highlightListItem,
  });
  drawer = new PolygonDrawer(map, { onChange: updateDrawToolbar });
  // The map's box changes with the layout (notices, filters, rotation): keep Leaflet in step.
  new ResizeObserver(() => map.invalidateSize({ debounceMoveend: true })).observe(ui.map);

  if (districts.status === 'fulfilled' && districts.value.features?.length) {
    layers.allDistricts = districtLayer(districts.value, 'district-outline').addTo(map);
    map.fitBounds(layers.allDistricts.getBounds(), { padding: [8, 8] });
  } else {
    map.setView([36.2, 138.2], 5);
  }

  wireControls();
  map.on('moveend', scheduleViewportLoad);
  map.on('click', onMapClick);
  map.on('popupclose', () => {
    lastPopupClose = Date.now();
  });
  renderBrowse();
  await loadViewport();
}

function applyAbout(about) {
  state.sample = about.sample === true;
  ui.sampleNotice.hidden = !state.sample;
  ui.printSample.hidden = !state.sample;
  const parts = [];
  if (Number.isFinite(about.providers)) parts.push(`掲載事業所 ${about.providers.toLocaleString('ja-JP')}件`);
  if (state.sample) parts.push('データ：サンプル（架空）');
  ui.datasetInfo.textContent = parts.join('　');
}

function applyServices(services) {
  for (const s of services.services ?? []) state.labels.services.set(s.code, s.label);
  for (const k of services.kinds ?? []) state.labels.kinds.set(k.id, k.label);
  state.groups = services.groups ?? [];
  ui.chips.replaceChildren(
    ...state.groups.map((group) =>
      h(
        'button',
        {
          type: 'button',
          class: 'chip',
          'aria-pressed': 'false',
          'data-group': group.id,
          title: group.description || null,
        },
        h('span', { class: 'chip__check', 'aria-hidden': 'true' }),
        h('span', { class: 'chip__label' }, group.label),
        group.description ? h('span', { class: 'chip__description' }, group.description) : null,
      ),
    ),
  );
  ui.legend.replaceChildren(
    ...(services.kinds ?? []).map((k) =>
      h('li', { class: `legend__item kind--${k.id}` }, h('span', { class: 'legend__swatch', 'aria-hidden': 'true' }), k.label),
    ),
  );
}

function applyDistricts(collection) {
  for (const f of collection.features ?? []) {
    const name = f.properties?.name ?? String(f.id);
    state.labels.districts.set(String(f.id), name);
    const count = f.properties?.provider_count;
    const text = Number.isFinite(count) ? `${name}（${count}件）` : name;
    ui.district.appendChild(h('option', { value: f.id }, text));
  }
}

function openFiltersOnDesktop() {
  if (window.matchMedia(DESKTOP_QUERY).matches) ui.filters.open = true;
}

function wireControls() {
  window.matchMedia(DESKTOP_QUERY).addEventListener('change', openFiltersOnDesktop);

  ui.locate.addEventListener('click', searchFromGeolocation);
  ui.here.addEventListener('click', searchHere);
  ui.draw.addEventListener('click', () => (drawer.active ? stopDrawing() : startDrawing()));
  ui.drawCenter.addEventListener('click', () => drawer.addCenter());
  ui.drawUndo.addEventListener('click', () => drawer.undo());
  ui.drawFinish.addEventListener('click', finishDrawing);
  ui.drawCancel.addEventListener('click', () => {
    stopDrawing();
    ui.draw.focus();
  });
  ui.nameForm.addEventListener('submit', (event) => {
    event.preventDefault();
    searchByName();
  });
  ui.district.addEventListener('change', onDistrictChange);
  ui.accepting.addEventListener('change', () => {
    state.accepting = ui.accepting.checked;
    filtersChanged();
  });
  ui.chips.addEventListener('click', (event) => {
    const chip = event.target.closest('.chip');
    if (!chip) return;
    const id = chip.dataset.group;
    if (state.chosen.has(id)) state.chosen.delete(id);
    else state.chosen.add(id);
    filtersChanged();
  });
  ui.clearChips.addEventListener('click', () => {
    state.chosen.clear();
    filtersChanged();
    ui.filters.querySelector('.chip')?.focus();
  });
  ui.list.addEventListener('click', (event) => {
    const button = event.target.closest('[data-action="show"]');
    if (button) showOnMap(button.dataset.id);
  });
  ui.more.addEventListener('click', showMore);
  ui.listView.addEventListener('click', searchViewport);
  ui.mapNoticeClose.addEventListener('click', () => {
    mapNotices.clear();
    ui.mapNotice.hidden = true;
  });
  ui.clearSearch.addEventListener('click', () => {
    clearSearch();
    ui.locate.focus();
  });
  ui.print.addEventListener('click', () => window.print());
  ui.csv.addEventListener('click', onCsvClick);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && drawer?.active) stopDrawing();
  });
}

// ---------------------------------------------------------------------------------------
// Filters

function chosenGroups() {
  return state.groups.filter((g) => state.chosen.has(g.id));
}

/** The parameter sets of the current filters (one request each; see query.js). */
function families() {
  return filterFamilies(chosenGroups(), { accepting: state.accepting ? 'true' : '', q: state.q });
}

function filtersChanged() {
  for (const chip of ui.chips.querySelectorAll('.chip')) {
    chip.setAttribute('aria-pressed', String(state.chosen.has(chip.dataset.group)));
  }
  const count = state.chosen.size;
  ui.filtersCount.hidden = count === 0;
  ui.filtersCount.textContent = count ? `${count}件選択中` : '';
  ui.clearChips.hidden = count === 0;
  if (state.search) runSearch({ focusList: false });
  else loadViewport();
}

function conditionsText() {
  const parts = chosenGroups().map((g) => g.label);
  if (state.accepting) parts.push('受入可のみ');
  if (state.q) parts.push(`「${state.q}」`);
  return parts.join('・');
}

// ---------------------------------------------------------------------------------------
// Viewport loading (browsing mode)

function scheduleViewportLoad() {
  clearTimeout(viewport.timer);
  viewport.timer = setTimeout(loadViewport, VIEWPORT_DEBOUNCE_MS);
}

function boundsToBbox(bounds) {
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
}

async function loadViewport() {
  if (state.search || !map) return;
  const fams = families();
  const key = fams.map(paramsKey).join('|');
  const view = clampBbox(boundsToBbox(map.getBounds()));
  if (key === viewport.key && bboxContains(viewport.bbox, view)) return;
  // Load a margin around the view so small pans need no request.
  const bbox = roundBboxOutward(clampBbox(boundsToBbox(map.getBounds().pad(0.3))));
  viewport.controller?.abort();
  const controller = new AbortController();
  viewport.controller = controller;
  ui.mapSection.setAttribute('aria-busy', 'true');
  try {
    const pages = await Promise.all(
      fams.map((f) =>
        getJson(urlWith('/api/providers', { bbox: bbox.join(','), ...f, limit: VIEWPORT_LIMIT }), {
          signal: controller.signal,
        }),
      ),
    );
    if (controller.signal.aborted || state.search) return;
    const features = mergeFeatures(pages.map((p) => p.features ?? []));
    const truncated = pages.some((p) => p.numberMatched > p.numberReturned);
    markers.upsert(features);
    const ids = features.map((f) => String(f.id));
    if (key === viewport.key) markers.showAlso(ids);
    else markers.show(ids);
    // A truncated answer does not cover its box: the next move must load again.
    viewport.bbox = truncated ? null : bbox;
    viewport.key = key;
    showMapNotice(truncated ? '表示範囲の事業所が多いため、一部だけを表示しています。地図を拡大してください。' : null, 'viewport');
    clearError();
    renderBrowseCount();
  } catch (error) {
    if (isAbort(error)) return;
    console.error(error);
    showError(error.userMessage ?? MESSAGES.network);
  } finally {
    if (viewport.controller === controller) {
      viewport.controller = null;
      ui.mapSection.removeAttribute('aria-busy');
    }
  }
}

// ---------------------------------------------------------------------------------------
// Searches

// The button stays enabled (and focused) while the position is found; repeats are ignored.
let locating = false;

function searchFromGeolocation() {
  if (locating) return;
  clearError();
  if (!('geolocation' in navigator)) {
    showError(MESSAGES.geolocationUnsupported);
    return;
  }
  stopDrawing();
  setStatus('現在地を取得しています…');
  locating = true;
  ui.locate.setAttribute('aria-busy', 'true');
  ui.locateLabel.textContent = '現在地を取得中…';
  const done = () => {
    locating = false;
    ui.locate.removeAttribute('aria-busy');
    ui.locateLabel.textContent = '現在地から探す';
  };
  navigator.geolocation.getCurrentPosition(
    (position) => {
      done();
      const { longitude: lon, latitude: lat } = position.coords;
      startNearSearch(lon, lat, '現在地');
    },
    (error) => {
      done();
      setStatus('');
      console.warn('geolocation failed', error);
      showError(error.code === 1 ? MESSAGES.geolocationDenied : MESSAGES.geolocation);
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

function searchHere() {
  stopDrawing();
  const chosen = layers.chosen?.getLatLng();
  const point = chosen ?? map.getCenter();
  startNearSearch(point.lng, point.lat, chosen ? '選んだ場所' : '地図の中心');
}

function startNearSearch(lon, lat, origin) {
  clearArea();
  ui.district.value = '';
  removeLayer('chosen');
  ui.here.classList.remove('is-ready');
  state.search = { type: 'near', lon: round6(lon), lat: round6(lat), origin, k: NEAREST_K };
  layers.origin = originMarker(L.latLng(lat, lon), origin, origin === '現在地' ? 'position' : 'place').addTo(map);
  runSearch({ focusList: true, fit: true });
}

function searchViewport() {
  stopDrawing();
  clearArea();
  removeLayer('chosen');
  ui.district.value = '';
  const bbox = roundBboxOutward(clampBbox(boundsToBbox(map.getBounds())));
  state.search = { type: 'bbox', bbox };
  runSearch({ focusList: true, fit: false });
}

function searchByName() {
  state.q = ui.q.value.trim();
  if (!state.search && !state.q) return;
  if (!state.search) state.search = { type: 'text' };
  if (state.search.type === 'text' && !state.q) {
    clearSearch();
    return;
  }
  runSearch({ focusList: true, fit: true });
}

async function onDistrictChange() {
  const id = ui.district.value;
  stopDrawing();
  if (!id) {
    if (state.search?.type === 'district') {
      removeLayer('district');
      if (state.q) {
        state.search = { type: 'text' };
        runSearch({ focusList: false, fit: true });
      } else {
        clearSearch();
      }
    }
    return;
  }
  clearArea();
  removeLayer('chosen');
  state.search = { type: 'district', id };
  const search = state.search;
  // The outline and the providers load side by side; the outline only if still wanted.
  getJson(`/api/districts/${encodeURIComponent(id)}`)
    .then((feature) => {
      if (state.search !== search) return;
      removeLayer('district');
      layers.district = districtLayer(feature, 'district-outline district-outline--selected').addTo(map);
      map.fitBounds(layers.district.getBounds(), { padding: [16, 16] });
    })
    .catch((error) => {
      console.error(error);
      showError(error.userMessage ?? MESSAGES.network);
    });
  runSearch({ focusList: false, fit: false });
}

function startDrawing() {
  removeLayer('chosen');
  map.closePopup();
  drawer.start();
  ui.draw.setAttribute('aria-pressed', 'true');
  ui.drawToolbar.hidden = false;
  ui.drawCenter.focus({ preventScroll: true });
  ui.mapSection.scrollIntoView({ block: 'nearest' });
}

function stopDrawing() {
  if (!drawer?.active) return;
  drawer.stop();
  ui.draw.setAttribute('aria-pressed', 'false');
  ui.drawToolbar.hidden = true;
}

function updateDrawToolbar(count) {
  ui.drawStatus.textContent =
    count < 3
      ? `地図をタップして範囲の角を置いてください（${count}点、3点以上で検索できます）`
      : `${count}点を置きました。「完了して検索」で範囲内を探します`;
  ui.drawFinish.disabled = count < 3;
  ui.drawUndo.disabled = count === 0;
}

function finishDrawing() {
  const polygon = drawer.polygon();
  if (!polygon) return;
  stopDrawing();
  clearArea();
  ui.district.value = '';
  state.search = { type: 'polygon', polygon };
  layers.area = L.geoJSON(polygon, { style: { className: 'search-area' }, interactive: false }).addTo(map);
  runSearch({ focusList: true, fit: true });
}

// A tap that only closes an open popup should not also choose a place.
let lastPopupClose = 0;

function onMapClick(event) {
  if (drawer.active || Date.now() - lastPopupClose < 100) return;
  removeLayer('chosen');
  const marker = originMarker(event.latlng, '選んだ場所', 'place');
  const button = h('button', { type: 'button', class: 'button button--primary button--small' }, 'この場所で探す');
  button.addEventListener('click', searchHere);
  marker.bindPopup(h('div', { class: 'chosen-popup' }, h('p', {}, 'この場所から近い事業所を探します。'), button), {
    closeButton: true,
    autoClose: true,
  });
  layers.chosen = marker.addTo(map);
  marker.openPopup();
  ui.here.classList.add('is-ready');
}

function showMore() {
  if (state.search?.type !== 'near') return;
  const before = state.results.length;
  state.search.k = Math.min(NEAREST_K_MAX, state.search.k + NEAREST_K);
  runSearch({ focusList: false, fit: false }).then(() => {
    const next = ui.list.children[before]?.querySelector('[data-action="show"]');
    next?.focus();
  });
}

/** Leaves search mode and returns to browsing the viewport. */
function clearSearch() {
  searchController?.abort();
  state.search = null;
  state.results = [];
  state.matched = null;
  state.q = '';
  ui.q.value = '';
  ui.district.value = '';
  clearArea();
  removeLayer('district');
  removeLayer('origin');
  markers.setRanks(null);
  markers.clearDistances();
  viewport.key = null;
  viewport.bbox = null;
  clearError();
  renderBrowse();
  setStatus('検索をやめました。地図の範囲の事業所を表示しています。');
  loadViewport();
}

function clearArea() {
  removeLayer('area');
  removeLayer('origin');
  if (state.search?.type === 'district') removeLayer('district');
}

function removeLayer(name) {
  if (layers[name]) {
    layers[name].remove();
    layers[name] = null;
  }
}

/** Requests of the current search, one per filter family. */
function searchRequests(format = null) {
  const s = state.search;
  const fmt = format ? { f: format } : {};
  return families().map((f) => {
    switch (s.type) {
      case 'near':
        return { url: urlWith('/api/providers/nearest', { lon: s.lon, lat: s.lat, k: s.k, ...f, ...fmt }) };
      case 'district':
        return { url: urlWith('/api/providers', { district: s.id, ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }) };
      case 'polygon':
        return { url: urlWith('/api/providers/search', { ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }), body: s.polygon };
      case 'bbox':
        return { url: urlWith('/api/providers', { bbox: s.bbox.join(','), ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }) };
      default:
        return { url: urlWith('/api/providers', { ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }) };
    }
  });
}

/**
 * Runs the current search and shows its results on the map and in the list.
 * @param {{focusList?: boolean, fit?: boolean}} options
 */
async function runSearch({ focusList = false, fit = false } = {}) {
  const search = state.search;
  if (!search) return;
  searchController?.abort();
  viewport.controller?.abort();
  const controller = new AbortController();
  searchController = controller;
  ui.resultsSection.setAttribute('aria-busy', 'true');
  setStatus('検索しています…');
  try {
    const pages = await Promise.all(
      searchRequests().map((r) =>
        r.body ? postJson(r.url, r.body, { signal: controller.signal }) : getJson(r.url, { signal: controller.signal }),
      ),
    );
    if (controller.signal.aborted || state.search !== search) return;
    const near = search.type === 'near';
    const features = mergeFeatures(
      pages.map((p) => p.features ?? []),
      near ? { byDistance: true, limit: search.k } : {},
    );
    state.results = features;
    state.matched = pages.length === 1 ? pages[0].numberMatched ?? features.length : features.length;
    const truncated = pages.some((p) => p.numberMatched > p.numberReturned) && !near;

    if (!near) markers.clearDistances();
    markers.upsert(features);
    markers.setRanks(near ? new Map(features.map((f, i) => [String(f.id), i + 1])) : null);
    markers.show(
      features.map((f) => String(f.id)),
      { clustered: !near },
    );
    showMapNotice(null, 'viewport');
    clearError();

    renderResults({ truncated });
    if (fit) fitToResults();
    if (focusList) moveFocusToList();
    announceResults();
  } catch (error) {
    if (isAbort(error)) return;
    console.error(error);
    setStatus('');
    showError(error.userMessage ?? MESSAGES.network);
  } finally {
    if (searchController === controller) {
      searchController = null;
      ui.resultsSection.removeAttribute('aria-busy');
    }
  }
}

function fitToResults() {
  const s = state.search;
  let bounds = markers.boundsOf(state.results.map((f) => String(f.id)));
  if (s.type === 'near') {
    const origin = L.latLng(s.lat, s.lon);
    bounds = bounds ? bounds.extend(origin) : L.latLngBounds([origin, origin]);
  } else if (s.type === 'polygon' && layers.area) {
    bounds = layers.area.getBounds();
  }
  if (!bounds) return;
  if (bounds.getNorthEast().equals(bounds.getSouthWest())) map.setView(bounds.getCenter(), Math.max(map.getZoom(), 15));
  else map.fitBounds(bounds, { padding: [40, 40], maxZoom: 17 });
}

function moveFocusToList() {
  ui.list.focus({ preventScroll: true });
  if (window.matchMedia(DESKTOP_QUERY).matches) {
    ui.list.closest('.results').scrollTop = 0;
  } else {
    // On a phone, show the map with the results' markers and the top of the list below it.
    ui.mapSection.scrollIntoView({ block: 'start' });
  }
}

function showOnMap(id) {
  if (!window.matchMedia(DESKTOP_QUERY).matches) ui.mapSection.scrollIntoView({ block: 'start', behavior: 'smooth' });
  markers.focus(id);
  highlightListItem(id);
}

function highlightListItem(id) {
  for (const li of ui.list.querySelectorAll('.result.is-selected')) li.classList.remove('is-selected');
  const li = [...ui.list.children].find((el) => el.dataset.id === String(id));
  if (!li) return;
  li.classList.add('is-selected');
  if (window.matchMedia(DESKTOP_QUERY).matches) li.scrollIntoView({ block: 'nearest' });
}

// ---------------------------------------------------------------------------------------
// Rendering

function searchTitle() {
  const s = state.search;
  switch (s?.type) {
    case 'near':
      return `${s.origin}から近い順`;
    case 'district':
      return `${state.labels.districts.get(s.id) ?? s.id}圏域の事業所`;
    case 'polygon':
      return '描いた範囲内の事業所';
    case 'bbox':
      return '地図の範囲の事業所';
    case 'text':
      return '名称・住所の検索結果';
    default:
      return '';
  }
}

function renderBrowse() {
  ui.resultsHeading.textContent = '事業所の一覧';
  ui.resultsSummary.textContent = '';
  ui.resultsTools.hidden = true;
  ui.list.replaceChildren();
  ui.list.hidden = true;
  ui.empty.hidden = false;
  ui.more.hidden = true;
  ui.note.hidden = true;
  ui.printRows.replaceChildren();
  renderBrowseCount();
}

function renderBrowseCount() {
  if (state.search) return;
  const count = markers?.visibleCount ?? 0;
  const conditions = conditionsText();
  ui.resultsSummary.textContent = `地図の範囲に${count}件の事業所があります${conditions ? `（条件：${conditions}）` : ''}`;
}

function renderResults({ truncated }) {
  const s = state.search;
  const near = s.type === 'near';
  const n = state.results.length;
  const conditions = conditionsText();
  ui.resultsHeading.textContent = searchTitle();
  ui.resultsSummary.textContent = `${n}件${conditions ? `・条件：${conditions}` : ''}`;
  ui.empty.hidden = true;
  ui.list.hidden = false;
  ui.resultsTools.hidden = false;
  ui.list.replaceChildren(
    ...state.results.map((f, i) => resultItem(f, i, state.labels, { ranked: near })),
  );
  if (n === 0) {
    ui.list.appendChild(
      h('li', { class: 'result result--none' }, '条件に合う事業所が見つかりませんでした。条件を減らすか、場所を変えてお試しください。'),
    );
  }
  ui.more.hidden = !(near && n === s.k && s.k < NEAREST_K_MAX);
  ui.more.textContent = `さらに${Math.min(NEAREST_K, NEAREST_K_MAX - s.k)}件表示`;
  ui.note.hidden = !truncated;
  ui.note.textContent = truncated
    ? `該当する${state.matched}件のうち、先頭の${n}件を表示しています。すべてはCSVでダウンロードできます。`
    : '';
  renderPrint();
  updateCsvLink();
}

function announceResults() {
  const n = state.results.length;
  // The heading already shows this; the status region says it to screen readers.
  setStatus(n ? `${searchTitle()}に${n}件表示しました。` : '条件に合う事業所が見つかりませんでした。', { visible: false });
}

function renderPrint() {
  const conditions = conditionsText();
  const date = new Date().toLocaleDateString('ja-JP', { year: 'numeric', month: 'long', day: 'numeric' });
  ui.printConditions.textContent = `${searchTitle()}（${state.results.length}件）${conditions ? `　条件：${conditions}` : ''}　${date}現在`;
  ui.printRows.replaceChildren(...state.results.map((f, i) => printRow(f, i, state.labels)));
}

// ---------------------------------------------------------------------------------------
// CSV

function csvFileName() {
  const s = state.search;
  const what =
    s.type === 'district'
      ? `${state.labels.districts.get(s.id) ?? s.id}圏域`
      : s.type === 'near'
        ? `${s.origin}周辺`
        : s.type === 'polygon'
          ? '描いた範囲'
          : s.type === 'bbox'
            ? '地図の範囲'
            : '検索結果';
  const now = new Date();
  const day = [now.getFullYear(), now.getMonth() + 1, now.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
  return `caremap_${what}_${day}.csv`.replace(/[\\/:*?"<>|\s]/g, '_');
}

/** A plain link when one GET answers the download; otherwise the click builds the file. */
function updateCsvLink() {
  const requests = searchRequests('csv');
  ui.csv.download = csvFileName();
  ui.csv.href = requests[0].url;
  ui.csv.dataset.merge = requests.length > 1 || requests[0].body ? 'true' : 'false';
}

async function onCsvClick(event) {
  if (ui.csv.dataset.merge !== 'true' || !state.search) return;
  event.preventDefault();
  try {
    setStatus('CSVを作成しています…');
    const requests = searchRequests('csv');
    const texts = await Promise.all(requests.map((r) => getText(r.url, r.body ?? null)));
    const order = state.search.type === 'near' ? state.results.map((f) => String(f.id)) : null;
    // Response.text() drops the BOM; mergeCsv writes one back (and joins several parts).
    const csv = mergeCsv(texts, order);
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    const a = h('a', { href: url, download: csvFileName(), class: 'visually-hidden' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    setStatus('CSVをダウンロードしました。');
  } catch (error) {
    console.error(error);
    setStatus('');
    showError(error.userMessage ?? MESSAGES.network);
  }
}

// ---------------------------------------------------------------------------------------
// Messages

/** Sets the polite live region; `visible: false` keeps it for screen readers only. */
function setStatus(text, { visible = true } = {}) {
  ui.status.classList.toggle('visually-hidden', !visible);
  ui.status.textContent = text;
}

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = '';
}

const mapNotices = new Map();
function showMapNotice(text, slot = 'tiles') {
  if (text) mapNotices.set(slot, text);
  else mapNotices.delete(slot);
  const texts = [...mapNotices.values()];
  ui.mapNotice.hidden = texts.length === 0;
  replaceChildren(ui.mapNoticeText, texts.join(' '));
}

function round6(v) {
  return Math.round(v * 1e6) / 1e6;
}

// Every declaration above is initialised by now; start the page.
start().catch((error) => {
  console.error(error);
  showError(error instanceof ApiError ? error.userMessage : MESSAGES.server);
});
