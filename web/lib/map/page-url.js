// The address bar follows the page: every search pushes a history entry whose query string
// holds the search, filters, order, selected provider and map view (url-state.js), map moves
// and selections replace it, 「リンクをコピー」 copies it, and back / forward (popstate) or
// opening such a link restores the same list (page-restore.js).

import { setStatus, showError } from './messages.js';
import { NEAREST_K, map, state } from './page-state.js';
import { stateToQuery } from './url-state.js';

/** False while the page restores an address, so half-restored states are not written back. */
let recording = true;

/** Pauses (false) or resumes (true) writing the address bar. */
export function setRecording(on) {
  recording = on;
}

/** The page's state in the shape url-state.js writes. */
function pageState() {
  const c = map?.getCenter();
  const selected = state.selected && state.results.some((f) => String(f.id) === state.selected) ? state.selected : null;
  return {
    search: state.search,
    groups: state.groups.filter((g) => state.chosen.has(g.id)).map((g) => g.id),
    service: state.service,
    accepting: state.accepting,
    includeStale: state.includeStale,
    available24h: state.available24h,
    homeCare: state.homeCare,
    q: state.q,
    sort: state.sort,
    selected,
    view: c ? { lon: c.lng, lat: c.lat, zoom: map.getZoom() } : null,
    coverage: state.coverage,
  };
}

/** The page's own URL for its current state. */
export function pageUrl() {
  const query = stateToQuery(pageState(), { defaultK: NEAREST_K });
  return `${location.origin}${location.pathname}${query ? `?${query}` : ''}`;
}

/**
 * Writes the state into the address bar: `push` a new history entry (a new search or filter),
 * or `replace` the current one (the map moved, a provider was selected). Nothing changes
 * when the URL is already the same.
 * @param {'push'|'replace'} mode
 */
export function recordState(mode = 'push') {
  if (!recording) return;
  const url = pageUrl();
  if (url === location.href) return;
  if (mode === 'push') history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/** 「リンクをコピー」: the page's URL to the clipboard (or, without clipboard access, selected to copy). */
export async function copyLink() {
  recordState('replace');
  const url = location.href;
  try {
    await navigator.clipboard.writeText(url);
    setStatus('この検索のリンクをコピーしました。');
  } catch (error) {
    console.warn('clipboard unavailable', error);
    // Plain http on a LAN has no clipboard API: show the link to copy by hand.
    showError(`リンクをコピーできませんでした。次のアドレスをコピーしてください：${url}`);
  }
}
