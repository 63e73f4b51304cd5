// Restores the page from its address: at start (a shared link) and on back / forward. The
// filters, order, map view and search come from the query string (url-state.js); the search
// runs again without adding a history entry, and the selected provider is shown once listed.
// `view=coverage` opens 「地域の状況」 instead.

import { hideCoverage, showCoverage } from './coverage-view.js';
import { stopDrawing } from './draw-controls.js';
import { syncFilterControls } from './filters.js';
import { NEAREST_K, NEAREST_K_MAX, layers, map, markers, removeLayer, state, ui } from './page-state.js';
import { setRecording } from './page-url.js';
import { renderBrowse } from './results.js';
import { clearArea, runSearch } from './search-run.js';
import { showDistrict, showOrigin } from './search-start.js';
import { queryToState } from './url-state.js';
import { forgetViewport, loadViewport } from './viewport.js';

const L = window.L;

/**
 * Makes the page what its address says (nothing is written back to it meanwhile).
 * @param {{keepTypedText?: boolean}} options keepTypedText: at start, what the user typed in
 *   the search box while the page loaded is kept there when the address has no text of its own
 *   (back / forward set the box to the address's text, empty or not)
 */
export async function restoreFromUrl({ keepTypedText = false } = {}) {
  setRecording(false);
  try {
    await restore(queryToState(location.search, { defaultK: NEAREST_K, maxK: NEAREST_K_MAX }), { keepTypedText });
  } finally {
    setRecording(true);
  }
}

async function restore(wanted, { keepTypedText }) {
  stopDrawing();
  map.closePopup();
  // 「地域の状況」 has its own conditions; the provider search stays as it was behind it.
  if (wanted.coverage) {
    await showCoverage(wanted.coverage);
    return;
  }
  hideCoverage();

  state.chosen = new Set(wanted.groups.filter((id) => state.groups.some((g) => g.id === id)));
  state.service = state.labels.services.has(wanted.service) ? wanted.service : '';
  state.accepting = wanted.accepting;
  state.includeStale = wanted.includeStale;
  state.available24h = wanted.available24h;
  state.homeCare = wanted.homeCare;
  state.q = wanted.q;
  state.sort = wanted.sort;
  const typed = ui.q.value;
  ui.q.value = wanted.q;
  syncFilterControls();
  if (keepTypedText && !wanted.q) ui.q.value = typed;

  clearArea();
  removeLayer('district');
  removeLayer('chosen');
  ui.here.classList.remove('is-ready');
  if (wanted.view) map.setView([wanted.view.lat, wanted.view.lon], wanted.view.zoom, { animate: false });

  const search = wanted.search;
  state.search = search;
  state.selected = wanted.selected;
  ui.district.value = search?.type === 'district' ? search.id : '';
  if (!search) {
    state.results = [];
    state.matched = null;
    markers.setRanks(null);
    markers.clearDistances();
    forgetViewport();
    renderBrowse();
    // The state is whole now: what the user does while the markers load is written again.
    setRecording(true);
    await loadViewport();
    return;
  }
  if (search.type === 'near') showOrigin(search);
  if (search.type === 'district') showDistrict(search, { fit: !wanted.view });
  if (search.type === 'polygon') {
    layers.area = L.geoJSON(search.polygon, { style: { className: 'search-area' }, interactive: false }).addTo(map);
  }
  await runSearch({ focusList: false, fit: !wanted.view, record: null, select: wanted.selected });
}
