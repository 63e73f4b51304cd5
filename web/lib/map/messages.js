// The page's messages: the status line and the error line, kept in view at the bottom of the
// screen (a phone user sees them without scrolling), and the notices over the map (one per
// slot, e.g. failing tiles and a truncated viewport, shown together).

import { replaceChildren } from '../shared/dom.js';
import { ui } from './page-state.js';

/** A finished status ("…しました") stays on screen this long, then only for screen readers. */
const STATUS_SHOWN_MS = 6000;
let statusTimer = 0;

/**
 * Sets the polite live region. `visible: false` keeps it for screen readers only; `busy`
 * statuses (「検索しています…」) stay until replaced, others fade after a few seconds.
 */
export function setStatus(text, { visible = true, busy = false } = {}) {
  clearTimeout(statusTimer);
  ui.status.classList.toggle('visually-hidden', !visible);
  ui.status.textContent = text;
  if (visible && text && !busy) {
    statusTimer = setTimeout(() => ui.status.classList.add('visually-hidden'), STATUS_SHOWN_MS);
  }
}

export function showError(text) {
  ui.errorText.textContent = text;
  ui.error.hidden = false;
}

export function clearError() {
  ui.error.hidden = true;
  ui.errorText.textContent = '';
}

const mapNotices = new Map();

/** Shows `text` in the map notice's `slot`, or removes that slot's text when `text` is null. */
export function showMapNotice(text, slot = 'tiles') {
  if (text) mapNotices.set(slot, text);
  else mapNotices.delete(slot);
  const texts = [...mapNotices.values()];
  ui.mapNotice.hidden = texts.length === 0;
  replaceChildren(ui.mapNoticeText, texts.join(' '));
}

/** Hides the map notice and forgets every slot's text (its close button). */
export function closeMapNotices() {
  mapNotices.clear();
  ui.mapNotice.hidden = true;
}
