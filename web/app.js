// The caremap map page. Two modes:
//  - browsing (no search): the map loads the providers of the viewport on `moveend`
//    (bbox query, debounced, skipped while the view stays inside what was loaded);
//  - a search (nearest to a point, a district, a drawn area, or a name): the map and the
//    list show exactly the search's results, nearest first where there is a point.
// Chips, one service, 受入可のみ, 24時間対応, 在宅医療 and the name text are filters that apply
// to both. The address bar holds the search and filters (page-url), so links, reload and
// back / forward restore them (page-restore).
//
// This file starts the page and wires its controls; the parts live in lib/map/:
// page-state (elements, state, layers), page-setup (reference data), filters, viewport
// (browsing), search-start / search-run / search-requests (searches), address-suggest (the
// search box's address suggestions) and center-card (the 包括 card), draw-controls,
// results (with sort), csv-download, messages, page-url / url-state and page-restore;
// 「地域の状況」 (the coverage grid) in coverage-view / coverage-render / coverage-classes.
// What the staff page shares with it is in lib/shared/ (the fetch wrapper, dom, the base map).

import { wireAddressSuggest } from './lib/map/address-suggest.js';
import { MESSAGES, getJson } from './lib/map/api.js';
import { wireCoverage } from './lib/map/coverage-view.js';
import { onCsvClick } from './lib/map/csv-download.js';
import { finishDrawing, startDrawing, stopDrawing, updateDrawToolbar } from './lib/map/draw-controls.js';
import { PolygonDrawer } from './lib/map/draw.js';
import { chooseService, syncFilterControls, toggleGroup } from './lib/map/filters.js';
import { MarkerStore, districtLayer } from './lib/map/markers.js';
import { clearError, closeMapNotices, showError, showMapNotice } from './lib/map/messages.js';
import { restoreFromUrl } from './lib/map/page-restore.js';
import { applyAbout, applyDistricts, applyServices } from './lib/map/page-setup.js';
import { DESKTOP_QUERY, attachMap, drawer, layers, state, ui } from './lib/map/page-state.js';
import { copyLink, recordState } from './lib/map/page-url.js';
import { popupContent } from './lib/map/render.js';
import { highlightListItem, rerenderResults, showOnMap } from './lib/map/results.js';
import { clearSearch, runSearch, showMore } from './lib/map/search-run.js';
import {
  applyText,
  notePopupClose,
  onDistrictChange,
  onMapClick,
  searchByName,
  searchFromAddress,
  searchFromGeolocation,
  searchHere,
  searchViewport,
} from './lib/map/search-start.js';
import { loadViewport, scheduleViewportLoad } from './lib/map/viewport.js';
import { ApiError } from './lib/shared/api.js';
import { createMap } from './lib/shared/base-map.js';

async function start() {
  // A name searched before the page is ready (a slow phone link) waits for it, instead of the
  // browser submitting the form and loading the page all over again.
  let submittedEarly = false;
  const holdSubmit = (event) => {
    event.preventDefault();
    submittedEarly = true;
  };
  ui.nameForm.addEventListener('submit', holdSubmit);

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
  const map = createMap(ui.map, {
    tiles: about.status === 'fulfilled' ? about.value.tiles ?? [] : [],
    onTileError: () => showMapNotice('背景地図を読み込めませんでした（検索と一覧は使えます）'),
  });
  const markers = new MarkerStore(map, {
    kindLabel: (kind) => state.labels.kinds.get(kind) ?? kind,
    popup: (feature) => popupContent(feature, state.labels),
    onSelect: (id) => {
      highlightListItem(id);
      recordState('replace');
    },
  });
  attachMap({ map, markers, drawer: new PolygonDrawer(map, { onChange: updateDrawToolbar }) });
  // The map's box changes with the layout (notices, filters, rotation): keep Leaflet in step.
  new ResizeObserver(() => map.invalidateSize({ debounceMoveend: true })).observe(ui.map);

  if (districts.status === 'fulfilled' && districts.value.features?.length) {
    layers.allDistricts = districtLayer(districts.value, 'district-outline').addTo(map);
    map.fitBounds(layers.allDistricts.getBounds(), { padding: [8, 8] });
  } else {
    map.setView([36.2, 138.2], 5);
  }

  ui.nameForm.removeEventListener('submit', holdSubmit);
  wireControls();
  map.on('moveend', scheduleViewportLoad);
  map.on('moveend', () => recordState('replace'));
  map.on('click', (event) => {
    if (!state.coverage) onMapClick(event);
  });
  map.on('popupclose', notePopupClose);
  window.addEventListener('popstate', () => restoreFromUrl());
  // A shared link or a reload: the address says what to show (else the whole city, browsing).
  // Text typed while the page loaded stays in the box unless the address names a text.
  await restoreFromUrl({ keepTypedText: true });
  if (submittedEarly) searchByName();
}

