// The staff page: sign in with a token (kept in sessionStorage only), find a provider by
// name or on the map, edit it with errors shown next to each field, drag its pin to fix the
// location, set 受入可否 with today's date in one tap, see the history and revert, and
// recover from a 412 by re-applying one's changes to the latest version, register a new
// provider (「新規登録」: the same form, placed by tapping the map or dragging the pin; the
// server assigns its id), and import the official open-data files (check the changes first,
// then commit), issue 「事業所アカウント」 (a provider's own sign-in, with a printed letter) and
// list whose 空き状況 to ask about (「空き状況の確認」, with a CSV).
// Every data value reaches the page as text (dom.js `h` and textContent), never as HTML.
//
// This file loads the reference data, wires the controls and starts the page; the parts live
// in lib/staff/: page-state (elements, state), session (sign in and out), search and
// provider-map (finding providers), selected (the provider being edited), editor-form (the
// status line and the form; form-fields builds it, form-values is its plain-data logic),
// writes, conflict (412), history, imports, population (the e-Stat population layer),
// provider-accounts and letter (事業所アカウント), reminders (空き状況の確認); api is the staff
// API over lib/shared/api.js.

import { publicJson, tokenStore } from './lib/staff/api.js';
import { resolveConflict } from './lib/staff/conflict.js';
import { useFields } from './lib/staff/form-values.js';
import { clearErrors, showStatus, updateDirty, writeValues } from './lib/staff/editor-form.js';
import { buildFields } from './lib/staff/form-fields.js';
import { fillPositionFromAddress } from './lib/staff/geocode-field.js';
import { setUpCenters } from './lib/staff/centers.js';
import { setUpImports } from './lib/staff/imports.js';
import { useStaleRule } from './lib/staff/letter.js';
import { loadAccounts, setUpProviderAccounts } from './lib/staff/provider-accounts.js';
import { loadReminders, setUpReminders } from './lib/staff/reminders.js';
import { setUpPopulationImport } from './lib/staff/population.js';
import { state, ui } from './lib/staff/page-state.js';
import { loadMarkers, movePinFromInputs, placePin } from './lib/staff/provider-map.js';
import { search } from './lib/staff/search.js';
import { selectProvider, startNew } from './lib/staff/selected.js';
import { signIn, signOut, whenSignedIn } from './lib/staff/session.js';
import { providerPath, save, setAccepting, write } from './lib/staff/writes.js';

/** The provider's fields (labels, types, the form's inputs), declared once on the server. */
async function loadFields() {
  try {
    useFields(await publicJson('/api/fields'));
  } catch {
    showStatus('項目の一覧を読み込めませんでした。ページを再読み込みしてください。', 'error');
  }
}

async function loadServices() {
  try {
    const data = await publicJson('/api/services');
    state.serviceLabels = new Map(data.services.map((s) => [s.code, s.label]));
    state.serviceGroups = data.groups.filter((g) => g.services.length);
  } catch {
    state.serviceGroups = [];
  }
}

function wire() {
  ui.signinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.tokenInput.value.trim();
    ui.tokenInput.value = '';
    if (token) signIn(token);
  });
  ui.signout.addEventListener('click', () => signOut());
  ui.newButton.addEventListener('click', startNew);
  ui.searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = ui.searchQ.value.trim();
    if (q) search(q);
  });
  ui.searchResults.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-id]');
    if (button) selectProvider(button.dataset.id);
  });
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  // 「住所で位置を探す」, also on Enter in its box (which must not save the form).
  ui.form.addEventListener('click', (event) => {
    if (event.target.closest('#geocode-button')) fillPositionFromAddress();
  });
  ui.form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target.name === 'geocode-q') {
      event.preventDefault();
      fillPositionFromAddress();
    }
  });
  ui.form.addEventListener('input', (event) => {
    if (event.target.name === 'lon' || event.target.name === 'lat') movePinFromInputs();
    updateDirty();
  });
  ui.form.addEventListener('change', updateDirty);
  ui.reset.addEventListener('click', () => {
    if (!state.selected) return;
    if (state.selected.isNew) {
      startNew();
      showStatus('入力を取り消しました。', 'info');
      return;
    }
    clearErrors();
    writeValues(state.selected.values);
    placePin(state.selected.feature.geometry.coordinates, Boolean(state.selected.feature.properties.deleted_at));
    showStatus('編集を取り消しました。', 'info');
  });
  for (const button of [ui.acceptYes, ui.acceptConsult, ui.acceptNo, ui.acceptConfirm]) {
    button.addEventListener('click', () => setAccepting(button.dataset.accepting));
  }
  ui.del.addEventListener('click', () => {
    ui.delConfirm.hidden = false;
    ui.delNo.focus();
  });
  ui.delNo.addEventListener('click', () => {
    ui.delConfirm.hidden = true;
    ui.del.focus();
  });
  ui.delYes.addEventListener('click', () => write('DELETE', providerPath(), null, '削除しました'));
  ui.restore.addEventListener('click', () => write('POST', providerPath('/restore'), null, '復元しました'));
  ui.history.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-revert]');
    if (!button) return;
    const version = Number(button.dataset.revert);
    write('POST', providerPath('/revert'), { version }, `版 ${version} の内容に戻しました`);
  });
  ui.conflictReapply.addEventListener('click', () => resolveConflict(true));
  ui.conflictDiscard.addEventListener('click', () => resolveConflict(false));
}

/** The stale rule (`/api/about` `stale_after_days`), said in the letter. */
async function loadAbout() {
  try {
    useStaleRule((await publicJson('/api/about')).stale_after_days);
  } catch {
    // Only the letter's sentence about it is left out.
  }
}

async function start() {
  wire();
  setUpProviderAccounts();
  setUpReminders();
  const centers = setUpCenters({ token: () => state.token });
  whenSignedIn(() => Promise.all([loadAccounts(), loadReminders(), centers.load()]));
  setUpImports({
    token: () => state.token,
    onCommitted: loadMarkers,
    onLayerCommitted: centers.load,
    serviceLabels: () => state.serviceLabels,
  });
  setUpPopulationImport({ token: () => state.token });
  await Promise.all([loadFields(), loadServices(), loadAbout()]);
  buildFields(ui.form, ui.fields, { serviceGroups: state.serviceGroups, serviceLabels: state.serviceLabels });
  const token = tokenStore.get();
  if (token) await signIn(token);
  else signOut();
}

start();
