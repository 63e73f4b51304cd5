// 「この住所の地域包括支援センター」: the first card of a search from an address, from
// /api/community-centers/for?address=… — name, address and a phone link, and the API's note
// when the centre is only the nearest one. Shown only for an address search.

import { isAbort } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import { getJson } from './api.js';
import { telHref } from './format.js';
import { state, ui } from './page-state.js';
import { urlWith } from './query.js';

/** The address the card shows (or is loading), so reruns of the same search do not reload it. */
let shownFor = null;
let controller = null;

/** Shows the card for the current search's address, or hides it. */
export function updateCenterCard() {
  const address = state.search?.type === 'near' ? state.search.address ?? null : null;
  if (address === shownFor) return;
  shownFor = address;
  controller?.abort();
  controller = null;
  ui.centerCard.hidden = true;
  ui.centerCard.replaceChildren();
  if (!address) return;
  const mine = new AbortController();
  controller = mine;
  getJson(urlWith('/api/community-centers/for', { address }), { signal: mine.signal })
    .then((feature) => {
      if (controller !== mine) return;
      render(feature.properties ?? {});
    })
    .catch((error) => {
      if (isAbort(error) || controller !== mine) return;
      // The list is still useful without the card; say why it is missing.
      console.warn('community centre lookup failed', error);
      render(null);
    });
}

function render(p) {
  const heading = h('h3', { id: 'center-card-heading', class: 'center-card__heading' }, 'この住所の地域包括支援センター');
  if (!p) {
    ui.centerCard.replaceChildren(heading, h('p', { class: 'center-card__note' }, '担当の地域包括支援センターを調べられませんでした。市役所にお問い合わせください。'));
    ui.centerCard.hidden = false;
    return;
  }
  const tel = telHref(p.phone);
  replaceChildren(
    ui.centerCard,
    heading,
    h('p', { class: 'center-card__lead' }, '介護や福祉の困りごとを最初に相談できる窓口です。'),
    h('p', { class: 'center-card__name' }, p.name ?? ''),
    p.address ? h('p', { class: 'center-card__address' }, p.address) : null,
    tel ? h('a', { class: 'button button--small center-card__tel', href: tel }, `電話 ${p.phone}`) : null,
    p.note ? h('p', { class: 'center-card__note' }, p.note) : null,
    p.sample ? h('p', { class: 'center-card__sample' }, 'サンプルデータ：架空のセンターです。') : null,
  );
  ui.centerCard.hidden = false;
}
