// Search mode: runs the current search (cancelling the one before and any viewport load),
// shows exactly its results on the map and in the list, fits the map to them, 「さらに表示」,
// and leaving search mode for browsing again.

import { isAbort } from '../shared/api.js';
import { MESSAGES, getJson, postJson } from './api.js';
import { syncFilterControls } from './filters.js';
import { clearError, setStatus, showError, showMapNotice } from './messages.js';
import { NEAREST_K, NEAREST_K_MAX, layers, map, markers, removeLayer, state, ui } from './page-state.js';
import { recordState } from './page-url.js';
import { mergeFeatures } from './query.js';
import { announceResults, highlightListItem, moveFocusToList, orderResults, renderBrowse, renderResults } from './results.js';
import { searchRequests } from './search-requests.js';
import { abortViewportLoad, forgetViewport, loadViewport } from './viewport.js';

const L = window.L;

/** The request of the running search, cancelled when a newer one starts. */
let searchController = null;

/**
 * Runs the current search and shows its results on the map and in the list.
 * `record` writes it into the address bar first (`push`: a new history entry; null when
 * restoring one); `select` is a provider to show once the list is there.
 * @param {{focusList?: boolean, fit?: boolean, record?: 'push'|'replace'|null, select?: string|null}} options
 */
export async function runSearch({ focusList = false, fit = false, record = 'push', select = null } = {}) {
  const search = state.search;
  if (!search) return;
  // A new search or filter starts without a selected provider.
  if (record === 'push') state.selected = null;
  if (record) recordState(record);
  searchController?.abort();
  abortViewportLoad();
  const controller = new AbortController();
  searchController = controller;
  ui.resultsSection.setAttribute('aria-busy', 'true');
  setStatus('検索しています…', { busy: true });
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
    orderResults();
    state.matched = pages.length === 1 ? pages[0].numberMatched ?? features.length : features.length;
    const truncated = pages.some((p) => p.numberMatched > p.numberReturned) && !near;

    if (!near) markers.clearDistances();
    markers.upsert(features);
    markers.setRanks(near ? new Map(features.map((f, i) => [String(f.id), i + 1])) : null);
    markers.show(
      state.results.map((f) => String(f.id)),
      { clustered: !near },
    );
    showMapNotice(null, 'viewport');
    clearError();

    renderResults({ truncated });
    if (fit) fitToResults();
    if (focusList) moveFocusToList();
    announceResults();
    if (select && state.results.some((f) => String(f.id) === select)) {
      highlightListItem(select);
      markers.focus(select);
    }
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

/** 「さらに表示」: the next nearest providers, then focus on the first new one. */
export function showMore() {
  if (state.search?.type !== 'near') return;
  const before = state.results.length;
  state.search.k = Math.min(NEAREST_K_MAX, state.search.k + NEAREST_K);
  runSearch({ focusList: false, fit: false, record: 'replace' }).then(() => {
    const next = ui.list.children[before]?.querySelector('[data-action="show"]');
    next?.focus();
  });
}

/** Leaves search mode and returns to browsing the viewport (the text condition goes too). */
export function clearSearch({ record = 'push', announce = true } = {}) {
  searchController?.abort();
  state.search = null;
  state.results = [];
  state.matched = null;
  state.selected = null;
  state.q = '';
  ui.q.value = '';
  ui.district.value = '';
  syncFilterControls();
  clearArea();
  removeLayer('district');
  removeLayer('origin');
  markers.setRanks(null);
  markers.clearDistances();
  forgetViewport();
  clearError();
  renderBrowse();
  if (announce) setStatus('検索をやめました。地図の範囲の事業所を表示しています。');
  // A new search or filter starts without a selected provider.
  if (record === 'push') state.selected = null;
  if (record) recordState(record);
  loadViewport();
}

/** Removes the current search's area from the map: drawn area, origin, chosen district. */
export function clearArea() {
  removeLayer('area');
  removeLayer('origin');
  if (state.search?.type === 'district') removeLayer('district');
}
