// The map page's Leaflet layers: one marker per provider id (reused across searches and
// viewport loads), clustering, district outlines, and the markers of the search origin. The
// base map itself is shared/base-map.js.

import { h } from '../shared/dom.js';
import { acceptingState } from '../shared/vacancy.js';
import { kindMark } from './format.js';

const L = window.L;

/**
 * The markers of all providers the page has seen, by id, inside one cluster group.
 * `show(ids)` decides which are on the map; markers are never duplicated.
 */
export class MarkerStore {
  /**
   * @param {L.Map} map
   * @param {{kindLabel: (kind: string) => string, popup: (feature: object) => HTMLElement,
   *          onSelect: (id: string) => void}} options
   */
  constructor(map, { kindLabel, popup, onSelect }) {
    this.map = map;
    this.kindLabel = kindLabel;
    this.popup = popup;
    this.onSelect = onSelect;
    /** @type {Map<string, {marker: L.Marker, feature: object, rank: number|null}>} */
    this.entries = new Map();
    this.visible = new Set();
    this.cluster = L.markerClusterGroup({
      showCoverageOnHover: false,
      // Cluster widely when zoomed out, only nearly overlapping markers when zoomed in.
      maxClusterRadius: (zoom) => (zoom >= 16 ? 24 : zoom >= 13 ? 32 : 46),
      spiderfyOnMaxZoom: true,
      iconCreateFunction: (cluster) => clusterIcon(cluster.getChildCount()),
    });
    this.cluster.addTo(map);
    // Numbered nearest results are few (at most 100) and must all be seen: not clustered.
    this.plain = L.featureGroup().addTo(map);
    this.clustered = true;
  }

  /**
   * Adds or updates the markers of these features (not shown until `show`).
   * @param {object[]} features
   */
  upsert(features) {
    for (const feature of features) {
      const id = String(feature.id);
      const entry = this.entries.get(id);
      if (!entry) {
        this.entries.set(id, { marker: this.createMarker(id, feature), feature, rank: null });
      } else {
        const moved = !sameCoordinates(entry.feature, feature);
        const changed = entry.feature.properties.version !== feature.properties.version
          || entry.feature.properties.name !== feature.properties.name;
        entry.feature = keepDistance(entry.feature, feature);
        if (moved) entry.marker.setLatLng(latLngOf(feature));
        if (changed) this.refreshIcon(id);
      }
    }
  }

  /** Forgets distances from an earlier search (they belong to that search's point). */
  clearDistances() {
    for (const entry of this.entries.values()) {
      if ('distance_m' in entry.feature.properties) {
        const { distance_m: _unused, ...rest } = entry.feature.properties;
        entry.feature = { ...entry.feature, properties: rest };
      }
    }
  }

  /**
   * Sets the numbers drawn on result markers (rank 1 = nearest); null clears them.
   * @param {Map<string, number>|null} ranks
   */
  setRanks(ranks) {
    for (const [id, entry] of this.entries) {
      const rank = ranks?.get(id) ?? null;
      if (rank !== entry.rank) {
        entry.rank = rank;
        // Nearer results are drawn above farther ones where markers overlap.
        entry.marker.setZIndexOffset(rank ? (1000 - rank) * 10 : 0);
        this.refreshIcon(id);
      }
    }
  }

  /**
   * Shows exactly these provider ids on the map, clustered or (for a short ranked list) not.
   * @param {Iterable<string>} ids
   * @param {{clustered?: boolean}} options
   */
  show(ids, { clustered = true } = {}) {
    const wanted = new Set([...ids].map(String).filter((id) => this.entries.has(id)));
    if (clustered !== this.clustered) {
      this.removeMarkers([...this.visible]);
      this.visible = new Set();
      this.clustered = clustered;
    }
    this.removeMarkers([...this.visible].filter((id) => !wanted.has(id)));
    this.addMarkers([...wanted].filter((id) => !this.visible.has(id)));
    this.visible = wanted;
  }

  removeMarkers(ids) {
    if (ids.length === 0) return;
    const list = ids.map((id) => this.entries.get(id).marker);
    if (this.clustered) this.cluster.removeLayers(list);
    else list.forEach((m) => this.plain.removeLayer(m));
  }

  addMarkers(ids) {
    if (ids.length === 0) return;
    const list = ids.map((id) => this.entries.get(id).marker);
    if (this.clustered) this.cluster.addLayers(list);
    else list.forEach((m) => this.plain.addLayer(m));
  }

  /** Adds these ids to what is shown. @param {Iterable<string>} ids */
  showAlso(ids) {
    this.show([...this.visible, ...ids], { clustered: this.clustered });
  }

  /** Number of provider markers currently on the map (clustered or not). */
  get visibleCount() {
    return this.visible.size;
  }

  /**
   * Zooms to a provider's marker (out of its cluster) and opens its popup.
   * @param {string} id
   */
  focus(id) {
    const entry = this.entries.get(String(id));
    if (!entry) return;
    if (!this.visible.has(String(id))) this.showAlso([String(id)]);
    if (this.clustered) {
      this.cluster.zoomToShowLayer(entry.marker, () => entry.marker.openPopup());
    } else {
      const latlng = entry.marker.getLatLng();
      const open = () => entry.marker.openPopup();
      // A popup opened while the map still animates (e.g. the fit after a search) would not
      // auto-pan into view; open it once the map stands still. (Leaflet 1.9 internals.)
      if (this.map._animatingZoom || this.map._panAnim?._inProgress) this.map.once('moveend', open);
      else if (!this.map.getBounds().pad(-0.1).contains(latlng)) {
        this.map.once('moveend', open);
        this.map.panTo(latlng);
      } else open();
    }
  }

