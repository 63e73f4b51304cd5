// The words of 空き状況 (vacancy) every page uses, as plain data (no DOM, so Node tests it):
// the three states 受入可 / 要相談 / 受入不可, when the state was last confirmed (in Japan time),
// how many days ago, and the one short text the map page, the staff page and the provider
// page show for it. Whether a confirmation is stale is the server's rule (`accepting_stale`,
// older than `/api/about`'s `stale_after_days`); the pages only say it.

/** The states in the order the pages offer them, with their words. */
export const ACCEPTING_STATES = [
  { id: 'yes', label: '受入可', hint: '新しい利用者を受け入れられる' },
  { id: 'consult', label: '要相談', hint: '条件によっては受け入れられる' },
  { id: 'no', label: '受入不可', hint: 'いまは受け入れられない' },
];

const LABELS = Object.fromEntries(ACCEPTING_STATES.map((s) => [s.id, s.label]));

/** A note (`accepting_note`) is at most this many characters (the server's limit). */
export const NOTE_MAX = 200;
/** Free places (`accepting_places`) are 0 to this. */
export const PLACES_MAX = 999;

const DAY_MS = 86_400_000;

/**
 * The state id of an `accepting` value: 'yes' | 'consult' | 'no', or null when unknown.
 * The booleans of older data read as yes and no.
 * @param {unknown} value
 * @returns {'yes'|'consult'|'no'|null}
 */
export function acceptingState(value) {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  return value === 'yes' || value === 'consult' || value === 'no' ? value : null;
}

/** 「受入可」「要相談」「受入不可」, or null for an unknown state. */
export function acceptingLabel(value) {
  return LABELS[acceptingState(value)] ?? null;
}

/** The parts of a moment as a clock in Japan shows them (numbers). */
function japanParts(date) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/**
 * When the vacancy was last confirmed: `accepting_checked_at` (an RFC 3339 time), else the
 * older `accepting_updated_at` (a date, taken as midnight in Japan); null when neither.
 * @param {object} p provider properties
 * @returns {{at: Date, hasTime: boolean}|null}
 */
export function confirmedAt(p) {
  const checked = p?.accepting_checked_at ? new Date(p.accepting_checked_at) : null;
  if (checked && !Number.isNaN(checked.getTime())) return { at: checked, hasTime: true };
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(p?.accepting_updated_at ?? '');
  if (!m) return null;
  return { at: new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00+09:00`), hasTime: false };
}

/**
 * 「11/28」 for a day of this year (in Japan), 「2025/11/28」 otherwise.
 * @param {Date} at
 * @param {Date} now
 */
export function monthDay(at, now = new Date()) {
  const d = japanParts(at);
  const md = `${d.month}/${d.day}`;
  return d.year === japanParts(now).year ? md : `${d.year}/${md}`;
}

/**
 * 「11月28日 14:05」 (with the year when it is not this year; without the time when only the
 * day is known), as the provider page and the staff page show the last confirmation.
 * @param {{at: Date, hasTime: boolean}} confirmed
 * @param {Date} now
 */
export function confirmedText(confirmed, now = new Date()) {
  const d = japanParts(confirmed.at);
  const day = `${d.year === japanParts(now).year ? '' : `${d.year}年`}${d.month}月${d.day}日`;
  if (!confirmed.hasTime) return day;
  return `${day} ${String(d.hour).padStart(2, '0')}:${String(d.minute).padStart(2, '0')}`;
}

/**
 * Whole days since the confirmation, counted in Japan's calendar (0 on the same day).
 * @param {Date} at
 * @param {Date} now
 */
export function daysSince(at, now = new Date()) {
  const day = (date) => {
    const d = japanParts(date);
    return Date.UTC(d.year, d.month - 1, d.day) / DAY_MS;
  };
  return Math.max(0, day(now) - day(at));
}

/**
 * The one short text of a provider's vacancy, and its tone:
 * 「受入可（11/28確認）」 (tone ok / consult / no), or for a stale one 「受入可（確認から45日）」 /
 * 「受入可（未確認）」 (tone stale, shown muted), or 「受入状況不明」 (tone unknown).
 * @param {object} p provider properties (`accepting`, `accepting_checked_at`,
 *   `accepting_updated_at`, `accepting_stale`)
 * @param {Date} now
 * @returns {{text: string, tone: string, stale: boolean}}
 */
export function vacancyBadge(p, now = new Date()) {
  const state = acceptingState(p?.accepting);
  if (!state) return { text: '受入状況不明', tone: 'unknown', stale: false };
  const label = LABELS[state];
  const confirmed = confirmedAt(p);
  if (p.accepting_stale === true) {
    const age = confirmed ? `確認から${daysSince(confirmed.at, now)}日` : '未確認';
    return { text: `${label}（${age}）`, tone: 'stale', stale: true };
  }
  const text = confirmed ? `${label}（${monthDay(confirmed.at, now)}確認）` : label;
  return { text, tone: state === 'yes' ? 'ok' : state, stale: false };
}

/**
 * The details beside the state: 「空き2人」 and the note, as short texts ('' parts left out).
 * @param {object} p provider properties
 * @returns {string[]}
 */
export function vacancyDetails(p) {
  const out = [];
  if (Number.isInteger(p?.accepting_places)) out.push(`空き${p.accepting_places}人`);
  if (typeof p?.accepting_note === 'string' && p.accepting_note.trim()) out.push(p.accepting_note.trim());
  return out;
}
