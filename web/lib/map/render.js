// DOM for providers: the result list item, the map popup, and the printed table row.
// Everything from provider data goes in as text (see dom.js); links get only vetted URLs.

import { h } from '../shared/dom.js';
import {
  badgesFor,
  formatDistance,
  formatWalking,
  homeCareActivities,
  serviceLabels,
  telHref,
} from './format.js';
import { confirmedAt, confirmedText, vacancyDetails } from '../shared/vacancy.js';

/**
 * Labels the page learns from the server once: services, kinds, districts.
 * @typedef {{services: Map<string,string>, kinds: Map<string,string>, districts: Map<string,string>}} Labels
 */

/**
 * A link target from data, only when it is a plain http(s) URL (never `javascript:` etc.).
 * @param {string|null|undefined} url
 * @returns {string|null}
 */
export function safeHttpUrl(url) {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function kindAndDistrict(p, labels) {
  const parts = [labels.kinds.get(p.kind) ?? p.kind];
  const district = p.district ? labels.districts.get(p.district) : null;
  if (district) parts.push(`${district}圏域`);
  return parts.join('・');
}

function badgeList(p) {
  const badges = badgesFor(p);
  return h(
    'ul',
    { class: 'badges', 'aria-label': '受入・対応状況' },
    badges.map((b) =>
      h('li', { class: `badge badge--${b.tone}` }, b.text),
    ),
  );
}

/** 「空き2人・火・木の午後なら可」 under the badges, or null. */
function vacancyLine(p) {
  const details = vacancyDetails(p);
  if (details.length === 0) return null;
  return h('p', { class: 'vacancy' }, h('span', { class: 'visually-hidden' }, '空き状況：'), details.join('・'));
}

/** When 受入可否 was last confirmed, as the popup and the printed table say it. */
function confirmedLine(p) {
  const confirmed = confirmedAt(p);
  return confirmed ? confirmedText(confirmed) : '';
}

function distanceBlock(p) {
  if (!Number.isFinite(p.distance_m)) return null;
  const walk = formatWalking(p.distance_m);
  return h(
    'p',
    { class: 'distance' },
    h('span', { class: 'distance__value' }, formatDistance(p.distance_m)),
    walk ? [' ', h('span', { class: 'distance__walk' }, walk)] : null,
  );
}

function phoneLink(p, className) {
  const href = telHref(p.phone);
  if (!href) return null;
  return h(
    'p',
    { class: className },
    h('a', { class: 'tel-link', href }, h('span', { class: 'tel-link__label' }, '電話'), ' ', p.phone),
  );
}

function servicesLine(p, labels) {
  const names = serviceLabels(p.services, labels.services);
  const activities = homeCareActivities(p);
  const all = [...names, ...activities];
  if (all.length === 0) return null;
  return h('p', { class: 'services' }, h('span', { class: 'visually-hidden' }, 'サービス：'), all.join('、'));
}

/**
 * One list item of the result list.
 * @param {object} feature GeoJSON provider feature
 * @param {number} index 0-based position in the list
 * @param {Labels} labels
 * @param {{ranked: boolean}} options ranked: show the number drawn on the map marker
 * @returns {HTMLLIElement}
 */
export function resultItem(feature, index, labels, { ranked }) {
  const p = feature.properties;
  const nameId = `result-${index}-name`;
  return h(
    'li',
    { class: 'result', 'data-id': feature.id },
    h(
      'article',
      { class: `result__card kind--${p.kind}${ranked ? ' result__card--ranked' : ''}`, 'aria-labelledby': nameId },
      h(
        'div',
        { class: 'result__head' },
        ranked ? h('span', { class: 'result__rank', 'aria-hidden': 'true' }, String(index + 1)) : null,
        h(
          'h3',
          { class: 'result__name' },
          h(
            'button',
            { type: 'button', class: 'result__show', 'data-action': 'show', 'data-id': feature.id },
            h('span', { id: nameId }, p.name),
            h('span', { class: 'visually-hidden' }, '（地図で表示）'),
          ),
        ),
        distanceBlock(p),
      ),
      h('div', { class: 'result__info' }, h('p', { class: 'result__meta' }, kindAndDistrict(p, labels)), badgeList(p)),
      vacancyLine(p),
      servicesLine(p, labels),
      p.address ? h('p', { class: 'address' }, h('span', { class: 'visually-hidden' }, '住所：'), p.address) : null,
      phoneLink(p, 'phone'),
    ),
  );
}

/**
 * The content of a marker's popup.
 * @param {object} feature
 * @param {Labels} labels
 * @returns {HTMLElement}
 */
export function popupContent(feature, labels) {
  const p = feature.properties;
  const url = safeHttpUrl(p.url);
  const facts = [];
  if (p.open_days) facts.push(['営業日', p.open_days]);
  if (Number.isFinite(p.capacity) && p.capacity > 0) facts.push(['定員', `${p.capacity}人`]);
  const confirmed = confirmedLine(p);
  if (confirmed) facts.push(['受入状況の確認日', confirmed]);
  if (p.official_code) facts.push(['事業所番号', p.official_code]);
  return h(
    'div',
    { class: 'popup' },
    h('p', { class: 'popup__kind' }, kindAndDistrict(p, labels)),
    h('h3', { class: 'popup__name' }, p.name),
    distanceBlock(p),
    badgeList(p),
    vacancyLine(p),
    servicesLine(p, labels),
    p.address ? h('p', { class: 'address' }, p.address) : null,
    phoneLink(p, 'phone'),
    facts.length
      ? h(
          'dl',
          { class: 'popup__facts' },
          facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
        )
      : null,
    url ? h('p', {}, h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, 'ホームページ')) : null,
    p.notes ? h('p', { class: 'popup__notes' }, p.notes) : null,
  );
}

/**
 * One row of the printed table.
 * @param {object} feature
 * @param {number} index
 * @param {Labels} labels
 * @returns {HTMLTableRowElement}
 */
export function printRow(feature, index, labels) {
  const p = feature.properties;
  const walk = Number.isFinite(p.distance_m) ? formatWalking(p.distance_m) : '';
  const distance = Number.isFinite(p.distance_m) ? `${formatDistance(p.distance_m)}${walk ? `（${walk}）` : ''}` : '';
  const details = [];
  const confirmed = confirmedLine(p);
  if (confirmed) details.push(`受入確認日 ${confirmed}`);
  details.push(...vacancyDetails(p));
  if (Number.isFinite(p.capacity) && p.capacity > 0) details.push(`定員 ${p.capacity}人`);
  if (p.open_days) details.push(`営業日 ${p.open_days}`);
  const badges = badgesFor(p)
    .filter((b) => b.tone !== 'unknown')
    .map((b) => b.text)
    .join('・');
  return h(
    'tr',
    {},
    h('td', { class: 'num' }, String(index + 1)),
    h('td', {}, h('span', { class: 'print-name' }, p.name), h('br'), h('span', { class: 'print-kind' }, kindAndDistrict(p, labels))),
    h('td', {}, [...serviceLabels(p.services, labels.services), ...homeCareActivities(p)].join('、')),
    h('td', {}, p.address ?? ''),
    h('td', { class: 'nowrap' }, p.phone ?? ''),
    h('td', { class: 'nowrap' }, distance),
    h('td', {}, badges),
    h('td', {}, details.flatMap((d, i) => (i ? [h('br'), d] : [d]))),
  );
}
