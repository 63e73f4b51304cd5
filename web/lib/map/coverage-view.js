// The 「地域の状況」 view of the map page: switching between it and the provider search, its
// conditions (preset, mesh, population column, colouring; choices from /api/coverage/presets),
// loading /api/coverage and /api/coverage/summary, the CSV link and printing. The drawing is
// in coverage-render.js, the classes and URLs in coverage-classes.js. The view is
// `state.coverage` (null while searching providers); page-url writes it to the address.

import { ApiError, isAbort } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import { MESSAGES, getJson } from './api.js';
import { COLORS, DEFAULT_POPULATION, MESHES, MESH_LABELS, coverageUrl, formatMetres } from './coverage-classes.js';
import { drawSquares, renderLegend, renderSquares, renderSummary } from './coverage-render.js';
import { clearError, setStatus, showError } from './messages.js';
import { layers, map, state } from './page-state.js';

const $ = (id) => document.getElementById(id);

const ui = {
  providersButton: $('view-providers'),
  coverageButton: $('view-coverage'),
  searchPanel: document.querySelector('.panel:not(.coverage-controls)'),
  results: $('results-section'),
  legend: $('legend'),
  controls: $('coverage-controls'),
  coverageLegend: $('coverage-legend'),
  report: $('coverage-report'),
  heading: $('coverage-heading'),
  preset: $('coverage-preset'),
  mesh: $('coverage-mesh'),
  population: $('coverage-population'),
  colors: [...document.querySelectorAll('input[name="coverage-color"]')],
  csv: $('coverage-csv'),
  print: $('coverage-print'),
  conditions: $('coverage-conditions'),
  sample: $('coverage-sample'),
  skipLinks: [...document.querySelectorAll('.skip-link')],
};

/** /api/coverage/presets, fetched once. */
let presetsRequest = null;
/** The last data shown, to recolour without asking again. */
let shown = null;
let squares = null;
let controller = null;
/** The conditions last used, so 「地域の状況」 reopens as it was left. */
let remembered = null;

function presets() {
  presetsRequest ??= getJson('/api/coverage/presets').then(fillChoices, (error) => {
    presetsRequest = null;
    throw error;
  });
  return presetsRequest;
}

/** A readable label of a population column (the census's are full-width). */
const columnLabel = (column) => (column?.label ?? column?.code ?? '').normalize('NFKC').replace(/\s+/g, ' ').trim();

function fillChoices(answer) {
  replaceChildren(ui.preset, ...(answer.presets ?? []).map((p) => h('option', { value: p.id }, p.label)));
  replaceChildren(ui.population, ...(answer.population ?? []).map((c) => h('option', { value: c.code }, columnLabel(c))));
  return answer;
}

/** The view asked for, with ids the server does not know replaced by the defaults. */
function settle(wanted, answer) {
  const presetIds = (answer.presets ?? []).map((p) => p.id);
  const codes = (answer.population ?? []).map((c) => c.code);
  const fallbackColumn = codes.includes(DEFAULT_POPULATION) ? DEFAULT_POPULATION : codes[0] ?? '';
  return {
    preset: presetIds.includes(wanted?.preset) ? wanted.preset : presetIds[0] ?? '',
    mesh: MESHES.includes(wanted?.mesh) ? wanted.mesh : '500m',
    population: codes.includes(wanted?.population) ? wanted.population : fallbackColumn,
    color: COLORS.includes(wanted?.color) ? wanted.color : 'distance',
  };
}

function syncControls(view) {
  ui.preset.value = view.preset;
  ui.mesh.value = view.mesh;
  ui.population.value = view.population;
  for (const radio of ui.colors) radio.checked = radio.value === view.color;
}

/** Shows either the provider search (false) or 地域の状況 (true) around the shared map. */
function setMode(coverage) {
  document.body.classList.toggle('is-coverage', coverage);
  ui.providersButton.setAttribute('aria-pressed', String(!coverage));
  ui.coverageButton.setAttribute('aria-pressed', String(coverage));
  ui.searchPanel.hidden = coverage;
  ui.results.hidden = coverage;
  ui.legend.hidden = coverage;
  ui.controls.hidden = !coverage;
  ui.coverageLegend.hidden = !coverage;
  ui.report.hidden = !coverage;
  for (const link of ui.skipLinks) link.setAttribute('href', coverage ? '#coverage-heading' : '#results-heading');
  map?.invalidateSize({ debounceMoveend: true });
}

/**
 * Opens 「地域の状況」 with these conditions (unknown or missing ones get the defaults) and
 * draws it; resolves once drawn (or failed, with the error shown).
 * @param {null | {preset?: string, mesh?: string, population?: string, color?: string}} wanted
 */
