// 「地域の状況」 without the DOM: the API URLs of a coverage view, the classes of the choropleth
// (a colour-blind-safe viridis ramp, light = near / few, dark = far / many) with their legend
// labels, and the Japanese figures of the tables. Run under Node by units.test.js.

import { urlWith } from './query.js';

/** Viridis in five steps (light to dark), readable with every common colour-vision deficiency. */
export const PALETTE = ['#fde725', '#5ec962', '#21918c', '#3b528b', '#440154'];
/** Squares where no matching provider exists at all, and squares within reach (圏外の人口). */
export const NONE_COLOR = '#8a8a8a';
export const WITHIN_COLOR = '#f4f4f4';

export const MESHES = ['250m', '500m', '1km'];
export const MESH_LABELS = { '250m': '250 m', '500m': '500 m', '1km': '1 km' };
/** What the squares are coloured by: `distance` (nearest_m) or `beyond` (people with nobody in reach). */
export const COLORS = ['distance', 'beyond'];
export const COLOR_LABELS = { distance: '最寄りまでの距離', beyond: '圏外の人口' };
/** The population column shown first: residents aged 65 and over. */
export const DEFAULT_POPULATION = 'T001141019';

/**
 * The query of a coverage view for the API (`f=csv` for the download).
 * @param {{preset: string, mesh: string, population: string}} view
 * @param {{csv?: boolean}} options
 */
export function coverageUrl(path, view, { csv = false } = {}) {
  return urlWith(path, { preset: view.preset, mesh: view.mesh, population: view.population, f: csv ? 'csv' : '' });
}

const group = (n) => Math.round(n).toLocaleString('ja-JP');

/** Metres as the tables and legend write them: 「1,250 m」. */
export function formatMetres(m) {
  return Number.isFinite(m) ? `${group(m)} m` : '該当なし';
}

/** People: 「1,234人」, or 「—」 when the square has no population figure. */
export function formatPeople(n) {
  return Number.isFinite(n) ? `${group(n)}人` : '—';
}

/** A share 0…1 as 「3.7%」. */
export function formatShare(share) {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : '—';
}

/** Round mantissas of population class bounds: fine enough to split a small city's squares. */
const NICE_STEPS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** Rounds up to a NICE_STEPS multiple of a power of ten (never below 1). */
export function niceCeil(value) {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of NICE_STEPS) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

/**
 * Class bounds (upper limits, ascending, at most PALETTE.length - 1) for the squares' values.
 * Distances use the threshold: a quarter, half, the threshold itself and twice it, so the two
 * dark classes are exactly the squares beyond reach. Populations use rounded quintiles.
 * @param {'distance'|'beyond'} color
 * @param {number[]} values the coloured values (distances, or people beyond reach)
 * @param {number} thresholdM
 * @returns {number[]}
 */
export function classBounds(color, values, thresholdM) {
  if (color === 'distance') return [thresholdM / 4, thresholdM / 2, thresholdM, thresholdM * 2];
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const bounds = [];
  for (let i = 1; i < PALETTE.length; i += 1) {
    const q = sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * i) / PALETTE.length))];
    const nice = niceCeil(q);
    if (nice < sorted[sorted.length - 1] && !bounds.includes(nice)) bounds.push(nice);
  }
  return bounds;
}

/** The class of a value: the first bound it does not exceed (bounds.length when above all). */
export function classOf(value, bounds) {
  const i = bounds.findIndex((b) => value <= b);
  return i === -1 ? bounds.length : i;
}

/** The colour of class `i` of `count` classes, spread over the whole palette. */
export function classColor(i, count) {
  if (count <= 1) return PALETTE[PALETTE.length - 1];
  return PALETTE[Math.round((i * (PALETTE.length - 1)) / (count - 1))];
}

/**
 * The legend's entries for these bounds: 「〜500 m」 … 「4,000 m超」 (or 人).
 * @returns {{label: string, color: string}[]}
 */
export function legendClasses(color, bounds) {
  const unit = color === 'distance' ? formatMetres : formatPeople;
  const count = bounds.length + 1;
  return Array.from({ length: count }, (_, i) => ({
    label: i < bounds.length ? `〜${unit(bounds[i])}` : bounds.length ? `${unit(bounds[bounds.length - 1])}超` : `1人以上`,
    color: classColor(i, count),
  }));
}

/**
 * How one square is drawn: its fill and the kind of square (`none`: no matching provider
 * anywhere, `within`: someone in reach while colouring by 圏外の人口, `class`: a palette class).
 * @param {{nearest_m: number|null, count_within: number, population: number|null}} p
 */
export function squareStyle(p, color, bounds) {
  const count = bounds.length + 1;
  if (color === 'distance') {
    if (!Number.isFinite(p.nearest_m)) return { kind: 'none', fill: NONE_COLOR };
    return { kind: 'class', fill: classColor(classOf(p.nearest_m, bounds), count) };
  }
  if (p.count_within > 0) return { kind: 'within', fill: WITHIN_COLOR };
  if (!(p.population > 0)) return { kind: 'empty', fill: WITHIN_COLOR };
  return { kind: Number.isFinite(p.nearest_m) ? 'class' : 'none', fill: classColor(classOf(p.population, bounds), count) };
}

/** The value a square is coloured by (null when it takes no palette class). */
export function colouredValue(p, color) {
  if (color === 'distance') return Number.isFinite(p.nearest_m) ? p.nearest_m : null;
  return p.count_within === 0 && p.population > 0 ? p.population : null;
}