function openFiltersOnDesktop() {
  if (window.matchMedia(DESKTOP_QUERY).matches) ui.filters.open = true;
}

/** A filter changed: show it on its controls, then rerun the search or reload the viewport. */
function filtersChanged() {
  syncFilterControls();
  if (state.search) {
    runSearch({ focusList: false });
  } else {
    recordState('push');
    loadViewport();
  }
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
  wireAddressSuggest({
    input: ui.q,
    listbox: ui.suggestions,
    onAddress: searchFromAddress,
    onName: (text) => {
      ui.q.value = text;
      applyText(text);
    },
  });
  ui.nameForm.addEventListener('submit', (event) => {
    event.preventDefault();
    searchByName();
  });
  // An emptied box applies at once: the old text must not keep filtering.
  ui.q.addEventListener('input', () => {
    if (!ui.q.value.trim() && state.q) applyText('');
  });
  ui.textCondition.addEventListener('click', (event) => {
    if (!event.target.closest('[data-action="remove-text"]')) return;
    ui.q.value = '';
    applyText('');
    ui.q.focus();
  });
  ui.district.addEventListener('change', onDistrictChange);
  ui.accepting.addEventListener('change', () => {
    state.accepting = ui.accepting.checked;
    filtersChanged();
  });
  ui.includeStale.addEventListener('change', () => {
    state.includeStale = ui.includeStale.checked;
    filtersChanged();
  });
  ui.available24h.addEventListener('change', () => {
    state.available24h = ui.available24h.checked;
    filtersChanged();
  });
  ui.homeCare.addEventListener('change', () => {
    state.homeCare = ui.homeCare.checked;
    filtersChanged();
  });
  ui.service.addEventListener('change', () => {
    chooseService(ui.service.value);
    filtersChanged();
  });
  ui.chips.addEventListener('click', (event) => {
    const chip = event.target.closest('.chip');
    if (!chip) return;
    toggleGroup(chip.dataset.group);
    filtersChanged();
  });
  ui.clearChips.addEventListener('click', () => {
    state.chosen.clear();
    filtersChanged();
    ui.filters.querySelector('.chip')?.focus();
  });
  ui.list.addEventListener('click', (event) => {
    const button = event.target.closest('[data-action="show"]');
    if (!button) return;
    showOnMap(button.dataset.id);
    recordState('replace');
  });
  ui.sort.addEventListener('change', () => {
    state.sort = ui.sort.value;
    rerenderResults();
    recordState('replace');
  });
  ui.copyLink.addEventListener('click', copyLink);
  wireCoverage({ record: recordState });
  ui.errorClose.addEventListener('click', clearError);
  window.addEventListener('offline', () => showError(MESSAGES.offline));
  window.addEventListener('online', () => {
    if (ui.errorText.textContent === MESSAGES.offline) clearError();
  });
  ui.more.addEventListener('click', showMore);
  ui.listView.addEventListener('click', searchViewport);
  ui.mapNoticeClose.addEventListener('click', closeMapNotices);
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

start().catch((error) => {
  console.error(error);
  showError(error instanceof ApiError ? error.userMessage : MESSAGES.server);
});
