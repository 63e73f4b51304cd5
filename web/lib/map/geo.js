// Geometry the page needs on its own, with no DOM and no Leaflet: geodesic distance on the
// WGS84 ellipsoid (Vincenty's inverse formula, to order lists by distance from the map
// centre) and whether a point lies in a district outline. Positions are [lon, lat] degrees.

const A = 6378137;
const F = 1 / 298.257223563;
const B = A * (1 - F);

/**
 * Geodesic distance in metres between two [lon, lat] points on the WGS84 ellipsoid
 * (Vincenty 1975, sub-millimetre at city scale). Nearly antipodal points, where the
 * iteration does not converge, fall back to the great circle on the mean radius.
 * @param {number[]} from [lon, lat]
 * @param {number[]} to [lon, lat]
 * @returns {number}
 */
export function geodesicDistanceM(from, to) {
  const rad = Math.PI / 180;
  const L = (to[0] - from[0]) * rad;
  const U1 = Math.atan((1 - F) * Math.tan(from[1] * rad));
  const U2 = Math.atan((1 - F) * Math.tan(to[1] * rad));
  const sinU1 = Math.sin(U1);
  const cosU1 = Math.cos(U1);
  const sinU2 = Math.sin(U2);
  const cosU2 = Math.cos(U2);
  let lambda = L;
  for (let i = 0; i < 200; i += 1) {
    const sinLambda = Math.sin(lambda);
    const cosLambda = Math.cos(lambda);
    const sinSigma = Math.hypot(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
    if (sinSigma === 0) return 0;
    const cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    const cos2Alpha = 1 - sinAlpha * sinAlpha;
    const cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const C = (F / 16) * cos2Alpha * (4 + F * (4 - 3 * cos2Alpha));
    const previous = lambda;
    lambda = L + (1 - C) * F * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM ** 2)));
    if (Math.abs(lambda - previous) < 1e-12) {
      const u2 = (cos2Alpha * (A * A - B * B)) / (B * B);
      const bigA = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
      const bigB = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
      const deltaSigma =
        bigB *
        sinSigma *
        (cos2SigmaM +
          (bigB / 4) *
            (cosSigma * (-1 + 2 * cos2SigmaM ** 2) - (bigB / 6) * cos2SigmaM * (-3 + 4 * sinSigma ** 2) * (-3 + 4 * cos2SigmaM ** 2)));
      return B * bigA * (sigma - deltaSigma);
    }
  }
  const phi1 = from[1] * rad;
  const phi2 = to[1] * rad;
  const h = Math.sin((phi2 - phi1) / 2) ** 2 + Math.cos(phi1) * Math.cos(phi2) * Math.sin(L / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Whether [lon, lat] lies inside a linear ring (even-odd rule). */
function inRing(point, ring) {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Whether [lon, lat] lies inside a GeoJSON Polygon or MultiPolygon geometry (holes excluded).
 * @param {number[]} point
 * @param {{type: string, coordinates: any}|null|undefined} geometry
 * @returns {boolean}
 */
export function inPolygon(point, geometry) {
  const polygons =
    geometry?.type === 'Polygon' ? [geometry.coordinates] : geometry?.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some(
    (rings) => rings.length > 0 && inRing(point, rings[0]) && !rings.slice(1).some((hole) => inRing(point, hole)),
  );
}

/**
 * Whether [lon, lat] lies in any feature of a GeoJSON FeatureCollection (the districts).
 * @param {number[]} point
 * @param {{features?: {geometry: object}[]}} collection
 * @returns {boolean}
 */
export function inAnyFeature(point, collection) {
  return (collection?.features ?? []).some((f) => inPolygon(point, f.geometry));
}