  /** Bounds of the given ids' markers, or null. @param {Iterable<string>} ids */
  boundsOf(ids) {
    const latlngs = [];
    for (const id of ids) {
      const entry = this.entries.get(String(id));
      if (entry) latlngs.push(entry.marker.getLatLng());
    }
    return latlngs.length ? L.latLngBounds(latlngs) : null;
  }

  /** The current feature of an id. @param {string} id */
  feature(id) {
    return this.entries.get(String(id))?.feature ?? null;
  }

  createMarker(id, feature) {
    const p = feature.properties;
    const marker = L.marker(latLngOf(feature), {
      icon: this.icon(feature, null),
      title: p.name,
      alt: p.name,
      keyboard: true,
      riseOnHover: true,
      autoPanOnFocus: true,
    });
    // The tooltip first: a click opens it, then the popup, whose opening closes it again.
    marker.bindTooltip(() => document.createTextNode(this.entries.get(id).feature.properties.name), {
      direction: 'top',
      offset: L.point(0, -14),
      className: 'marker-tooltip',
    });
    marker.bindPopup(() => {
      // Fit the popup to the map as it is now (a phone's map is small), scrolling if need be.
      const size = this.map.getSize();
      const options = marker.getPopup().options;
      options.maxWidth = Math.max(180, Math.min(320, size.x - 160));
      options.minWidth = Math.min(220, options.maxWidth);
      options.maxHeight = Math.max(150, size.y - 140);
      return this.popup(this.entries.get(id).feature);
    }, {
      maxWidth: 320,
      minWidth: 220,
      autoPanPaddingTopLeft: L.point(56, 56),
      autoPanPaddingBottomRight: L.point(56, 48),
      closeButton: true,
    });
    marker.on('click', () => this.onSelect(id));
    marker.on('popupopen', () => marker.closeTooltip());
    return marker;
  }

  refreshIcon(id) {
    const entry = this.entries.get(id);
    const p = entry.feature.properties;
    entry.marker.setIcon(this.icon(entry.feature, entry.rank));
    entry.marker.options.title = p.name;
    const el = entry.marker.getElement();
    if (el) el.title = p.name;
    if (this.visible.has(id) && this.clustered) this.cluster.refreshClusters(entry.marker);
  }

  icon(feature, rank) {
    const p = feature.properties;
    const kindLabel = this.kindLabel(p.kind);
    const mark = rank ? String(rank) : kindMark(kindLabel);
    const spoken = rank ? `${rank}番 ${p.name}（${kindLabel}）` : `${p.name}（${kindLabel}）`;
    const content = h(
      'span',
      { class: 'pin__body' },
      h('span', { class: 'pin__mark', 'aria-hidden': 'true' }, mark),
      h('span', { class: 'visually-hidden' }, spoken),
    );
    const size = rank ? 32 : 28;
    return L.divIcon({
      html: content,
      className: `pin pin--${cssToken(p.kind)}${rank ? ' pin--ranked' : ''}${acceptingState(p.accepting) === 'no' ? ' pin--closed' : ''}`,
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
      popupAnchor: [0, -size / 2],
      tooltipAnchor: [0, 0],
    });
  }
}

function clusterIcon(count) {
  const size = count < 10 ? 36 : count < 100 ? 42 : 50;
  const content = h(
    'span',
    { class: 'cluster__body' },
    h('span', { 'aria-hidden': 'true' }, String(count)),
    h('span', { class: 'visually-hidden' }, `${count}件の事業所（拡大して表示）`),
  );
  return L.divIcon({
    html: content,
    className: `cluster ${count < 10 ? 'cluster--small' : count < 100 ? 'cluster--medium' : 'cluster--large'}`,
    iconSize: [size, size],
  });
}

function cssToken(s) {
  return String(s ?? '').replace(/[^a-z0-9_-]/gi, '') || 'other';
}

function latLngOf(feature) {
  const [lon, lat] = feature.geometry.coordinates;
  return L.latLng(lat, lon);
}

function sameCoordinates(a, b) {
  const [x1, y1] = a.geometry.coordinates;
  const [x2, y2] = b.geometry.coordinates;
  return x1 === x2 && y1 === y2;
}

// A bbox answer carries no distance; keep the one a search gave until the search changes.
function keepDistance(old, fresh) {
  if (Number.isFinite(fresh.properties.distance_m) || !Number.isFinite(old.properties.distance_m)) return fresh;
  return { ...fresh, properties: { ...fresh.properties, distance_m: old.properties.distance_m } };
}

/**
 * A Leaflet GeoJSON layer for a district outline.
 * @param {object} feature
 * @param {string} className
 */
export function districtLayer(feature, className) {
  return L.geoJSON(feature, { style: { className }, interactive: false });
}

/**
 * The marker of a search origin: the current position (a dot) or a place chosen on the map
 * (a pin standing on the point).
 * @param {L.LatLng} latlng
 * @param {string} label 「現在地」, 「選んだ場所」 or 「地図の中心」
 * @param {'position'|'place'} variant
 */
export function originMarker(latlng, label, variant = 'place') {
  const pin = variant === 'place';
  const icon = L.divIcon({
    html: h('span', { class: pin ? 'origin__pin' : 'origin__dot' }, h('span', { class: 'visually-hidden' }, label)),
    className: `origin origin--${variant}`,
    iconSize: pin ? [28, 38] : [22, 22],
    iconAnchor: pin ? [14, 38] : [11, 11],
    popupAnchor: pin ? [0, -36] : [0, -10],
    tooltipAnchor: pin ? [0, -30] : [0, -4],
  });
  const marker = L.marker(latlng, { icon, title: label, keyboard: false, zIndexOffset: 20000, interactive: true });
  marker.bindTooltip(document.createTextNode(label), { direction: 'top', className: 'marker-tooltip' });
  return marker;
}
