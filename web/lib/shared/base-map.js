// The base map both pages draw on: Leaflet with the tile layers /api/about lists (the first
// shown, the others in a layer switch), a scale, and one report when tiles fail to load
// (tiles are optional; the data is not).

const L = window.L;

/** Tile layers whose failure the page reports once (tiles are optional; the data is not). */
function tileLayer(def, onFirstError) {
  const layer = L.tileLayer(def.url, {
    attribution: def.attribution,
    maxZoom: 19,
    maxNativeZoom: def.max_zoom,
    crossOrigin: false,
  });
  layer.on('tileerror', onFirstError);
  return layer;
}

/**
 * Creates the map in `container`.
 * @param {HTMLElement} container
 * @param {{tiles: {id: string, name: string, url: string, attribution: string, max_zoom: number}[],
 *          onTileError: () => void}} options
 * @returns {L.Map}
 */
export function createMap(container, { tiles, onTileError }) {
  const map = L.map(container, {
    zoomControl: true,
    keyboard: true,
    tapTolerance: 20,
    zoomSnap: 0.5,
    preferCanvas: false,
  });
  map.attributionControl.setPrefix(false);
  map.zoomControl.setPosition('topright');
  let reported = false;
  const onFirstError = () => {
    if (!reported) {
      reported = true;
      onTileError();
    }
  };
  const bases = {};
  tiles.forEach((def, i) => {
    const layer = tileLayer(def, onFirstError);
    bases[def.name] = layer;
    if (i === 0) layer.addTo(map);
  });
  if (tiles.length > 1) L.control.layers(bases, {}, { position: 'topright', collapsed: true }).addTo(map);
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  return map;
}
