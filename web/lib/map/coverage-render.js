// 「地域の状況」 on the page: the grid squares as a Leaflet choropleth with a popup per square,
// its legend, the per-district summary table with its total row and the table of squares for
// keyboard and screen-reader users. Every figure is written as text (dom.js), never as HTML.

import { h, replaceChildren } from '../shared/dom.js';
import {
  COLOR_LABELS,
  NONE_COLOR,
  WITHIN_COLOR,
  classBounds,
  colouredValue,
  formatMetres,
  formatPeople,
  formatShare,
  legendClasses,
  squareStyle,
} from './coverage-classes.js';

const L = window.L;
const $ = (id) => document.getElementById(id);

/** The district's name for a square ('—' outside every district). */
function districtName(id, labels) {
  return id ? labels.districts.get(String(id)) ?? String(id) : '—';
}

/** A square's popup: its figures in Japanese, as text. */
function squarePopup(p, { labels, populationLabel, thresholdM }) {
  const row = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  return h(
    'div',
    { class: 'coverage-popup' },
    h('p', { class: 'coverage-popup__title' }, `メッシュ ${p.mesh_code}`),
    h(
      'dl',
      { class: 'coverage-popup__figures' },
      row('圏域', districtName(p.district, labels)),
      row('最寄りまでの距離', formatMetres(p.nearest_m)),
      row(`${formatMetres(thresholdM)}以内の事業所`, `${p.count_within}か所`),
      row(populationLabel || '人口', formatPeople(p.population)),
      p.count_within === 0 ? row('状況', '圏外（基準の距離以内に事業所なし）') : null,
    ),
  );
}

/**
 * Draws the squares on the map, coloured by `color`, and returns the layer and the legend's
 * class bounds.
 * @param {L.Map} map
 * @param {object} collection the API's FeatureCollection
 * @param {{color: 'distance'|'beyond', labels: object, populationLabel: string}} options
 */
export function drawSquares(map, collection, { color, labels, populationLabel }) {
  const thresholdM = collection.threshold_m;
  const features = collection.features ?? [];
  const values = features.map((f) => colouredValue(f.properties, color)).filter((v) => v !== null);
  const bounds = classBounds(color, values, thresholdM);
  const layer = L.geoJSON(collection, {
    // A click on a square opens its popup; it must not also pick a place for the provider search.
    bubblingMouseEvents: false,
    style: (feature) => {
      const s = squareStyle(feature.properties, color, bounds);
      return {
        className: `coverage-cell coverage-cell--${s.kind}`,
        fillColor: s.fill,
        fillOpacity: s.kind === 'within' || s.kind === 'empty' ? 0.35 : 0.72,
        color: s.kind === 'none' ? '#222222' : '#ffffff',
        dashArray: s.kind === 'none' ? '3 3' : null,
        weight: 0.7,
        opacity: 0.9,
      };
    },
    onEachFeature: (feature, path) => {
      path.bindPopup(() => squarePopup(feature.properties, { labels, populationLabel, thresholdM }));
    },
  }).addTo(map);
  const kinds = new Set(features.map((f) => squareStyle(f.properties, color, bounds).kind));
  return { layer, bounds, kinds };
}

/** The legend: the classes with their bounds in numbers, then the squares drawn apart. */
export function renderLegend({ color, bounds, kinds, thresholdM, populationLabel }) {
  $('coverage-legend-title').textContent =
    color === 'distance' ? `${COLOR_LABELS.distance}` : `${COLOR_LABELS.beyond}（${populationLabel}）`;
  const item = (swatch, label, extra = '') => {
    const mark = h('span', { class: 'coverage-legend__swatch', 'aria-hidden': 'true' });
    // Through the CSSOM: the page's CSP forbids style attributes.
    mark.style.backgroundColor = swatch;
    return h('li', { class: `coverage-legend__item ${extra}`.trim() }, mark, label);
  };
  const classes = legendClasses(color, bounds).map((c) => item(c.color, c.label));
  const extras = [];
  if (color === 'beyond') {
    extras.push(item(WITHIN_COLOR, `${formatMetres(thresholdM)}以内に事業所あり・人口なし`));
  }
  if (kinds.has('none')) extras.push(item(NONE_COLOR, '該当する事業所がない', 'coverage-legend__item--none'));
  replaceChildren($('coverage-legend-items'), ...classes, ...extras);
}

/** The per-district summary table, with the city's total as its last row. */
export function renderSummary(summary) {
  const cells = (d) => [
    h('td', { class: 'num' }, formatPeople(d.population)),
    h('td', { class: 'num' }, formatPeople(d.population_beyond)),
    h('td', { class: 'num' }, formatShare(d.share_beyond)),
    h('td', { class: 'num' }, `${d.cells_without.toLocaleString('ja-JP')}`),
  ];
  replaceChildren(
    $('coverage-summary-rows'),
    ...(summary.districts ?? []).map((d) => h('tr', { 'data-district': d.district }, h('th', { scope: 'row' }, d.name), cells(d))),
  );
  const total = summary.total;
  replaceChildren($('coverage-summary-total'), total ? h('tr', {}, h('th', { scope: 'row' }, total.name || '合計'), cells(total)) : null);
}

/** The table of squares (the choropleth's content for keyboard and screen-reader users). */
export function renderSquares(collection, { labels, populationLabel, meshLabel }) {
  const features = collection.features ?? [];
  $('coverage-squares-caption').textContent =
    `メッシュごとの状況（${meshLabel}メッシュ ${features.length.toLocaleString('ja-JP')}区画、人口は${populationLabel}）`;
  replaceChildren(
    $('coverage-squares-rows'),
    ...features.map(({ properties: p }) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, p.mesh_code),
        h('td', {}, districtName(p.district, labels)),
        h('td', { class: 'num' }, formatMetres(p.nearest_m)),
        h('td', { class: 'num' }, `${p.count_within}`),
        h('td', { class: 'num' }, formatPeople(p.population)),
      ),
    ),
  );
}
