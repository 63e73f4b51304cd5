// The provider's history: every version with who, when and what changed, the current one
// marked, and a button to revert to each earlier one (rendered as text, never as HTML).

import { h, replaceChildren } from '../shared/dom.js';
import { staffRequest } from './api.js';
import { actionLabel, changeText, formatTime } from './form-values.js';
import { state, ui } from './page-state.js';
import { handleError, providerPath } from './writes.js';

function changeItem(change) {
  return h('li', { class: 'change' }, changeText(change, state.serviceLabels));
}

/** Who made a version, as people read it (「初期データ」 rather than `data`). */
const authorName = (v) => v.changed_by_name ?? v.changed_by;

/** Loads and shows the selected provider's versions (nothing for a new one). */
export async function loadHistory() {
  if (!state.selected || state.selected.isNew) return;
  const { id } = state.selected;
  const current = state.selected.feature.properties.version;
  try {
    const { data } = await staffRequest('GET', providerPath('/history'), { token: state.token });
    if (state.selected?.id !== id) return;
    const latest = data.versions[0];
    if (latest?.version === current) {
      const p = state.selected.feature.properties;
      ui.meta.textContent = `ID ${id}・版 ${p.version}・最終更新 ${formatTime(p.updated_at)}（${authorName(latest)}）`;
    }
    const items = data.versions.map((v) =>
      h(
        'li',
        { class: 'version', 'data-version': v.version },
        h(
          'p',
          { class: 'version__head' },
          h('strong', {}, `版 ${v.version}`),
          ` ${actionLabel(v.action)}・${formatTime(v.changed_at)}・`,
          h('span', { class: 'version__who' }, authorName(v)),
          v.version === current ? h('span', { class: 'badge' }, '現在') : null,
        ),
        v.changes.length ? h('ul', { class: 'changes' }, v.changes.map(changeItem)) : h('p', { class: 'hint' }, '項目の変更なし'),
        v.version !== current && !state.selected.feature.properties.deleted_at
          ? h('button', { type: 'button', class: 'button button--small revert', 'data-revert': v.version }, `版 ${v.version} の内容に戻す`)
          : null,
      ),
    );
    replaceChildren(ui.history, ...items);
  } catch (error) {
    handleError(error);
  }
}
