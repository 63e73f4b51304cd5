// The edit form's 「住所から位置を入れる」: an address box beside lon / lat that asks
// /api/geocode for the best candidate (the box, or when it is empty the provider's 住所 field)
// and fills lon / lat with it, moving the pin there. Only a 町字 or finer point is used; what
// was found (and how precise it is) is said in the box's own live line, as text.

import { publicJson } from './api.js';
import { state, ui } from './page-state.js';
import { placePin } from './provider-map.js';

/** Address levels of /api/geocode, as staff read them. */
const LEVELS = { 3: '町字の代表点', 7: '街区の代表点', 8: '住居（建物）の位置' };

/** Geocodes the box (or the 住所 field) and fills lon / lat. */
export async function fillPositionFromAddress() {
  const els = ui.form.elements;
  const box = els['geocode-q'];
  const out = document.getElementById('geocode-status');
  const text = (box.value.trim() || els.address.value.trim()).slice(0, 200);
  const say = (message, kind) => {
    out.textContent = message;
    out.className = `geocode__status message message--${kind}`;
    out.hidden = false;
  };
  if (!text) {
    say('住所を入力してください。', 'error');
    box.focus();
    return;
  }
  say('住所を探しています…', 'info');
  let best = null;
  try {
    const answer = await publicJson(`/api/geocode?${new URLSearchParams({ q: text, limit: '1' })}`);
    best = (answer.features ?? []).find((f) => f.properties?.level >= 3) ?? null;
  } catch (error) {
    // A 400 (nothing matchable) is the same as no match for the person typing.
    if (error.status !== 400) {
      say(error.userMessage ?? '住所を調べられませんでした。', 'error');
      return;
    }
  }
  if (!best) {
    say(`「${text}」に当たる住所が見つかりませんでした。地図のピンで位置を選んでください。`, 'error');
    return;
  }
  const [lon, lat] = best.geometry.coordinates;
  els.lon.value = lon.toFixed(6);
  els.lat.value = lat.toFixed(6);
  // The form's input handler moves the pin and updates the unsaved-changes notice.
  els.lon.dispatchEvent(new Event('input', { bubbles: true }));
  placePin([lon, lat], Boolean(state.selected?.feature?.properties?.deleted_at), true);
  const p = best.properties;
  const level = LEVELS[p.level] ?? '代表点';
  const rest = p.remainder ? `（「${p.remainder}」は位置に使っていません）` : '';
  say(`${p.address}（${level}）の位置を入れました${rest}。必要ならピンをドラッグして直してください。`, 'ok');
}
