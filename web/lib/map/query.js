// Pure query building for the map page: turning the chosen chips and toggles into API query
// parameters, and the bbox bookkeeping of viewport loading. No DOM, no Leaflet.

/**
 * The filter parameter sets ("families") that together express the chosen service chips.
 *
 * Every chip carries the query parameters it stands for (`group.filter` from /api/services).
 * Chips whose filter is only a `service` list merge into one family by the union of their
 * lists, since the API already reads `service=` as "offers any of these". A chip with any
 * other key (e.g. 在宅医療 → `home_care=true`) is a family of its own, because the API ANDs
 * different keys, and a family choosing 訪問系 and 在宅医療 means "either", not "both".
 * The page runs one request per family and merges the results by provider id.
 *
 * `common` (e.g. `{accepting: 'true', q: 'さくら'}`) is added to every family. With no chip
 * chosen there is exactly one family: `common` alone.
 *
 * @param {{id: string, filter: Record<string,string>}[]} groups the chosen chips, in page order
 * @param {Record<string,string>} common parameters every request carries
 * @returns {Record<string,string>[]}
 */
export function filterFamilies(groups, common = {}) {
  const serviceCodes = [];
  const others = [];
  for (const group of groups) {
    const filter = group.filter ?? {};
    const keys = Object.keys(filter);
    if (keys.length === 1 && keys[0] === 'service') {
      for (const code of splitList(filter.service)) {
        if (!serviceCodes.includes(code)) serviceCodes.push(code);
      }
    } else if (keys.length > 0) {
      others.push({ ...filter });
    }
  }
  const families = [];
  if (serviceCodes.length > 0) families.push({ service: serviceCodes.join(',') });
  families.push(...others);
  if (families.length === 0) families.push({});
  const seen = new Set();
  const out = [];
  for (const family of families) {
    const params = { ...family, ...dropEmpty(common) };
    const key = paramsKey(params);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(params);
    }
  }
  return out;
}

function splitList(value) {
  return String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function dropEmpty(params) {
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') out[k] = String(v);
  }
  return out;
}

/**
 * A canonical string for a parameter set (keys sorted), to compare filter states.
 * @param {Record<string,string>} params
 * @returns {string}
 */
export function paramsKey(params) {
  return Object.keys(params)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
    .join('&');
}

/**
 * A URL path with query parameters, empty values left out.
 * @param {string} path e.g. `/api/providers`
 * @param {Record<string,string|number>} params
 * @returns {string}
 */
export function urlWith(path, params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') search.append(k, String(v));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * A bbox `[minLon, minLat, maxLon, maxLat]` rounded outward to 6 decimals (about 0.1 m), so
 * the query string stays short and the box still covers what was asked for.
 * @param {number[]} bbox
 * @returns {number[]}
 */
export function roundBboxOutward(bbox) {
  const f = 1e6;
  return [
    Math.floor(bbox[0] * f) / f,
    Math.floor(bbox[1] * f) / f,
    Math.ceil(bbox[2] * f) / f,
    Math.ceil(bbox[3] * f) / f,
  ];
}

/**
 * Whether bbox `inner` lies inside bbox `outer` (both `[minLon, minLat, maxLon, maxLat]`).
 * @param {number[]|null} outer
 * @param {number[]} inner
 * @returns {boolean}
 */
export function bboxContains(outer, inner) {
  if (!outer) return false;
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/**
 * Clamps a bbox to valid WGS84 ranges (a zoomed-out map can show longitudes beyond ±180).
 * @param {number[]} bbox
 * @returns {number[]}
 */
export function clampBbox(bbox) {
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(bbox[0], -180, 180), clamp(bbox[1], -90, 90), clamp(bbox[2], -180, 180), clamp(bbox[3], -90, 90)];
}

/**
 * Merges the results of several family requests into one list without duplicates.
 * With `byDistance`, the union is sorted by `properties.distance_m` and cut to `limit`
 * (the k nearest of a union are among the k nearest of each part); otherwise the order is
 * the first request's, then each further request's new providers.
 * @param {object[][]} lists arrays of GeoJSON features
 * @param {{byDistance?: boolean, limit?: number}} options
 * @returns {object[]}
 */
export function mergeFeatures(lists, { byDistance = false, limit = Infinity } = {}) {
  const seen = new Set();
  const merged = [];
  for (const list of lists) {
    for (const feature of list) {
      const id = String(feature.id);
      if (seen.has(id)) continue;
      seen.add(id);
      merged.push(feature);
    }
  }
  if (byDistance) {
    merged.sort((a, b) => (a.properties.distance_m ?? Infinity) - (b.properties.distance_m ?? Infinity));
  }
  return merged.slice(0, limit);
}
