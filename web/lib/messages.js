// The page's messages: the polite status line, the error line, and the notices over the map
// (one per slot, e.g. failing tiles and a truncated viewport, shown together).

import { replaceChildren } from './dom.js';
import { ui } from './page-state.js';

/** Sets the polite live region; `visible: false` keeps it for screen readers only. */
export function setStatus(text, { visible = true } = {}) {
  ui.status.classList.toggle('visually-hidden', !visible);
  ui.status.textContent = text;
}

export function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

export function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = '';
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
