// The API requests of the current search: one per filter family, as GET URLs or (for a
// drawn area) a POST body; the same requests with `f=csv` build the CSV download.

import { families } from './filters.js';
import { state } from './page-state.js';
import { urlWith } from './query.js';

/** Most providers one list shows (district, drawn area, name). */
const LIST_LIMIT = 1000;
/** Most rows of a CSV download (the API's largest limit). */
const CSV_LIMIT = 10000;

/** Requests of the current search, one per filter family. */
export function searchRequests(format = null) {
  const s = state.search;
  const fmt = format ? { f: format } : {};
  return families().map((f) => {
    switch (s.type) {
      case 'near':
        return { url: urlWith('/api/providers/nearest', { lon: s.lon, lat: s.lat, k: s.k, ...f, ...fmt }) };
      case 'district':
        return { url: urlWith('/api/providers', { district: s.id, ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }) };
      case 'polygon':
        return { url: urlWith('/api/providers/search', { ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }), body: s.polygon };
      case 'bbox':
        return { url: urlWith('/api/providers', { bbox: s.bbox.join(','), ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }) };
      default:
        return { url: urlWith('/api/providers', { ...f, limit: format ? CSV_LIMIT : LIST_LIMIT, ...fmt }) };
    }
  });
}
