// The editor's status line and its form: reading and writing the values, clearing errors, and
// the notice that there are unsaved changes.

import { clearFieldErrors, readForm, updateChosenServices, writeForm } from './form-fields.js';
import { VACANCY_KEPT, changedKeys } from './form-values.js';
import { state, ui } from './page-state.js';

/** Sets the editor's status line (`kind`: ok, info or error); empty text hides it. */
export function showStatus(text, kind = 'ok') {
  ui.status.textContent = text;
  ui.status.className = `message message--${kind}`;
  ui.status.hidden = !text;
}

/** The form's values, with the vacancy details it has no input for as loaded. */
export function readValues() {
  const loaded = state.selected?.values ?? {};
  const kept = Object.fromEntries(VACANCY_KEPT.filter((k) => k in loaded).map((k) => [k, loaded[k]]));
  return { ...kept, ...readForm(ui.form) };
}
export const clearErrors = () => clearFieldErrors(ui.form, ui.formError);

/** Fills the form with `values`. */
export function writeValues(values) {
  writeForm(ui.form, values, state.serviceLabels);
  // The address box and its answer belonged to the provider shown before.
  ui.form.elements['geocode-q'].value = '';
  document.getElementById('geocode-status').hidden = true;
  updateDirty();
}

/** Shows the unsaved-changes notice when the form differs from the provider as loaded. */
export function updateDirty() {
  updateChosenServices(ui.form, state.serviceLabels);
  ui.dirty.hidden =
    !state.selected || state.selected.isNew || changedKeys(state.selected.values, readValues()).length === 0;
}
