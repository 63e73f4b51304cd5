// The page's state as the address bar's query string and back (no DOM): the search (place,
// district, drawn area, map area or text), the filters, the order, the selected provider and
// the map view. Names follow the API where they mean the same thing (service, district,
// accepting, available_24h, home_care, q, bbox; 「古い情報も含める」 is `include_stale`);
// values that do not parse are dropped.
// 「地域の状況」 is `view=coverage` with its own `preset`, `mesh`, `population` and `color`
// (the grid is fitted on arrival, so that view keeps no map position).

import { COLORS, MESHES } from './coverage-classes.js';
import { DEFAULT_SORT, SORT_ORDERS } from './sort.js';

/** The origins of a nearest search: the label the page shows ↔ the word in the URL. */
const ORIGINS = { 現在地: 'current', 選んだ場所: 'place', 地図の中心: 'center', 住所: 'address' };
const ORIGIN_LABELS = Object.fromEntries(Object.entries(ORIGINS).map(([label, word]) => [word, label]));

/**
 * @typedef {{
 *   search: null | {type: 'near', lon: number, lat: number, origin: string, k: number, address?: string}
 *     | {type: 'district', id: string} | {type: 'polygon', polygon: object}
 *     | {type: 'bbox', bbox: number[]} | {type: 'text'},
 *   groups: string[], service: string, accepting: boolean, includeStale: boolean, available24h: boolean,
 *   homeCare: boolean, q: string, sort: string, selected: string|null,
 *   view: null | {lon: number, lat: number, zoom: number},
 *   coverage?: null | {preset: string, mesh: string, population: string, color: string},
 * }} PageState
 */

const round = (v, digits) => Number(v.toFixed(digits));

/**
 * The query string of a page state (without `?`; '' for the bare page).
 * @param {PageState} s
 * @param {{defaultK: number}} options k is left out when it is the default
 * @returns {string}
 */
export function stateToQuery(s, { defaultK }) {
  const out = new URLSearchParams();
  if (s.coverage) {
    out.set('view', 'coverage');
    for (const name of ['preset', 'mesh', 'population', 'color']) {
      if (s.coverage[name]) out.set(name, s.coverage[name]);
    }
    return out.toString();
  }
  const search = s.search;
  switch (search?.type) {
    case 'near':
      out.set('near', `${round(search.lon, 6)},${round(search.lat, 6)}`);
      out.set('origin', ORIGINS[search.origin] ?? 'place');
      if (search.k !== defaultK) out.set('k', String(search.k));
      if (search.address) out.set('address', search.address);
      break;
    case 'district':
      out.set('district', search.id);
      break;
    case 'polygon': {
      const ring = search.polygon.coordinates[0].slice(0, -1);
      out.set('area', ring.map(([lon, lat]) => `${round(lon, 6)},${round(lat, 6)}`).join(','));
      break;
    }
    case 'bbox':
      out.set('bbox', search.bbox.map((v) => round(v, 6)).join(','));
      break;
    default:
      break;
  }
  if (s.service) out.set('service', s.service);
  if (s.groups.length) out.set('group', s.groups.join(','));
  if (s.accepting) out.set('accepting', 'true');
  if (s.accepting && s.includeStale) out.set('include_stale', 'true');
  if (s.available24h) out.set('available_24h', 'true');
  if (s.homeCare) out.set('home_care', 'true');
  if (s.q) out.set('q', s.q);
  if (s.sort && s.sort !== DEFAULT_SORT) out.set('sort', s.sort);
  if (s.selected) out.set('selected', s.selected);
  if (s.view) out.set('view', `${round(s.view.lon, 5)},${round(s.view.lat, 5)},${round(s.view.zoom, 1)}`);
  return out.toString();
}

/** The 地域の状況 a query asks for (unknown preset or column ids are checked by the page). */
function coverageFrom(params) {
  if (params.get('view') !== 'coverage') return null;
  const mesh = params.get('mesh');
  const color = params.get('color');
  return {
    preset: params.get('preset') ?? '',
    mesh: MESHES.includes(mesh) ? mesh : '500m',
    population: params.get('population') ?? '',
    color: COLORS.includes(color) ? color : 'distance',
  };
}

function numbers(raw, count) {
  if (typeof raw !== 'string') return null;
  const parts = raw.split(',');
  if (count && parts.length !== count) return null;
  const values = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  return values.every(Number.isFinite) ? values : null;
}

const isLonLat = (lon, lat) => lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90;

function searchFrom(params, { defaultK, maxK }) {
  const near = numbers(params.get('near'), 2);
  if (near && isLonLat(near[0], near[1])) {
    const k = Number(params.get('k'));
    const steps = Number.isInteger(k) && k >= defaultK && k <= maxK ? k : defaultK;
    const origin = ORIGIN_LABELS[params.get('origin')] ?? '選んだ場所';
    const search = { type: 'near', lon: near[0], lat: near[1], origin, k: steps };
    // The address a search started from (its point is `near`), for the heading and the 包括 card.
    const address = (params.get('address') ?? '').trim().slice(0, 200);
    if (origin === '住所' && address) search.address = address;
    return search;
  }
  const district = params.get('district');
  if (district) return { type: 'district', id: district };
  const area = numbers(params.get('area'));
  if (area && area.length >= 6 && area.length % 2 === 0) {
    const ring = [];
    for (let i = 0; i < area.length; i += 2) ring.push([area[i], area[i + 1]]);
    if (ring.every(([lon, lat]) => isLonLat(lon, lat))) {
      return { type: 'polygon', polygon: { type: 'Polygon', coordinates: [[...ring, ring[0]]] } };
    }
  }
  const bbox = numbers(params.get('bbox'), 4);
  if (bbox && isLonLat(bbox[0], bbox[1]) && isLonLat(bbox[2], bbox[3])) return { type: 'bbox', bbox };
  if (params.get('q')?.trim()) return { type: 'text' };
  return null;
}

/**
 * The page state a query string asks for.
 * @param {string|URLSearchParams} query
 * @param {{defaultK: number, maxK: number}} limits
 * @returns {PageState}
 */
export function queryToState(query, limits) {
  const params = query instanceof URLSearchParams ? query : new URLSearchParams(query);
  const view = numbers(params.get('view'), 3);
  const sort = params.get('sort');
  const service = params.get('service') ?? '';
  return {
    search: searchFrom(params, limits),
    groups: (params.get('group') ?? '').split(',').filter(Boolean),
    service: /^\d{1,4}$/.test(service) ? service : '',
    accepting: params.get('accepting') === 'true',
    includeStale: params.get('accepting') === 'true' && params.get('include_stale') === 'true',
    available24h: params.get('available_24h') === 'true',
    homeCare: params.get('home_care') === 'true',
    q: (params.get('q') ?? '').trim().slice(0, 200),
    sort: SORT_ORDERS.includes(sort) ? sort : DEFAULT_SORT,
    selected: params.get('selected') || null,
    view: view && isLonLat(view[0], view[1]) && view[2] >= 0 && view[2] <= 22 ? { lon: view[0], lat: view[1], zoom: view[2] } : null,
    coverage: coverageFrom(params),
  };
}
