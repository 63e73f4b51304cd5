// The filters that apply to browsing and to every search: the chosen service chips,
// 受入可のみ and the name text. Turns them into API parameter families and into words.

import { state, ui } from './page-state.js';
import { filterFamilies } from './query.js';

export function chosenGroups() {
  return state.groups.filter((g) => state.chosen.has(g.id));
}

/** The parameter sets of the current filters (one request each; see query.js). */
export function families() {
  return filterFamilies(chosenGroups(), { accepting: state.accepting ? 'true' : '', q: state.q });
}

/** Brings the chips' pressed state, the chosen count and the clear button in step with the state. */
export function syncFilterControls() {
  for (const chip of ui.chips.querySelectorAll('.chip')) {
    chip.setAttribute('aria-pressed', String(state.chosen.has(chip.dataset.group)));
  }
  const count = state.chosen.size;
  ui.filtersCount.hidden = count === 0;
  ui.filtersCount.textContent = count ? `${count}件選択中` : '';
  ui.clearChips.hidden = count === 0;
}

/** The filters in words, for summaries and the printed list ('' when none). */
export function conditionsText() {
  const parts = chosenGroups().map((g) => g.label);
  if (state.accepting) parts.push('受入可のみ');
  if (state.q) parts.push(`「${state.q}」`);
  return parts.join('・');
}
