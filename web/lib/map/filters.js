// The filters that apply to browsing and to every search: the chosen service chips, one
// service chosen on its own, 受入可のみ (leaving out stale confirmations unless 「古い情報も
// 含める」), 24時間対応, 在宅医療 and the name text. Turns them
// into API parameter families, into words, and into the state of their controls (the text
// condition is shown as a chip that removes it).

import { h } from '../shared/dom.js';
import { state, ui } from './page-state.js';
import { filterFamilies } from './query.js';

/** Whether a chip stands for service codes only (the kind a single service replaces). */
export function isServiceGroup(group) {
  const keys = Object.keys(group.filter ?? {});
  return keys.length === 1 && keys[0] === 'service';
}

export function chosenGroups() {
  return state.groups.filter((g) => state.chosen.has(g.id));
}

/** The parameter sets of the current filters (one request each; see query.js). */
export function families() {
  const groups = chosenGroups();
  if (state.service) groups.push({ id: `service-${state.service}`, filter: { service: state.service } });
  return filterFamilies(groups, {
    accepting: state.accepting ? 'yes' : '',
    accepting_stale: state.accepting && !state.includeStale ? 'false' : '',
    available_24h: state.available24h ? 'true' : '',
    home_care: state.homeCare ? 'true' : '',
    q: state.q,
  });
}

/** Chooses one service on its own: it replaces the service chips (a home-medical chip stays). */
export function chooseService(code) {
  state.service = code;
  if (code) for (const g of state.groups) if (isServiceGroup(g)) state.chosen.delete(g.id);
}

/** Presses or releases a chip; a service chip replaces a service chosen on its own. */
export function toggleGroup(id) {
  if (state.chosen.has(id)) {
    state.chosen.delete(id);
    return;
  }
  state.chosen.add(id);
  const group = state.groups.find((g) => g.id === id);
  if (group && isServiceGroup(group)) state.service = '';
}

/** Brings every filter control (chips, select, toggles, text box and chip) in step with the state. */
export function syncFilterControls() {
  for (const chip of ui.chips.querySelectorAll('.chip')) {
    chip.setAttribute('aria-pressed', String(state.chosen.has(chip.dataset.group)));
  }
  const count = state.chosen.size + (state.service ? 1 : 0) + (state.available24h ? 1 : 0) + (state.homeCare ? 1 : 0);
  ui.filtersCount.hidden = count === 0;
  ui.filtersCount.textContent = count ? `${count}件選択中` : '';
  ui.clearChips.hidden = state.chosen.size === 0;
  ui.service.value = state.service;
  ui.accepting.checked = state.accepting;
  ui.includeStale.checked = state.includeStale;
  ui.includeStale.disabled = !state.accepting;
  ui.available24h.checked = state.available24h;
  ui.homeCare.checked = state.homeCare;
  if (document.activeElement !== ui.q) ui.q.value = state.q;
  ui.textCondition.hidden = !state.q;
  ui.textCondition.replaceChildren(
    ...(state.q
      ? [
          h('span', { class: 'text-condition__label' }, `「${state.q}」で絞り込み中`),
          h('button', { type: 'button', class: 'text-condition__remove', 'data-action': 'remove-text', 'aria-label': `「${state.q}」の条件を外す` }),
        ]
      : []),
  );
}

/** The filters in words, for summaries and the printed list ('' when none). */
export function conditionsText() {
  const parts = chosenGroups().map((g) => g.label);
  if (state.service) parts.push(state.labels.services.get(state.service) ?? state.service);
  if (state.accepting) parts.push(state.includeStale ? '受入可のみ（古い情報も含む）' : '受入可のみ');
  if (state.available24h) parts.push('24時間対応');
  if (state.homeCare) parts.push('在宅療養支援診療所など');
  if (state.q) parts.push(`「${state.q}」`);
  return parts.join('・');
}
