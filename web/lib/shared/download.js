// Saving a file the page made or fetched (a CSV): a temporary object URL clicked as a
// download link, revoked a minute later.

import { h } from './dom.js';

/**
 * Offers `blob` as a download named `fileName`.
 * @param {Blob} blob
 * @param {string} fileName
 */
export function saveBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: fileName, class: 'visually-hidden' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** Today in Japan as YYYY-MM-DD, for file names (sv-SE writes dates so). */
export function japanDay(now = new Date()) {
  return now.toLocaleDateString('sv-SE', { timeZone: 'Asia/Tokyo' });
}
