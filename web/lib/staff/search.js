// Finding a provider by name or address: up to 50 matches as buttons that open it (the
// finder), or that add it to a new 事業所アカウント (provider-accounts.js).

import { h, replaceChildren } from '../shared/dom.js';
import { publicJson } from './api.js';
import { ui } from './page-state.js';

/**
 * Lists the providers whose name or address matches `q` in `list`, each a button carrying
 * `data-<attribute>` = its id, and says how many in `status`.
 * @param {string} q
 * @param {{list: HTMLElement, status: HTMLElement, attribute?: string}} where
 */
export async function findProviders(q, { list, status, attribute = 'id' }) {
  status.textContent = '検索しています…';
  try {
    const data = await publicJson(`/api/providers?q=${encodeURIComponent(q)}&limit=50`);
    const items = data.features.map((f) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'result', [`data-${attribute}`]: f.id, 'data-name': f.properties.name },
          h('span', { class: 'result__name' }, f.properties.name),
          h('span', { class: 'result__address' }, f.properties.address ?? ''),
        ),
      ),
    );
    replaceChildren(list, ...items);
    status.textContent =
      data.numberMatched > items.length ? `${data.numberMatched}件中${items.length}件を表示しています。` : `${items.length}件見つかりました。`;
  } catch {
    status.textContent = '検索できませんでした。時間をおいて再度お試しください。';
  }
}

/** The finder: lists the providers whose name or address matches `q`. */
export function search(q) {
  return findProviders(q, { list: ui.searchResults, status: ui.searchStatus });
}
