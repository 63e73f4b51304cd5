// The staff page's map: the providers of the view as dots that open them, the draggable pin
// of the provider being edited (kept in step with the lon / lat inputs), and the tap that
// places a new provider.

import { createMap } from '../shared/base-map.js';
import { h } from '../shared/dom.js';
import { publicJson } from './api.js';
import { showStatus, updateDirty } from './editor-form.js';
import { state, ui } from './page-state.js';
import { selectProvider } from './selected.js';

const L = window.L;

const MAP_LIMIT = 500;

/** Shows the providers of the map's view as dots (at most MAP_LIMIT). */
export async function loadMarkers() {
  if (!state.map) return;
  const b = state.map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(',');
  try {
    const data = await publicJson(`/api/providers?bbox=${bbox}&limit=${MAP_LIMIT}`);
    state.providerLayer.clearLayers();
    for (const f of data.features) {
      const [lon, lat] = f.geometry.coordinates;
      // bubblingMouseEvents: a click on a dot opens it and is not a tap on the map as well.
      const marker = L.circleMarker([lat, lon], {
        radius: 6,
        className: `dot dot--${f.properties.kind}`,
        bubblingMouseEvents: false,
      });
      // An element, not a string: Leaflet would parse a string as HTML.
      marker.bindTooltip(h('span', {}, f.properties.name));
      marker.on('click', () => selectProvider(String(f.id)));
      state.providerLayer.addLayer(marker);
      marker.getElement()?.setAttribute('data-id', String(f.id));
    }
    ui.mapStatus.textContent =
      data.numberMatched > MAP_LIMIT ? `表示範囲に${data.numberMatched}件あります。拡大すると全件表示されます。` : '';
  } catch {
    ui.mapStatus.textContent = '地図の事業所を読み込めませんでした。';
  }
}

/** Puts the pin at [lon, lat]; `recenter` also brings the map there (a provider opened). */
export function placePin([lon, lat], deleted, recenter = true) {
  if (!state.map) return;
  if (!state.pin) {
    state.pin = L.marker([lat, lon], {
      draggable: true,
      autoPan: true,
      keyboard: true,
      title: '選択中の事業所（ドラッグで位置を変更）',
      icon: L.divIcon({ className: 'pin', iconSize: [28, 28], iconAnchor: [14, 33] }),
      zIndexOffset: 1000,
    });
    state.pin.on('dragend', () => {
      const { lat: newLat, lng: newLon } = state.pin.getLatLng();
      ui.form.elements.lon.value = newLon.toFixed(6);
      ui.form.elements.lat.value = newLat.toFixed(6);
      updateDirty();
      showStatus(`位置を変更しました。「${ui.save.textContent}」を押すと反映されます。`, 'info');
    });
    state.pin.addTo(state.map);
  }
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
  state.pin.setLatLng([lat, lon]);
  if (deleted) state.pin.dragging?.disable();
  else state.pin.dragging?.enable();
  if (!recenter) return;
  const zoom = state.map.getZoom();
  state.map.setView([lat, lon], Number.isFinite(zoom) ? Math.max(zoom, 16) : 16, { animate: false });
}

/** Moves the pin to valid lon / lat typed in the form (places it for a new provider). */
export function movePinFromInputs() {
  const lon = Number(ui.form.elements.lon.value);
  const lat = Number(ui.form.elements.lat.value);
  const valid = ui.form.elements.lon.value.trim() !== '' && ui.form.elements.lat.value.trim() !== '';
  if (valid && Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    if (state.pin) state.pin.setLatLng([lat, lon]);
    else if (state.selected?.isNew) placePin([lon, lat], false, false);
  }
}

/** A tap on the map while registering a new provider puts its pin there. */
function tapForNew(event) {
  if (!state.selected?.isNew) return;
  const { lat, lng: lon } = event.latlng;
  ui.form.elements.lon.value = lon.toFixed(6);
  ui.form.elements.lat.value = lat.toFixed(6);
  placePin([lon, lat], false, false);
  showStatus('位置を決めました。ピンはドラッグして動かせます。', 'info');
}

/** Creates the map once (after sign-in): base layers, the city in view, the dots. */
export async function setUpMap() {
  if (state.map) return;
  let tiles = [];
  try {
    tiles = (await publicJson('/api/about')).tiles ?? [];
  } catch {
    // The map still shows the providers without a base map.
  }
  state.map = createMap(ui.map, { tiles, onTileError: () => {} });
  // The editor beside the map changes the map's width as it fills; keep Leaflet's idea of
  // the size (and so pin and click positions) right.
  new ResizeObserver(() => state.map.invalidateSize({ pan: false })).observe(ui.map);
  state.providerLayer = L.layerGroup().addTo(state.map);
  try {
    const districts = await publicJson('/api/districts');
    const bounds = L.geoJSON(districts).getBounds();
    if (bounds.isValid()) state.map.fitBounds(bounds);
    else state.map.setView([36.0, 138.0], 5);
  } catch {
    state.map.setView([36.0, 138.0], 5);
  }
  state.map.on('moveend', loadMarkers);
  state.map.on('click', tapForNew);
  loadMarkers();
}
