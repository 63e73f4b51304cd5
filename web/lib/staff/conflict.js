// A 412 (someone changed the provider meanwhile): who and when, then either the latest version
// as it is, or the latest with one's own changes re-applied, ready to save.

import { readValues, showStatus } from './editor-form.js';
import { formatTime, keyLabel, reapply, valuesFromFeature } from './form-values.js';
import { loadHistory } from './history.js';
import { state, ui } from './page-state.js';
import { showProvider } from './selected.js';

/** Shows who changed the provider meanwhile (the 412 answer) and keeps my values to re-apply. */
export function showConflict(problem) {
  const current = problem.current;
  state.conflict = { current, etag: `"${problem.current_version}"`, mine: readValues(), base: state.selected.values };
  const p = current.properties;
  ui.conflictText.textContent =
    `あなたが編集している間に、${p.updated_by ?? '別の職員'}さんがこの事業所を変更しました` +
    `（${formatTime(p.updated_at)}、版 ${p.version}）。あなたの変更はまだ保存されていません。`;
  ui.conflict.hidden = false;
  showStatus('');
  ui.conflictReapply.focus();
}

/** Hides the 412 notice and forgets its answer. */
export function hideConflict() {
  state.conflict = null;
  ui.conflict.hidden = true;
}

/** The 412 choice: the latest version as it is, or with my changes re-applied (`keepMine`). */
export function resolveConflict(keepMine) {
  const c = state.conflict;
  if (!c) return;
  hideConflict();
  if (!keepMine) {
    showProvider(c.current, c.etag);
    showStatus(`最新の内容（版 ${c.current.properties.version}）を読み込みました。`, 'info');
    loadHistory();
    return;
  }
  const { values, keys } = reapply(valuesFromFeature(c.current), c.base, c.mine);
  showProvider(c.current, c.etag, values);
  const labels = [...new Set(keys.map(keyLabel))].join('、');
  showStatus(
    `最新の内容（版 ${c.current.properties.version}）に、あなたの変更（${labels || 'なし'}）を反映しました。内容を確認して「保存」を押してください。`,
    'info',
  );
  loadHistory();
}
