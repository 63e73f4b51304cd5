// Searching a drawn area: the 「範囲を描いて探す」 button and the drawing toolbar around the
// PolygonDrawer (draw.js), and the search of the finished polygon.

import { drawer, layers, map, removeLayer, state, ui } from './page-state.js';
import { clearArea, runSearch } from './search-run.js';

const L = window.L;

export function startDrawing() {
  removeLayer('chosen');
  map.closePopup();
  drawer.start();
  ui.draw.setAttribute('aria-pressed', 'true');
  ui.drawToolbar.hidden = false;
  ui.drawCenter.focus({ preventScroll: true });
  ui.mapSection.scrollIntoView({ block: 'nearest' });
}

export function stopDrawing() {
  if (!drawer?.active) return;
  drawer.stop();
  ui.draw.setAttribute('aria-pressed', 'false');
  ui.drawToolbar.hidden = true;
}

/** The toolbar's status and buttons for `count` corners placed so far. */
export function updateDrawToolbar(count) {
  ui.drawStatus.textContent =
    count < 3
      ? `地図をタップして範囲の角を置いてください（${count}点、3点以上で検索できます）`
      : `${count}点を置きました。「完了して検索」で範囲内を探します`;
  ui.drawFinish.disabled = count < 3;
  ui.drawUndo.disabled = count === 0;
}

export function finishDrawing() {
  const polygon = drawer.polygon();
  if (!polygon) return;
  stopDrawing();
  clearArea();
  ui.district.value = '';
  state.search = { type: 'polygon', polygon };
  layers.area = L.geoJSON(polygon, { style: { className: 'search-area' }, interactive: false }).addTo(map);
  runSearch({ focusList: true, fit: true });
}
