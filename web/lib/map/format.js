// Pure formatting helpers for the map page: distances, walking times, phone links, labels.
// No DOM and no Leaflet here, so the browser tests can also run these under Node.

import { vacancyBadge } from '../shared/vacancy.js';

/** Walking speed used by Japanese property and facility listings: 80 m per minute. */
export const WALK_M_PER_MIN = 80;
/** Farther than this nobody walks: no walking time is shown (25 minutes). */
export const WALK_MAX_M = 2000;

/**
 * A distance in metres as short Japanese-listing text: 「350 m」 below 1 km (rounded to 10 m),
 * 「1.2 km」 below 10 km, 「12 km」 above.
 * @param {number} distanceM
 * @returns {string}
 */
export function formatDistance(distanceM) {
  if (!Number.isFinite(distanceM) || distanceM < 0) return '';
  const rounded = Math.round(distanceM / 10) * 10;
  if (rounded < 1000) return `${Math.max(rounded, 10)} m`;
  const km = distanceM / 1000;
  if (km < 9.95) return `${km.toFixed(1)} km`;
  return `${Math.round(km)} km`;
}

/**
 * Walking minutes at 80 m a minute, rounded up (as 「徒歩N分」 listings do), at least 1.
 * @param {number} distanceM
 * @returns {number}
 */
export function walkingMinutes(distanceM) {
  if (!Number.isFinite(distanceM) || distanceM < 0) return NaN;
  return Math.max(1, Math.ceil(distanceM / WALK_M_PER_MIN));
}

/**
 * 「徒歩N分」, or '' when the distance is unknown or beyond walking (WALK_MAX_M).
 * @param {number} distanceM
 * @returns {string}
 */
export function formatWalking(distanceM) {
  const minutes = walkingMinutes(distanceM);
  return Number.isFinite(minutes) && distanceM <= WALK_MAX_M ? `徒歩${minutes}分` : '';
}

/**
 * A `tel:` URL for a Japanese phone number as written in the data (「04-0554-9430」,
 * full-width digits, 「(04)…」), or null when it has no digits to dial.
 * @param {string|null|undefined} phone
 * @returns {string|null}
 */
export function telHref(phone) {
  if (typeof phone !== 'string') return null;
  const normalized = phone.normalize('NFKC');
  const plus = normalized.trim().startsWith('+') ? '+' : '';
  const digits = normalized.replace(/[^0-9]/g, '');
  if (digits.length < 5) return null;
  return `tel:${plus}${digits}`;
}

/**
 * Japanese labels of service codes, in the order given; unknown codes are shown as the code.
 * @param {string[]|null|undefined} codes
 * @param {Map<string,string>} labels code → label, from /api/services
 * @returns {string[]}
 */
export function serviceLabels(codes, labels) {
  if (!Array.isArray(codes)) return [];
  return codes.map((code) => labels.get(code) ?? `サービス種別 ${code}`);
}

/** 在宅療養支援 class labels; the class ids are the API's. */
const HOME_CARE_CLASS = {
  enhanced_solo: '機能強化型（単独型）',
  enhanced_network: '機能強化型（連携型）',
  standard: '従来型',
};

/**
 * Badges for a provider: acceptance of new clients (受入可 / 要相談 / 受入不可 with the day it
 * was confirmed, e.g. 「受入可（11/28確認）」, or for a stale one 「受入可（確認から45日）」),
 * 24-hour care, 在宅療養支援 status.
 * Each badge is `{ text, tone }`: tone is one of ok, consult, no, stale, unknown, info, strong.
 * @param {object} p feature properties
 * @param {Date} now today, to leave out the year of this year's dates
 * @returns {{text: string, tone: string}[]}
 */
export function badgesFor(p, now = new Date()) {
  const vacancy = vacancyBadge(p, now);
  const badges = [{ text: vacancy.text, tone: vacancy.tone }];
  const home = p.home_care;
  if (home && home.available_24h) badges.push({ text: '24時間対応', tone: 'strong' });
  if (home && home.class) {
    const institution = p.kind === 'hospital' ? '在宅療養支援病院' : '在宅療養支援診療所';
    badges.push({ text: institution, tone: 'info' });
  }
  return badges;
}

/**
 * 「2026年11月30日」: the day in Japan of an RFC 3339 timestamp; '' when it is not one.
 * @param {string|null|undefined} timestamp
 * @returns {string}
 */
export function formatJapanDate(timestamp) {
  const t = new Date(timestamp ?? '');
  if (!timestamp || Number.isNaN(t.getTime())) return '';
  return t.toLocaleDateString('ja-JP', { timeZone: 'Asia/Tokyo', year: 'numeric', month: 'long', day: 'numeric' });
}

/**
 * What a home-medical provider does, as short Japanese phrases (往診, 訪問診療, 看取り).
 * @param {object} p feature properties
 * @returns {string[]}
 */
export function homeCareActivities(p) {
  const home = p.home_care;
  if (!home) return [];
  const out = [];
  if (home.class) out.push(HOME_CARE_CLASS[home.class] ?? '');
  if (home.home_visits) out.push('訪問診療');
  if (home.house_calls) out.push('往診');
  if (home.end_of_life) out.push('看取り');
  return out.filter(Boolean);
}

/**
 * The kind's one-character mark drawn inside its map marker (介, 診, 病, 薬 …): the first
 * character of the label the server gives the kind.
 * @param {string} label
 * @returns {string}
 */
export function kindMark(label) {
  return Array.from(label ?? '')[0] ?? '・';
}
