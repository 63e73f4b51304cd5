// One office on the provider page: its name, when its 空き状況 was last confirmed, the three
// large state buttons (受入可 / 要相談 / 受入不可, aria-pressed), 空き人数, the note with a live
// counter, 「変わりなし（確認）」 and the card's own status line. Everything from the data is
// text (dom.js). The card only shows and reads; offices.js sends what the buttons ask for.

import { h } from '../shared/dom.js';
import {
  ACCEPTING_STATES,
  NOTE_MAX,
  PLACES_MAX,
  acceptingState,
  confirmedAt,
  confirmedText,
  daysSince,
} from '../shared/vacancy.js';

let serial = 0;

/** The saved values of the inputs, as the inputs hold them (strings). */
function savedInputs(p) {
  return {
    places: Number.isInteger(p.accepting_places) ? String(p.accepting_places) : '',
    note: typeof p.accepting_note === 'string' ? p.accepting_note : '',
  };
}

export class OfficeCard {
  /**
   * @param {{id: string, name: string}} office from `/api/admin/me`
   * @param {{onState: (card: OfficeCard, state: string) => void, onConfirm: (card: OfficeCard) => void,
   *          onSave: (card: OfficeCard) => void}} actions
   */
  constructor(office, actions) {
    serial += 1;
    const n = serial;
    this.id = String(office.id);
    this.feature = null;
    this.etag = null;
    this.saved = { places: '', note: '' };
    const ids = {
      name: `office-${n}-name`,
      checked: `office-${n}-checked`,
      question: `office-${n}-question`,
      places: `office-${n}-places`,
      note: `office-${n}-note`,
      counter: `office-${n}-counter`,
      error: `office-${n}-error`,
    };
    this.name = h('h2', { id: ids.name, class: 'office__name' }, office.name ?? this.id);
    this.address = h('p', { class: 'office__address' });
    this.checked = h('p', { id: ids.checked, class: 'office__checked' });
    this.stateButtons = ACCEPTING_STATES.map((s) =>
      h(
        'button',
        { type: 'button', class: `state state--${s.id}`, 'data-state': s.id, 'aria-pressed': 'false', 'aria-describedby': ids.checked },
        h('span', { class: 'state__label' }, s.label),
        h('span', { class: 'state__hint' }, s.hint),
      ),
    );
    this.confirmButton = h(
      'button',
      { type: 'button', class: 'button button--confirm', 'data-action': 'confirm', 'aria-describedby': ids.checked },
      '変わりなし（確認）',
    );
    this.places = h('input', {
      id: ids.places,
      name: 'accepting_places',
      type: 'number',
      inputmode: 'numeric',
      min: 0,
      max: PLACES_MAX,
      step: 1,
      class: 'office__places',
      'aria-describedby': ids.error,
    });
    this.note = h('textarea', {
      id: ids.note,
      name: 'accepting_note',
      rows: 2,
      maxlength: NOTE_MAX,
      placeholder: '例：火・木の午後なら可',
      'aria-describedby': `${ids.counter} ${ids.error}`,
    });
    this.counter = h('p', { id: ids.counter, class: 'office__counter' });
    this.error = h('p', { id: ids.error, class: 'field-error', hidden: true });
    this.saveButton = h('button', { type: 'button', class: 'button', 'data-action': 'save' }, '空き人数・ひとことを保存');
    this.status = h('p', { class: 'office__status', role: 'status', 'aria-live': 'polite' });
    this.element = h(
      'article',
      { class: 'office', 'data-id': this.id, 'aria-labelledby': ids.name },
      h('div', { class: 'office__head' }, this.name, this.address, this.checked),
      h('h3', { id: ids.question, class: 'office__question' }, '新しい利用者を受け入れられますか'),
      h('div', { class: 'states', role: 'group', 'aria-labelledby': ids.question }, this.stateButtons),
      this.confirmButton,
      h(
        'div',
        { class: 'office__details' },
        h(
          'div',
          { class: 'office__field office__field--places' },
          h('label', { for: ids.places, class: 'label' }, '空き人数（任意）'),
          h('span', { class: 'office__places-row' }, this.places, h('span', { 'aria-hidden': 'true' }, '人')),
        ),
        h(
          'div',
          { class: 'office__field office__field--note' },
          h('label', { for: ids.note, class: 'label' }, 'ひとこと（任意）'),
          this.note,
          this.counter,
        ),
        this.error,
        this.saveButton,
      ),
      this.status,
    );
    for (const button of this.stateButtons) button.addEventListener('click', () => actions.onState(this, button.dataset.state));
    this.confirmButton.addEventListener('click', () => actions.onConfirm(this));
    this.saveButton.addEventListener('click', () => actions.onSave(this));
    this.note.addEventListener('input', () => this.updateCounter());
    this.updateCounter();
    this.setBusy(true);
  }