export async function showCoverage(wanted = remembered) {
  const first = !state.coverage;
  setMode(true);
  let answer;
  try {
    answer = await presets();
  } catch (error) {
    console.error(error);
    showError(error instanceof ApiError ? error.userMessage : MESSAGES.network);
    return;
  }
  state.coverage = settle(wanted, answer);
  syncControls(state.coverage);
  await load({ fit: first });
}

/** Back to the provider search: the grid leaves the map. */
export function hideCoverage() {
  if (!state.coverage && !document.body.classList.contains('is-coverage')) return;
  controller?.abort();
  remembered = state.coverage ?? remembered;
  state.coverage = null;
  map?.closePopup();
  removeLayer();
  setMode(false);
}

function removeLayer() {
  layers.coverage?.remove();
  layers.coverage = null;
}

/** A condition changed on the page: the new view, then draw it (colour alone needs no request). */
export async function changeCoverage(change) {
  const before = state.coverage;
  state.coverage = { ...before, ...change };
  const refetch = ['preset', 'mesh', 'population'].some((k) => state.coverage[k] !== before[k]);
  if (refetch) await load({ fit: false });
  else draw();
}

async function load({ fit }) {
  const view = state.coverage;
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  ui.report.setAttribute('aria-busy', 'true');
  setStatus('地域の状況を読み込んでいます…', { busy: true });
  ui.csv.href = coverageUrl('/api/coverage', view, { csv: true });
  ui.csv.download = csvFileName(view);
  try {
    const [collection, summary] = await Promise.all([
      getJson(coverageUrl('/api/coverage', view), { signal }),
      getJson(coverageUrl('/api/coverage/summary', view), { signal }),
    ]);
    if (state.coverage !== view) return;
    squares = collection;
    shown = summary;
    clearError();
    draw();
    if (fit && layers.coverage?.getBounds().isValid()) map.fitBounds(layers.coverage.getBounds(), { padding: [8, 8] });
    setStatus(`${(collection.features ?? []).length.toLocaleString('ja-JP')}区画の地域の状況を表示しました。`);
  } catch (error) {
    if (isAbort(error)) return;
    console.error(error);
    setStatus('');
    showError(error instanceof ApiError ? error.userMessage : MESSAGES.network);
  } finally {
    if (state.coverage === view) ui.report.removeAttribute('aria-busy');
  }
}

/** Draws the loaded data with the current colouring: map, legend, tables and conditions. */
function draw() {
  if (!squares || !shown || !state.coverage) return;
  const { color, mesh } = state.coverage;
  const populationLabel = columnLabel(squares.population) || '人口';
  const thresholdM = squares.threshold_m;
  removeLayer();
  const { layer, bounds, kinds } = drawSquares(map, squares, { color, labels: state.labels, populationLabel });
  layers.coverage = layer;
  // District outlines stay readable above the squares.
  layers.allDistricts?.bringToFront();
  renderLegend({ color, bounds, kinds, thresholdM, populationLabel });
  renderSummary(shown);
  renderSquares(squares, { labels: state.labels, populationLabel, meshLabel: MESH_LABELS[mesh] });
  const presetLabel = ui.preset.selectedOptions[0]?.textContent ?? '';
  ui.conditions.textContent = `${presetLabel}／基準 ${formatMetres(thresholdM)}／${MESH_LABELS[mesh]}メッシュ／人口：${populationLabel}`;
  ui.sample.hidden = !/^sample/i.test(squares.population?.source ?? '');
}

function csvFileName(view) {
  const day = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Tokyo' });
  return `caremap_地域の状況_${view.preset}_${view.mesh}_${day}.csv`;
}

/**
 * Wires the view's controls. `record` writes the address bar (page-url's recordState).
 * @param {{record: (mode: 'push'|'replace') => void}} hooks
 */
export function wireCoverage({ record }) {
  ui.coverageButton.addEventListener('click', async () => {
    if (state.coverage) return;
    const opening = showCoverage();
    // The address follows as soon as the conditions are settled (before the squares arrive).
    await presets().catch(() => null);
    if (state.coverage) record('push');
    await opening;
  });
  ui.providersButton.addEventListener('click', () => {
    if (!state.coverage) return;
    hideCoverage();
    record('push');
  });
  const changed = (change) => {
    changeCoverage(change);
    record('push');
  };
  ui.preset.addEventListener('change', () => changed({ preset: ui.preset.value }));
  ui.mesh.addEventListener('change', () => changed({ mesh: ui.mesh.value }));
  ui.population.addEventListener('change', () => changed({ population: ui.population.value }));
  for (const radio of ui.colors) radio.addEventListener('change', () => radio.checked && changed({ color: radio.value }));
  ui.print.addEventListener('click', () => window.print());
}
