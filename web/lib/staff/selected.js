// The provider being edited: showing one as loaded from the server (or with re-applied edits),
// opening one by id, and 「新規登録」's empty form, placed by a tap on the map.

import { replaceChildren } from '../shared/dom.js';
import { confirmedAt, confirmedText, vacancyBadge, vacancyDetails } from '../shared/vacancy.js';
import { staffRequest } from './api.js';
import { hideConflict } from './conflict.js';
import { clearErrors, showStatus, writeValues } from './editor-form.js';
import { emptyValues, formatTime, valuesFromFeature } from './form-values.js';
import { loadHistory } from './history.js';
import { state, ui } from './page-state.js';
import { placePin } from './provider-map.js';
import { handleError } from './writes.js';

/** 「受入可（11/28確認）・最終確認 11月28日 14:05」, as the map page says it and when. */
function acceptingText(p) {
  const confirmed = confirmedAt(p);
  const when = confirmed ? `・最終確認 ${confirmedText(confirmed)}` : '';
  return `${vacancyBadge(p).text}${when}`;
}

/** Shows or hides what only a stored provider has (quick 受入可否, delete, history). */
function showStoredParts(stored) {
  ui.quick.hidden = !stored;
  ui.danger.hidden = !stored;
  ui.historySection.hidden = !stored;
  ui.newHint.hidden = stored;
  ui.save.textContent = stored ? '保存' : '登録';
}

/** Shows a provider as loaded from the server; `values` overrides the form (re-applied edits). */
export function showProvider(feature, etag, values = null) {
  const p = feature.properties;
  state.selected = { id: String(feature.id), etag, feature, values: valuesFromFeature(feature), isNew: false };
  ui.editorEmpty.hidden = true;
  ui.editor.hidden = false;
  showStoredParts(true);
  ui.title.textContent = p.name || '（名称なし）';
  ui.meta.textContent = `ID ${feature.id}・版 ${p.version}・最終更新 ${formatTime(p.updated_at)}（${p.updated_by ?? ''}）`;
  ui.acceptCurrent.textContent = acceptingText(p);
  const details = vacancyDetails(p);
  ui.acceptDetails.textContent = details.join('・');
  ui.acceptDetails.hidden = details.length === 0;
  const deleted = Boolean(p.deleted_at);
  ui.deleted.hidden = !deleted;
  ui.deletedText.textContent = deleted ? `この事業所は削除されています（${formatTime(p.deleted_at)}）。公開地図には表示されません。` : '';
  for (const el of [ui.save, ui.acceptYes, ui.acceptConsult, ui.acceptNo, ui.acceptConfirm, ui.del]) el.disabled = deleted;
  ui.delConfirm.hidden = true;
  ui.del.hidden = deleted;
  clearErrors();
  writeValues(values ?? state.selected.values);
  placePin(feature.geometry.coordinates, deleted);
}

/** 「新規登録」: the empty form; the position comes from a tap on the map or the pin. */
export function startNew() {
  hideConflict();
  showStatus('');
  state.selected = { id: null, etag: null, feature: null, values: emptyValues(), isNew: true };
  ui.editorEmpty.hidden = true;
  ui.editor.hidden = false;
  showStoredParts(false);
  ui.title.textContent = '新規登録';
  ui.meta.textContent = 'IDは登録時に自動で付きます。';
  ui.deleted.hidden = true;
  ui.save.disabled = false;
  replaceChildren(ui.history);
  clearErrors();
  writeValues(state.selected.values);
  state.pin?.remove();
  state.pin = null;
  ui.form.elements.name.focus();
}

/** Opens a stored provider by id in the editor, with its history. */
export async function selectProvider(id) {
  hideConflict();
  showStatus('');
  try {
    const { data, etag } = await staffRequest('GET', `/api/admin/providers/${encodeURIComponent(id)}`, { token: state.token });
    showProvider(data, etag);
    await loadHistory();
  } catch (error) {
    handleError(error);
  }
}
