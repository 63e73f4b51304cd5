// The map page's shared state: the page's elements, the search and filter state, the map
// layers the page adds, the Leaflet objects made at start, and the limits several parts use.

/** Results of a nearest search, and the step of 「さらに表示」. */
export const NEAREST_K = 20;
/** The API's largest k. */
export const NEAREST_K_MAX = 100;
/** The layout switches from phone (one column) to desktop (list beside map) here. */
export const DESKTOP_QUERY = '(min-width: 60em)';

const $ = (id) => document.getElementById(id);

export const ui = {
  sampleNotice: $('sample-notice'),
  locate: $('locate-button'),
  locateLabel: $('locate-label'),
  here: $('here-button'),
  draw: $('draw-button'),
  nameForm: $('name-form'),
  q: $('q'),
  suggestions: $('q-suggestions'),
  textCondition: $('text-condition'),
  district: $('district'),
  accepting: $('accepting'),
  includeStale: $('include-stale'),
  staleHint: $('stale-hint'),
  service: $('service'),
  available24h: $('available-24h'),
  homeCare: $('home-care'),
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
  copyLink: $('copy-link'),
  csv: $('csv-link'),
  print: $('print-button'),
  clearSearch: $('clear-search'),
  status: $('status'),
  error: $('error'),
  errorText: $('error-text'),
  errorClose: $('error-close'),
  sortField: $('sort-field'),
  sort: $('sort'),
  note: $('results-note'),
  centerCard: $('center-card'),
  list: $('results'),
  empty: $('results-empty'),
  more: $('more-button'),
  listView: $('list-view-button'),
  datasetInfo: $('dataset-info'),
  printConditions: $('print-conditions'),
  printSample: $('print-sample'),
  printRows: $('print-rows'),
};

export const state = {
  /** @type {import('./render.js').Labels} */
  labels: { services: new Map(), kinds: new Map(), districts: new Map() },
  /** Chip groups from /api/services, in page order. */
  groups: [],
  /** Ids of the chosen chips. */
  chosen: new Set(),
  /** One service code chosen on its own ('' when none). */
  service: '',
  accepting: false,
  /** With 受入可のみ: also the providers whose confirmation is old (「古い情報も含める」). */
  includeStale: false,
  available24h: false,
  homeCare: false,
  q: '',
  /** The order of district, area and text lists (see sort.js). */
  sort: 'kana',
  /** The provider last shown on the map from the list or its marker, or null. */
  selected: null,
  /** The districts as GeoJSON, to tell whether a place is inside the city. */
  districts: null,
  /**
   * The current search, or null while browsing.
   * @type {null | {type: 'near', lon: number, lat: number, origin: string, k: number, address?: string}
   *             | {type: 'district', id: string}
   *             | {type: 'polygon', polygon: object}
   *             | {type: 'bbox', bbox: number[]}
   *             | {type: 'text'}}
   */
  search: null,
  results: [],
  /** Providers matching the search before the list limit, or null when unknown. */
  matched: null,
  sample: false,
  /**
   * 「地域の状況」 while it is shown (coverage-view.js), else null.
   * @type {null | {preset: string, mesh: string, population: string, color: string}}
   */
  coverage: null,
};

/** What a nearest search starts from, as the page says it: 「現在地」 or the address in quotes. */
export function originName(search) {
  return search.address ? `「${search.address}」` : search.origin;
}

/** Layers the page adds to the map (besides the markers), by role; null when absent. */
export const layers = { district: null, area: null, origin: null, chosen: null, allDistricts: null, coverage: null };

export function removeLayer(name) {
  if (layers[name]) {
    layers[name].remove();
    layers[name] = null;
  }
}

// The Leaflet map, its markers and the polygon drawer: null until the page has started.
/** @type {L.Map} */
export let map = null;
/** @type {import('./markers.js').MarkerStore} */
export let markers = null;
/** @type {import('./draw.js').PolygonDrawer} */
export let drawer = null;

/** Records the Leaflet objects made at start; the exports above follow. */
export function attachMap(parts) {
  ({ map, markers, drawer } = parts);
}
