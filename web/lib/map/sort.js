// The orders a list can be read in (no DOM): 五十音 (by kana, the default), by name, by
// distance from a point (the map centre), and recently confirmed 受入可否 first.

import { geodesicDistanceM } from './geo.js';

/** The orders the page offers, by the id used in the URL's `sort=`. */
export const SORT_ORDERS = ['kana', 'name', 'distance', 'confirmed'];
export const DEFAULT_SORT = 'kana';

const collator = new Intl.Collator('ja', { numeric: true });

function kanaOf(p) {
  return p.name_kana || p.name || '';
}

function byKana(a, b) {
  return (
    collator.compare(kanaOf(a.properties), kanaOf(b.properties)) ||
    collator.compare(a.properties.name ?? '', b.properties.name ?? '') ||
    String(a.id).localeCompare(String(b.id))
  );
}

/**
 * The features in `order` (a new array; the input is not changed). Ties fall back to kana.
 * @param {object[]} features GeoJSON provider features
 * @param {string} order one of SORT_ORDERS
 * @param {{center?: number[]}} options center: [lon, lat] for `distance`
 * @returns {object[]}
 */
export function sortFeatures(features, order, { center } = {}) {
  const list = [...features];
  switch (order) {
    case 'name':
      return list.sort((a, b) => collator.compare(a.properties.name ?? '', b.properties.name ?? '') || byKana(a, b));
    case 'distance': {
      if (!center) return list.sort(byKana);
      const distance = new Map(list.map((f) => [f, geodesicDistanceM(center, f.geometry.coordinates)]));
      return list.sort((a, b) => distance.get(a) - distance.get(b) || byKana(a, b));
    }
    case 'confirmed': {
      // Confirmation times (UTC) and the older dates sort as text; the unconfirmed go last.
      const key = (f) => f.properties.accepting_checked_at ?? f.properties.accepting_updated_at ?? '';
      return list.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : byKana(a, b)));
    }
    default:
      return list.sort(byKana);
  }
}
