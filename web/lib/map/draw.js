// Drawing a search area on the map: a small polygon tool built on Leaflet events.
// Click or tap adds a corner; corners can also be added at the map centre (for keyboard
// users, who move the map with the arrow keys); finishing returns a closed GeoJSON Polygon.

const L = window.L;

/** Draws a polygon from clicks on the map. */
export class PolygonDrawer {
  /**
   * @param {L.Map} map
   * @param {{onChange?: (count: number) => void}} callbacks onChange gets the corner count
   */
  constructor(map, { onChange = () => {} } = {}) {
    this.map = map;
    this.onChange = onChange;
    this.active = false;
    this.points = [];
    this.layer = L.layerGroup();
    this.outline = L.polygon([], { className: 'draw-shape', interactive: false });
    this.corners = L.layerGroup();
    this.layer.addLayer(this.outline).addLayer(this.corners);
    this.handleClick = (e) => this.add(e.latlng);
  }

  /** Enters drawing mode (clears a previous drawing). */
  start() {
    if (this.active) return;
    this.active = true;
    this.points = [];
    this.redraw();
    this.layer.addTo(this.map);
    this.map.on('click', this.handleClick);
    this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add('is-drawing');
    this.onChange(0);
  }

  /** Leaves drawing mode and removes the drawing. */
  stop() {
    if (!this.active) return;
    this.active = false;
    this.map.off('click', this.handleClick);
    this.map.doubleClickZoom.enable();
    this.map.getContainer().classList.remove('is-drawing');
    this.layer.remove();
    this.points = [];
  }

  /** Adds a corner. @param {L.LatLng} latlng */
  add(latlng) {
    if (!this.active) return;
    this.points.push(L.latLng(latlng.lat, latlng.lng));
    this.redraw();
    this.onChange(this.points.length);
  }

  /** Adds a corner at the centre of the map view. */
  addCenter() {
    this.add(this.map.getCenter());
  }

  /** Removes the last corner. */
  undo() {
    if (!this.active || this.points.length === 0) return;
    this.points.pop();
    this.redraw();
    this.onChange(this.points.length);
  }

  /** The number of corners so far. */
  get count() {
    return this.points.length;
  }

  /**
   * The drawing as a closed GeoJSON Polygon (lon, lat order), or null with fewer than 3 corners.
   * @returns {{type: 'Polygon', coordinates: number[][][]}|null}
   */
  polygon() {
    if (this.points.length < 3) return null;
    const ring = this.points.map((p) => [round(p.lng), round(p.lat)]);
    ring.push([...ring[0]]);
    return { type: 'Polygon', coordinates: [ring] };
  }

  redraw() {
    this.outline.setLatLngs(this.points);
    this.corners.clearLayers();
    this.points.forEach((p, i) => {
      L.circleMarker(p, {
        radius: i === 0 ? 7 : 5,
        className: i === 0 ? 'draw-corner draw-corner--first' : 'draw-corner',
        interactive: false,
      }).addTo(this.corners);
    });
  }
}

function round(v) {
  return Math.round(v * 1e6) / 1e6;
}
