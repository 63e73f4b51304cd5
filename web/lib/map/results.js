// The results section: its heading and summary while browsing and for a search, the list in
// the chosen order, 「さらに表示」, the notes (truncated, outside the city) and the printed
// table; and the link between list items and markers (show on map, highlight the chosen one),
// and moving focus to the list.

import { h } from '../shared/dom.js';
import { updateCsvLink } from './csv-download.js';
import { conditionsText } from './filters.js';
import { inAnyFeature } from './geo.js';
import { setStatus } from './messages.js';
import { updateCenterCard } from './center-card.js';
import { DESKTOP_QUERY, NEAREST_K, NEAREST_K_MAX, map, markers, originName, state, ui } from './page-state.js';
import { printRow, resultItem } from './render.js';
import { sortFeatures } from './sort.js';

function searchTitle() {
  const s = state.search;
  switch (s?.type) {
    case 'near':
      return `${originName(s)}から近い順`;
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

/** The section while browsing: no list, the hint, and the count of providers in view. */
export function renderBrowse() {
  ui.resultsHeading.textContent = '事業所の一覧';
  ui.resultsSummary.textContent = '';
  ui.resultsTools.hidden = true;
  ui.list.replaceChildren();
  ui.list.hidden = true;
  ui.empty.hidden = false;
  ui.more.hidden = true;
  ui.note.hidden = true;
  ui.sortField.hidden = true;
  ui.printRows.replaceChildren();
  updateCenterCard();
  renderBrowseCount();
}

export function renderBrowseCount() {
  if (state.search) return;
  const count = markers?.visibleCount ?? 0;
  const conditions = conditionsText();
  ui.resultsSummary.textContent = `地図の範囲に${count}件の事業所があります${conditions ? `（条件：${conditions}）` : ''}`;
}

/**
 * Puts the results in the chosen order. A nearest search keeps its order (nearest first, as
 * numbered on the map); other lists default to 五十音 order (kana).
 */
export function orderResults() {
  if (!state.search || state.search.type === 'near') return;
  const c = map?.getCenter();
  state.results = sortFeatures(state.results, state.sort, { center: c ? [c.lng, c.lat] : undefined });
}

/** Notes above the list: a shortened list, a place outside every district. */
function notes(truncated) {
  const s = state.search;
  const out = [];
  if (truncated) {
    out.push(`該当する${state.matched}件のうち、先頭の${state.results.length}件を表示しています。すべてはCSVでダウンロードできます。`);
  }
  if (s.type === 'near' && state.districts?.features?.length && !inAnyFeature([s.lon, s.lat], state.districts)) {
    out.push(`${originName(s)}は市の区域（日常生活圏域）の外です。近い順でも遠い事業所が含まれます。`);
  }
  return out;
}

/** Whether the list on screen was cut short (kept for re-sorting it). */
let lastTruncated = false;

/** The same results again, in the order now chosen. */
export function rerenderResults() {
  if (!state.search) return;
  orderResults();
  renderResults({ truncated: lastTruncated });
  if (state.selected) highlightListItem(state.selected);
}

/** The section for the current search's results. */
export function renderResults({ truncated }) {
  lastTruncated = truncated;
  const s = state.search;
  const near = s.type === 'near';
  const n = state.results.length;
  const conditions = conditionsText();
  ui.resultsHeading.textContent = searchTitle();
  ui.resultsSummary.textContent = `${n}件${conditions ? `・条件：${conditions}` : ''}`;
  ui.empty.hidden = true;
  ui.list.hidden = false;
  ui.resultsTools.hidden = false;
  // Nothing to download or print from an empty list.
  ui.csv.hidden = n === 0;
  ui.print.hidden = n === 0;
  ui.sortField.hidden = near || n < 2;
  ui.sort.value = state.sort;
  ui.list.replaceChildren(
    ...state.results.map((f, i) => resultItem(f, i, state.labels, { ranked: near })),
  );
  if (n === 0) {
    // 受入可のみ leaves out confirmations older than the server's rule: say how to see them.
    const stale = state.accepting && !state.includeStale ? '確認が古い「受入可」は除いています（「古い情報も含める」で表示できます）。' : '';
    ui.list.appendChild(
      h('li', { class: 'result result--none' }, `条件に合う事業所が見つかりませんでした。${stale}条件を減らすか、場所を変えてお試しください。`),
    );
  }
  ui.more.hidden = !(near && n === s.k && s.k < NEAREST_K_MAX);
  ui.more.textContent = `さらに${Math.min(NEAREST_K, NEAREST_K_MAX - s.k)}件表示`;
  const lines = notes(truncated);
  ui.note.hidden = lines.length === 0;
  ui.note.textContent = lines.join(' ');
  renderPrint();
  updateCsvLink();
  updateCenterCard();
}

export function announceResults() {
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

export function moveFocusToList() {
  ui.list.focus({ preventScroll: true });
  if (window.matchMedia(DESKTOP_QUERY).matches) {
    ui.list.closest('.results').scrollTop = 0;
  } else {
    // On a phone, show the map with the results' markers and the top of the list below it.
    ui.mapSection.scrollIntoView({ block: 'start' });
  }
}

export function showOnMap(id) {
  if (!window.matchMedia(DESKTOP_QUERY).matches) ui.mapSection.scrollIntoView({ block: 'start', behavior: 'smooth' });
  markers.focus(id);
  highlightListItem(id);
}

export function highlightListItem(id) {
  state.selected = id == null ? null : String(id);
  for (const li of ui.list.querySelectorAll('.result.is-selected')) li.classList.remove('is-selected');
  const li = [...ui.list.children].find((el) => el.dataset.id === String(id));
  if (!li) return;
  li.classList.add('is-selected');
  if (window.matchMedia(DESKTOP_QUERY).matches) li.scrollIntoView({ block: 'nearest' });
}
