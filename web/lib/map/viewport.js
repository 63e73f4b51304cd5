// Browsing mode: while no search runs, the map shows the providers of its viewport (plus a
// margin), loaded after the map stops moving and skipped while the view stays inside what
// was loaded with the same filters.

import { isAbort } from '../shared/api.js';
import { MESSAGES, getJson } from './api.js';
import { families } from './filters.js';
import { clearError, showError, showMapNotice } from './messages.js';
import { map, markers, state, ui } from './page-state.js';
import { bboxContains, clampBbox, mergeFeatures, paramsKey, roundBboxOutward, urlWith } from './query.js';
import { renderBrowseCount } from './results.js';

/** Most providers one viewport load asks for. */
const VIEWPORT_LIMIT = 2000;
/** Quiet time after the map stops moving before the viewport is loaded, ms. */
const VIEWPORT_DEBOUNCE_MS = 250;

/** Bookkeeping of viewport loading. */
const viewport = { bbox: null, key: null, timer: 0, controller: null };

export function scheduleViewportLoad() {
  clearTimeout(viewport.timer);
  viewport.timer = setTimeout(loadViewport, VIEWPORT_DEBOUNCE_MS);
}

/** Cancels a running viewport load (a search takes over the map). */
export function abortViewportLoad() {
  viewport.controller?.abort();
}

/** Forgets what was loaded, so the next load asks again. */
export function forgetViewport() {
  viewport.key = null;
  viewport.bbox = null;
}

export function boundsToBbox(bounds) {
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
}

export async function loadViewport() {
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
