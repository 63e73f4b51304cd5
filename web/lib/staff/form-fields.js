// The staff edit form in the DOM: building its fields (every label and value as text),
// reading and writing form values, and showing the server's field errors next to each field.

import { h, replaceChildren } from '../shared/dom.js';
import { ACCEPTING_STATES } from '../shared/vacancy.js';
import { HOME_CARE_CLASSES, HOME_CARE_FLAGS, KINDS, TEXT_FIELDS, fieldMessage } from './form-values.js';

/**
 * Removes every field message and invalid mark.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} general where messages without a field go
 */
export function clearFieldErrors(form, general) {
  general.hidden = true;
  general.textContent = '';
  for (const el of form.querySelectorAll('.field-error')) {
    el.textContent = '';
    el.hidden = true;
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Shows each refused field's message (in Japanese) next to it, marks the control invalid and
 * focuses the first; fields without a place go to `general`.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} general
 * @param {{name: string, reason: string}[]} invalidParams from the problem+json answer
 */
export function showFieldErrors(form, general, invalidParams) {
  clearFieldErrors(form, general);
  const unplaced = [];
  let first = null;
  for (const p of invalidParams ?? []) {
    const slot = form.querySelector(`#err-${CSS.escape(p.name)}`);
    const message = fieldMessage(p.name, p.reason);
    if (!slot) {
      unplaced.push(message);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    slot.hidden = false;
    slot.closest('details')?.setAttribute('open', '');
    const control = form.querySelector(`[data-error-for="${CSS.escape(p.name)}"]`);
    control?.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  if (unplaced.length) {
    general.textContent = unplaced.join(' ');
    general.hidden = false;
  }
  first?.focus({ preventScroll: true });
  first?.scrollIntoView({ block: 'center' });
}

function errorSlot(name) {
  return h('p', { class: 'field-error', id: `err-${name}`, hidden: true });
}

function textField(f) {
  const id = `f-${f.name}`;
  const describedBy = [f.hint ? `hint-${f.name}` : null, `err-${f.name}`].filter(Boolean).join(' ');
  const attrs = {
    id,
    name: f.name,
    'data-error-for': f.name,
    'aria-describedby': describedBy,
    autocomplete: 'off',
    inputmode: f.inputmode,
    required: f.required,
  };
  const control = f.type === 'textarea' ? h('textarea', { ...attrs, rows: 3 }) : h('input', { ...attrs, type: f.type });
  return h(
    'div',
    { class: `field field--${f.name}` },
    h('label', { for: id, class: 'label' }, f.label, f.required ? h('span', { class: 'required' }, '必須') : null),
    control,
    f.hint ? h('p', { class: 'hint', id: `hint-${f.name}` }, f.hint) : null,
    errorSlot(f.name),
  );
}

/**
 * Builds the fields of the edit form inside `container`.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} container
 * @param {{serviceGroups: {label: string, services: string[]}[], serviceLabels: Map<string,string>}} services
 */
export function buildFields(form, container, { serviceGroups, serviceLabels }) {
  const kind = h(
    'div',
    { class: 'field field--kind' },
    h('label', { for: 'f-kind', class: 'label' }, '種別'),
    h(
      'select',
      { id: 'f-kind', name: 'kind', 'data-error-for': 'kind', 'aria-describedby': 'err-kind' },
      KINDS.map((k) => h('option', { value: k.id }, k.label)),
    ),
    errorSlot('kind'),
  );
  const services = h(
    'details',
    { id: 'services-box', class: 'field fieldset services' },
    h('summary', { class: 'label' }, 'サービス種別：', h('span', { id: 'services-chosen', class: 'services__chosen' })),
    serviceGroups.map((g) =>
      h(
        'div',
        { class: 'services__group' },
        h('p', { class: 'services__group-label' }, g.label),
        g.services.map((code) =>
          h(
            'label',
            { class: 'check' },
            h('input', { type: 'checkbox', name: 'services', value: code, 'data-error-for': 'services' }),
            `${serviceLabels.get(code) ?? code}（${code}）`,
          ),
        ),
      ),
    ),
    errorSlot('services'),
  );
  const accepting = h(
    'fieldset',
    { class: 'field fieldset accepting' },
    h('legend', { class: 'label' }, '受入可否'),
    h(
      'div',
      { class: 'pair' },
      h(
        'label',
        { class: 'pair__item' },
        '状態',
        h(
          'select',
          { id: 'f-accepting', name: 'accepting', 'data-error-for': 'accepting', 'aria-describedby': 'err-accepting' },
          h('option', { value: '' }, '不明'),
          ACCEPTING_STATES.map((s) => h('option', { value: s.id }, s.label)),
        ),
      ),
      h(
        'label',
        { class: 'pair__item' },
        '確認日',
        h('input', {
          id: 'f-accepting_updated_at',
          name: 'accepting_updated_at',
          type: 'date',
          'data-error-for': 'accepting_updated_at',
          'aria-describedby': 'err-accepting_updated_at',
        }),
      ),
    ),
    errorSlot('accepting'),
    errorSlot('accepting_updated_at'),
  );
  const location = h(
    'fieldset',
    { class: 'field fieldset location' },
    h('legend', { class: 'label' }, '位置（地図のピンをドラッグしても変更できます）'),
    h(
      'div',
      { class: 'pair' },
      h(
        'label',
        { class: 'pair__item' },
        '経度',
        h('input', { id: 'f-lon', name: 'lon', type: 'text', inputmode: 'decimal', 'data-error-for': 'geometry', 'aria-describedby': 'err-geometry' }),
      ),
      h(
        'label',
        { class: 'pair__item' },
        '緯度',
        h('input', { id: 'f-lat', name: 'lat', type: 'text', inputmode: 'decimal', 'aria-describedby': 'err-geometry' }),
      ),
    ),
    h(
      'div',
      { class: 'geocode' },
      h('label', { for: 'f-geocode-q', class: 'geocode__label' }, '住所から位置を入れる（空欄なら上の住所）'),
      h(
        'div',
        { class: 'geocode__row' },
        h('input', { id: 'f-geocode-q', name: 'geocode-q', type: 'text', maxlength: '200', autocomplete: 'off', placeholder: '例：南流山2丁目' }),
        h('button', { id: 'geocode-button', type: 'button', class: 'button' }, '住所で位置を探す'),
      ),
      h('p', { id: 'geocode-status', class: 'geocode__status message', role: 'status', hidden: true }),
    ),
    errorSlot('geometry'),
  );
  const homeCare = h(
    'fieldset',
    { id: 'home-care', class: 'field fieldset home-care', 'aria-describedby': 'err-home_care' },
    h('legend', { class: 'label' }, '在宅医療（診療所・病院）'),
    h(
      'label',
      { class: 'pair__item' },
      '在宅療養支援の届出',
      h(
        'select',
        { id: 'f-hc_class', name: 'hc_class', 'data-error-for': 'home_care' },
        HOME_CARE_CLASSES.map((c) => h('option', { value: c.id }, c.label)),
      ),
    ),
    h(
      'div',
      { class: 'checks' },
      HOME_CARE_FLAGS.map((f) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `hc_${f.id}` }), f.label)),
    ),
    errorSlot('home_care'),
  );
  const [nameField, kanaField, ...rest] = TEXT_FIELDS.map(textField);
  replaceChildren(container, nameField, kanaField, kind, ...rest, accepting, location, homeCare, services);
  form.elements.kind.addEventListener('change', () => syncHomeCare(form));
}

