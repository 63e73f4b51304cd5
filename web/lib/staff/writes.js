// The editor's writes: save (PUT, or POST for 「新規登録」), 受入可否 in one tap (PATCH
// vacancy: the server stamps when it was confirmed), delete,
// restore and revert, one at a time; and what a failed write shows (a 401 signs out, a 422
// marks the fields, a 412 offers to re-apply one's changes).

import { ApiError } from '../shared/api.js';
import { acceptingLabel } from '../shared/vacancy.js';
import { staffJson, staffRequest } from './api.js';
import { hideConflict, showConflict } from './conflict.js';
import { readValues, showStatus, writeValues } from './editor-form.js';
import { showFieldErrors } from './form-fields.js';
import { changedKeys, featureFromValues, reapply } from './form-values.js';
import { loadHistory } from './history.js';
import { state, ui } from './page-state.js';
import { loadMarkers } from './provider-map.js';
import { showProvider } from './selected.js';
import { signOut } from './session.js';

/** Registers the new provider; the server answers 201 with its id. */
async function create() {
  if (state.busy) return;
  state.busy = true;
  ui.editor.setAttribute('aria-busy', 'true');
  try {
    const { data, etag } = await staffRequest('POST', '/api/admin/providers', {
      token: state.token,
      body: featureFromValues(null, readValues()),
    });
    showProvider(data, etag);
    showStatus(`新規登録しました（ID ${data.id}）。公開地図にすぐ表示されます。`);
    await Promise.all([loadHistory(), loadMarkers()]);
  } catch (error) {
    handleError(error);
  } finally {
    state.busy = false;
    ui.editor.removeAttribute('aria-busy');
  }
}

/** Shows a failed request: 401 signs out, 422 marks the fields, 412 offers the choice, others say why in the status line; anything but an ApiError is rethrown. */
export function handleError(error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 401) {
    signOut(error.userMessage);
    return;
  }
  if (error.status === 422) {
    showFieldErrors(ui.form, ui.formError, error.problem?.invalid_params);
    showStatus(error.userMessage, 'error');
    return;
  }
  if (error.status === 412 && error.problem?.current) {
    showConflict(error.problem);
    return;
  }
  showStatus(error.userMessage, 'error');
}

/** Runs one write; on success shows the new version and `done` text. */
export async function write(method, path, body, done, send = staffRequest) {
  if (state.busy || !state.selected || state.selected.isNew) return;
  state.busy = true;
  ui.editor.setAttribute('aria-busy', 'true');
  try {
    const { data, etag } = await send(method, path, { token: state.token, etag: state.selected.etag, body });
    hideConflict();
    showProvider(data, etag);
    showStatus(`${done}（版 ${data.properties.version}）`);
    await Promise.all([loadHistory(), loadMarkers()]);
  } catch (error) {
    handleError(error);
  } finally {
    state.busy = false;
    ui.editor.removeAttribute('aria-busy');
  }
}

/** The selected provider's admin API path, with `suffix` (e.g. `/history`). */
export function providerPath(suffix = '') {
  return `/api/admin/providers/${encodeURIComponent(state.selected.id)}${suffix}`;
}

/** Saves the form: PUT for a stored provider, POST for a new one. */
export function save(done = '保存しました') {
  if (state.selected?.isNew) return create();
  return write('PUT', providerPath(), featureFromValues(state.selected.id, readValues()), done);
}

/**
 * 受入可否 in one tap: `PATCH …/vacancy` with the state ('yes', 'consult', 'no'), or with
 * nothing for 「変わりなし（確認）」 (''); the server stamps the time it was confirmed.
 * Other edits in the form stay in it, unsaved, on top of the version the server answers.
 */
export async function setAccepting(accepting) {
  if (!state.selected || state.selected.isNew) return;
  const base = state.selected.values;
  const mine = readValues();
  const body = accepting ? { accepting } : {};
  const done = accepting ? `${acceptingLabel(accepting)}（いま確認）として保存しました` : '変わりなしとして確認しました';
  await write('PATCH', providerPath('/vacancy'), body, done, staffJson);
  if (state.selected.values !== base && changedKeys(base, mine).length > 0) {
    writeValues(reapply(state.selected.values, base, mine).values);
  }
}