  /** Shows the office as the server answered it (`GET` or `PATCH`); unsaved input stays. */
  show(feature, etag, now = new Date()) {
    const p = feature.properties ?? {};
    const dirty = this.dirty();
    this.feature = feature;
    this.etag = etag;
    this.name.textContent = p.name || this.name.textContent;
    this.address.textContent = p.address ?? '';
    this.address.hidden = !p.address;
    const current = acceptingState(p.accepting);
    for (const button of this.stateButtons) button.setAttribute('aria-pressed', String(button.dataset.state === current));
    const confirmed = p.accepting_checked_at ? confirmedAt({ accepting_checked_at: p.accepting_checked_at }) : null;
    const stale = p.accepting_stale === true;
    this.checked.textContent = confirmed
      ? `最終確認: ${confirmedText(confirmed, now)}${stale ? `（確認から${daysSince(confirmed.at, now)}日たっています。確認をお願いします）` : ''}`
      : '最終確認: まだ確認されていません。いまの状況を選んでください。';
    this.checked.classList.toggle('office__checked--stale', stale || !confirmed);
    this.saved = savedInputs(p);
    if (!dirty) {
      this.places.value = this.saved.places;
      this.note.value = this.saved.note;
    }
    this.updateCounter();
    this.setBusy(false);
  }

  /** Empties the inputs, so the next `show` fills them with the saved values. */
  forgetInputs() {
    this.saved = { places: '', note: '' };
    this.places.value = '';
    this.note.value = '';
  }

  /** Whether the places or the note differ from what is saved. */
  dirty() {
    return this.places.value.trim() !== this.saved.places || this.note.value !== this.saved.note;
  }

  /**
   * The places and note to send, or null with the field's Japanese message shown when the
   * places are not a whole number 0–999.
   * @returns {{accepting_places: number|null, accepting_note: string|null}|null}
   */
  readDetails() {
    this.clearError();
    const raw = this.places.value.trim();
    // A number input holds '' for text that is not a number (and reports it as bad input).
    if (this.places.validity.badInput || (raw !== '' && !/^\d{1,3}$/.test(raw))) {
      this.showError('空き人数は0〜999の数字で入力してください（わからなければ空欄のままで構いません）。', this.places);
      return null;
    }
    const note = this.note.value.trim();
    return { accepting_places: raw === '' ? null : Number(raw), accepting_note: note === '' ? null : note };
  }

  updateCounter() {
    const count = Array.from(this.note.value).length;
    this.counter.textContent = `${count} / ${NOTE_MAX}文字`;
    this.counter.classList.toggle('office__counter--full', count >= NOTE_MAX);
  }

  /** Disables the card's controls while a request runs (and before the office is loaded). */
  setBusy(busy) {
    if (busy) this.element.setAttribute('aria-busy', 'true');
    else this.element.removeAttribute('aria-busy');
    for (const el of [...this.stateButtons, this.confirmButton, this.saveButton]) el.disabled = busy;
  }

  /** The card's status line (tone: ok, info or error). */
  say(text, tone = 'ok') {
    this.status.textContent = text;
    this.status.className = `office__status office__status--${tone}`;
  }

  /** Shows a field's message under the inputs and marks the control invalid. */
  showError(text, control = null) {
    this.error.textContent = text;
    this.error.hidden = false;
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
  }

  clearError() {
    this.error.textContent = '';
    this.error.hidden = true;
    this.places.removeAttribute('aria-invalid');
    this.note.removeAttribute('aria-invalid');
  }
}