/** Shows the home-care fields only for clinics and hospitals. */
function syncHomeCare(form) {
  const kind = form.elements.kind.value;
  form.querySelector('#home-care').hidden = !(kind === 'clinic' || kind === 'hospital');
}

/**
 * The form's values (see form-values.js `valuesFromFeature`).
 * @param {HTMLFormElement} form
 */
export function readForm(form) {
  const els = form.elements;
  const values = {};
  for (const f of TEXT_FIELDS) values[f.name] = els[f.name].value;
  values.kind = els.kind.value;
  values.services = [...form.querySelectorAll('input[name="services"]:checked')].map((c) => c.value).sort();
  values.accepting = els.accepting.value;
  values.accepting_updated_at = els.accepting_updated_at.value;
  values.lon = els.lon.value;
  values.lat = els.lat.value;
  values.hc_class = els.hc_class.value;
  for (const f of HOME_CARE_FLAGS) values[`hc_${f.id}`] = els[`hc_${f.id}`].checked;
  return values;
}

/**
 * Puts values into the form.
 * @param {HTMLFormElement} form
 * @param {object} values
 * @param {Map<string,string>} serviceLabels
 */
export function writeForm(form, values, serviceLabels) {
  const els = form.elements;
  for (const f of TEXT_FIELDS) els[f.name].value = values[f.name];
  els.kind.value = values.kind;
  const chosen = new Set(values.services);
  for (const box of form.querySelectorAll('input[name="services"]')) box.checked = chosen.has(box.value);
  els.accepting.value = values.accepting;
  els.accepting_updated_at.value = values.accepting_updated_at;
  els.lon.value = values.lon;
  els.lat.value = values.lat;
  els.hc_class.value = values.hc_class;
  for (const f of HOME_CARE_FLAGS) els[`hc_${f.id}`].checked = values[`hc_${f.id}`];
  syncHomeCare(form);
  updateChosenServices(form, serviceLabels);
}

/**
 * Writes the chosen services into the (collapsed) services summary.
 * @param {HTMLFormElement} form
 * @param {Map<string,string>} serviceLabels
 */
export function updateChosenServices(form, serviceLabels) {
  const chosen = [...form.querySelectorAll('input[name="services"]:checked')].map((c) => c.value);
  form.querySelector('#services-chosen').textContent = chosen.length
    ? chosen.map((code) => serviceLabels.get(code) ?? code).join('、')
    : '（なし）';
}
