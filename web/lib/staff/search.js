// Finding a provider by name or address: up to 50 matches as buttons that open it.

import { h, replaceChildren } from '../shared/dom.js';
import { publicJson } from './api.js';
import { ui } from './page-state.js';

/** Lists the providers whose name or address matches `q`. */
export async function search(q) {
  ui.searchStatus.textContent = '検索しています…';
  try {
    const data = await publicJson(`/api/providers?q=${encodeURIComponent(q)}&limit=50`);
    const items = data.features.map((f) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'result', 'data-id': f.id },
          h('span', { class: 'result__name' }, f.properties.name),
          h('span', { class: 'result__address' }, f.properties.address ?? ''),
        ),
      ),
    );
    replaceChildren(ui.searchResults, ...items);
    ui.searchStatus.textContent =
      data.numberMatched > items.length ? `${data.numberMatched}件中${items.length}件を表示しています。` : `${items.length}件見つかりました。`;
  } catch {
    ui.searchStatus.textContent = '検索できませんでした。時間をおいて再度お試しください。';
  }
}
