// The ways to start a search: the current position, a place tapped on the map or the map's
// centre (nearest first), the providers in view as a list, a name or address (and removing
// that text condition), and a district.

import { h } from '../shared/dom.js';
import { MESSAGES, getJson } from './api.js';
import { stopDrawing } from './draw-controls.js';
import { syncFilterControls } from './filters.js';
import { districtLayer, originMarker } from './markers.js';
import { clearError, setStatus, showError } from './messages.js';
import { NEAREST_K, drawer, layers, map, originName, removeLayer, state, ui } from './page-state.js';
import { clampBbox, roundBboxOutward } from './query.js';
import { clearArea, clearSearch, runSearch } from './search-run.js';
import { boundsToBbox } from './viewport.js';

const L = window.L;

// The button stays enabled (and focused) while the position is found; repeats are ignored.
let locating = false;

export function searchFromGeolocation() {
  if (locating) return;
  clearError();
  if (!('geolocation' in navigator)) {
    showError(MESSAGES.geolocationUnsupported);
    return;
  }
  stopDrawing();
  setStatus('現在地を取得しています…', { busy: true });
  locating = true;
  ui.locate.setAttribute('aria-busy', 'true');
  ui.locateLabel.textContent = '現在地を取得中…';
  const done = () => {
    locating = false;
    ui.locate.removeAttribute('aria-busy');
    ui.locateLabel.textContent = '現在地から探す';
  };
  navigator.geolocation.getCurrentPosition(
    (position) => {
      done();
      const { longitude: lon, latitude: lat } = position.coords;
      startNearSearch(lon, lat, '現在地');
    },
    (error) => {
      done();
      setStatus('');
      console.warn('geolocation failed', error);
      showError(error.code === 1 ? MESSAGES.geolocationDenied : MESSAGES.geolocation);
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

export function searchHere() {
  stopDrawing();
  const chosen = layers.chosen?.getLatLng();
  const point = chosen ?? map.getCenter();
  startNearSearch(point.lng, point.lat, chosen ? '選んだ場所' : '地図の中心');
}

/** A suggestion of /api/geocode was chosen: the providers nearest to that address. */
export function searchFromAddress(feature) {
  stopDrawing();
  const [lon, lat] = feature.geometry.coordinates;
  startNearSearch(lon, lat, '住所', feature.properties.address);
}

function startNearSearch(lon, lat, origin, address = null) {
  clearArea();
  ui.district.value = '';
  removeLayer('chosen');
  ui.here.classList.remove('is-ready');
  // A name typed for another search must not silently empty the list of a place.
  state.q = '';
  ui.q.value = '';
  syncFilterControls();
  state.search = { type: 'near', lon: round6(lon), lat: round6(lat), origin, k: NEAREST_K };
  if (address) state.search.address = address;
  showOrigin(state.search);
  runSearch({ focusList: true, fit: true });
}

/** Marks a nearest search's origin on the map. */
export function showOrigin(search) {
  removeLayer('origin');
  const variant = search.origin === '現在地' ? 'position' : 'place';
  layers.origin = originMarker(L.latLng(search.lat, search.lon), originName(search), variant).addTo(map);
}

export function searchViewport() {
  stopDrawing();
  clearArea();
  removeLayer('chosen');
  ui.district.value = '';
  const bbox = roundBboxOutward(clampBbox(boundsToBbox(map.getBounds())));
  state.search = { type: 'bbox', bbox };
  runSearch({ focusList: true, fit: false });
}

export function searchByName() {
  applyText(ui.q.value.trim());
}

/**
 * Makes `text` the name/address condition ('' removes it) and reruns what it applies to:
 * alone it is a text search, which ends when the text goes.
 * @param {string} text
 */
export function applyText(text) {
  if (text === state.q && (state.search || !text)) {
    syncFilterControls();
    return;
  }
  state.q = text;
  syncFilterControls();
  if (!state.search) {
    if (!text) return;
    state.search = { type: 'text' };
  } else if (state.search.type === 'text' && !text) {
    clearSearch({ announce: false });
    setStatus('名称・住所の条件を外しました。');
    return;
  }
  runSearch({ focusList: Boolean(text), fit: true });
}

export function onDistrictChange() {
  const id = ui.district.value;
  stopDrawing();
  if (!id) {
    if (state.search?.type === 'district') {
      removeLayer('district');
      if (state.q) {
        state.search = { type: 'text' };
        runSearch({ focusList: false, fit: true });
      } else {
        clearSearch();
      }
    }
    return;
  }
  clearArea();
  removeLayer('chosen');
  state.search = { type: 'district', id };
  showDistrict(state.search, { fit: true });
  runSearch({ focusList: false, fit: false });
}

/**
 * Draws a district search's outline (and with `fit`, shows all of it); it loads beside the
 * providers and is drawn only if the search is still the current one.
 */
export function showDistrict(search, { fit }) {
  getJson(`/api/districts/${encodeURIComponent(search.id)}`)
    .then((feature) => {
      if (state.search !== search) return;
      removeLayer('district');
      layers.district = districtLayer(feature, 'district-outline district-outline--selected').addTo(map);
      if (fit) map.fitBounds(layers.district.getBounds(), { padding: [16, 16] });
    })
    .catch((error) => {
      console.error(error);
      showError(error.userMessage ?? MESSAGES.network);
    });
}

// A tap that only closes an open popup should not also choose a place.
let lastPopupClose = 0;

/** Notes that a popup closed (the map's `popupclose`), so the same tap chooses no place. */
export function notePopupClose() {
  lastPopupClose = Date.now();
}

/** A tap on the map chooses a place, with a popup offering the nearest search from it. */
export function onMapClick(event) {
  if (drawer.active || Date.now() - lastPopupClose < 100) return;
  removeLayer('chosen');
  const marker = originMarker(event.latlng, '選んだ場所', 'place');
  const button = h('button', { type: 'button', class: 'button button--primary button--small' }, 'この場所で探す');
  button.addEventListener('click', searchHere);
  marker.bindPopup(h('div', { class: 'chosen-popup' }, h('p', {}, 'この場所から近い事業所を探します。'), button), {
    closeButton: true,
    autoClose: true,
  });
  layers.chosen = marker.addTo(map);
  marker.openPopup();
  ui.here.classList.add('is-ready');
}

function round6(v) {
  return Math.round(v * 1e6) / 1e6;
}
