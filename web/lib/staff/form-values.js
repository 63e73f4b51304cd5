// The staff edit form as plain data: a provider Feature ⇄ form values, what the user changed,
// re-applying those changes on top of a newer version (after a 412), and the Japanese labels
// of fields, values and history actions. The fields themselves come from the server
// (`GET /api/fields`, see `useFields`). No DOM here, so Node can test it.

import { acceptingLabel, acceptingState } from '../shared/vacancy.js';

/**
 * The fields the form edits with a plain input, in form order: property name, Japanese label,
 * input type, extra attributes. Filled from `GET /api/fields` by `useFields`.
 * @type {{name: string, label: string, type: string, required: boolean, inputmode?: string, hint?: string}[]}
 */
export const TEXT_FIELDS = [];

/** The form opens with what names the provider; the other inputs follow in the table's order. */
const LEADING_FIELDS = ['name', 'name_kana'];

export const KINDS = [
  { id: 'care', label: '介護事業所' },
  { id: 'clinic', label: '診療所' },
  { id: 'hospital', label: '病院' },
  { id: 'pharmacy', label: '薬局' },
];

export const HOME_CARE_CLASSES = [
  { id: '', label: '届出なし' },
  { id: 'enhanced_solo', label: '在宅療養支援（機能強化型・単独型）' },
  { id: 'enhanced_network', label: '在宅療養支援（機能強化型・連携型）' },
  { id: 'standard', label: '在宅療養支援（従来型）' },
];

export const HOME_CARE_FLAGS = [
  { id: 'house_calls', label: '往診' },
  { id: 'home_visits', label: '訪問診療' },
  { id: 'available_24h', label: '24時間対応' },
  { id: 'end_of_life', label: '看取り' },
];

/**
 * Japanese names of every property the API may name in an error or a history change (from
 * `GET /api/fields`), and of the two names that are no provider field.
 */
export const FIELD_LABELS = { deleted: '削除', id: 'ID' };

/** The words for yes and no of each flag field (受入可否: 受入可 / 受入不可), from `GET /api/fields`. */
const FLAG_WORDS = {};

/**
 * Takes the provider's fields as `GET /api/fields` lists them (key, label, type, owner, form,
 * values): the labels, the flag words and the form's plain inputs all come from there, so a
 * field added on the server appears in the form without a change here.
 * @param {{key: string, label: string, form: null | {input: string, numeric: boolean, required: boolean, hint: string|null}, values?: {true: string, false: string}}[]} fields
 */
export function useFields(fields) {
  const inputs = fields
    .filter((f) => f.form)
    .map((f) => ({
      name: f.key,
      label: f.label,
      type: f.form.input,
      required: f.form.required,
      inputmode: f.form.numeric ? 'numeric' : undefined,
      hint: f.form.hint ?? undefined,
    }));
  const rank = (f) => (LEADING_FIELDS.includes(f.name) ? LEADING_FIELDS.indexOf(f.name) : LEADING_FIELDS.length);
  inputs.sort((a, b) => rank(a) - rank(b));
  TEXT_FIELDS.splice(0, TEXT_FIELDS.length, ...inputs);
  for (const f of fields) {
    FIELD_LABELS[f.key] = f.label;
    if (f.values) FLAG_WORDS[f.key] = f.values;
  }
}

const ACTION_LABELS = {
  create: '新規登録',
  update: '更新',
  delete: '削除',
  restore: '復元',
  revert: '以前の版に戻す',
  'load-data': '初期データの読み込み',
  sample: '初期データの読み込み',
  gen: '初期データの読み込み',
  import: '公開データの取り込み',
  'import-delete': '取り込みで削除（ファイルにない）',
  'import-restore': '取り込みで復元',
  vacancy: '空き状況の更新',
  'vacancy-confirm': '空き状況の確認（変わりなし）',
};

/** The Japanese label of a history action. */
export function actionLabel(action) {
  return ACTION_LABELS[action] ?? action;
}

/** Vacancy details a provider sets itself; the staff form keeps them unless it edits them. */
export const VACANCY_KEPT = ['accepting_note', 'accepting_places'];

const isClinical = (kind) => kind === 'clinic' || kind === 'hospital';

/**
 * Form values (strings, booleans, arrays) of a provider Feature.
 * @param {object} feature a GeoJSON Feature as the staff API answers it
 */
export function valuesFromFeature(feature) {
  const p = feature.properties ?? {};
  const values = {};
  for (const f of TEXT_FIELDS) values[f.name] = p[f.name] === null || p[f.name] === undefined ? '' : String(p[f.name]);
  values.kind = p.kind ?? 'care';
  values.services = [...(p.services ?? [])].sort();
  values.accepting = acceptingState(p.accepting) ?? '';
  values.accepting_updated_at = p.accepting_updated_at ?? '';
  // The vacancy details the form has no input for are sent back as they are.
  for (const key of VACANCY_KEPT) {
    if (!TEXT_FIELDS.some((f) => f.name === key)) values[key] = p[key] === null || p[key] === undefined ? '' : String(p[key]);
  }
  const [lon, lat] = feature.geometry?.coordinates ?? [];
  values.lon = lon === undefined || lon === null ? '' : String(lon);
  values.lat = lat === undefined || lat === null ? '' : String(lat);
  const hc = p.home_care ?? {};
  values.hc_class = hc.class ?? '';
  for (const flag of HOME_CARE_FLAGS) values[`hc_${flag.id}`] = Boolean(hc[flag.id]);
  return values;
}

function textOrNull(s) {
  const t = String(s ?? '').trim();
  return t === '' ? null : t;
}

function coordinate(s) {
  const t = String(s ?? '').trim();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : null;
}

/**
 * The Feature to send for form values. Values the server must judge (a capacity that is not
 * a number, say) are sent as typed, so the server names the field.
 * @param {string} id
 * @param {object} values
 */
export function featureFromValues(id, values) {
  const feature = featureBody(values);
  // Without an id (a new provider) the server assigns one.
  return id === null || id === undefined ? feature : { type: feature.type, id, geometry: feature.geometry, properties: feature.properties };
}

/** The form values of a provider not yet registered: a care office with nothing filled in. */
export function emptyValues() {
  return valuesFromFeature({ type: 'Feature', geometry: null, properties: { kind: 'care' } });
}

function featureBody(values) {
  const properties = { kind: values.kind };
  for (const f of TEXT_FIELDS) properties[f.name] = textOrNull(values[f.name]);
  properties.name = String(values.name ?? '').trim();
  const capacity = textOrNull(values.capacity);
  properties.capacity = capacity === null ? null : /^\d+$/.test(capacity) ? Number(capacity) : capacity;
  properties.services = [...values.services];
  properties.accepting = acceptingState(values.accepting);
  properties.accepting_updated_at = textOrNull(values.accepting_updated_at);
  for (const key of VACANCY_KEPT) if (key in values) properties[key] = textOrNull(values[key]);
  const places = properties.accepting_places;
  if (typeof places === 'string' && /^\d+$/.test(places)) properties.accepting_places = Number(places);
  const flags = Object.fromEntries(HOME_CARE_FLAGS.map((f) => [f.id, Boolean(values[`hc_${f.id}`])]));
  const anyHomeCare = values.hc_class !== '' || Object.values(flags).some(Boolean);
  properties.home_care = isClinical(values.kind) && anyHomeCare ? { class: values.hc_class || null, ...flags } : null;
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [coordinate(values.lon), coordinate(values.lat)] },
    properties,
  };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The form keys whose values differ between two sets of values.
 * @returns {string[]}
 */
export function changedKeys(before, after) {
  return Object.keys(after).filter((k) => !same(before[k], after[k]));
}

/**
 * After a 412: the latest values with the user's own changes (mine vs the version they
 * started from) applied on top. Returns the values and the keys re-applied.
 */
export function reapply(latest, base, mine) {
  const keys = changedKeys(base, mine);
  const values = { ...latest };
  for (const k of keys) values[k] = mine[k];
  return { values, keys };
}

/** The Japanese label of a form key (lon/lat are the position, hc_* the home care). */
export function keyLabel(key) {
  if (key === 'lon' || key === 'lat') return FIELD_LABELS.geometry;
  if (key.startsWith('hc_')) return FIELD_LABELS.home_care;
  return FIELD_LABELS[key] ?? key;
}

/** Today's date in Japan as YYYY-MM-DD (the date 受入可否 was confirmed). */
export function todayInJapan(now = new Date()) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const get = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** An RFC 3339 time as Japanese local text, e.g. 「2026/11/01 18:30」. */
export function formatTime(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return String(rfc3339 ?? '');
  return new Intl.DateTimeFormat('ja-JP', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(d);
}

/**
 * A value of a history change as short Japanese text.
 * @param {string} field the API property name
 * @param {unknown} value
 * @param {Map<string,string>} serviceLabels code → label
 */
export function describeValue(field, value, serviceLabels = new Map()) {
  if (value === null || value === undefined || value === '') return '（なし）';
  if (field === 'accepting' && acceptingLabel(value)) return acceptingLabel(value);
  if (typeof value === 'boolean' && FLAG_WORDS[field]) return FLAG_WORDS[field][String(value)];
  if (field === 'accepting_checked_at') return formatTime(value);
  if (field === 'deleted') return value ? '削除済み' : '公開中';
  if (field === 'kind') return KINDS.find((k) => k.id === value)?.label ?? String(value);
  if (field === 'services' && Array.isArray(value)) {
    return value.length ? value.map((c) => serviceLabels.get(c) ?? c).join('、') : '（なし）';
  }
  if (field === 'geometry' && Array.isArray(value)) return `経度 ${value[0]}、緯度 ${value[1]}`;
  if (field === 'home_care' && typeof value === 'object') {
    const cls = HOME_CARE_CLASSES.find((c) => c.id === (value.class ?? ''))?.label ?? '';
    const flags = HOME_CARE_FLAGS.filter((f) => value[f.id]).map((f) => f.label);
    return [cls, ...flags].filter(Boolean).join('、');
  }
  if (typeof value === 'boolean') return value ? 'はい' : 'いいえ';
  return String(value);
}

/**
 * One change (of the history or an import's dry run) as a line people read:
 * 「電話番号: 04-7150-1234 → 04-7150-9999」. Districts are shown by name when the API gives it.
 * @param {{field: string, label?: string, from: unknown, to: unknown, from_name?: string, to_name?: string}} change
 * @param {Map<string,string>} serviceLabels code → label
 */
export function changeText(change, serviceLabels = new Map()) {
  const label = change.label || FIELD_LABELS[change.field] || change.field;
  const from = change.from_name ?? describeValue(change.field, change.from, serviceLabels);
  const to = change.to_name ?? describeValue(change.field, change.to, serviceLabels);
  return `${label}: ${from} → ${to}`;
}

/**
 * The Japanese message for a field the server refused (its reasons are English, for API
 * clients). `reason` refines a few messages (which service code, outside Japan).
 * @param {string} name the API property name
 * @param {string} reason
 */
export function fieldMessage(name, reason = '') {
  // The server's text limits (TEXT_LIMITS in src/domain/provider.rs) apply to every field alike.
  const max = /at most (\d+) characters/.exec(reason)?.[1];
  if (max) return `${FIELD_LABELS[name] ?? name}は${max}文字以内で入力してください。`;
  switch (name) {
    case 'name':
      return '名称を入力してください。';
    case 'services': {
      const code = /'([^']*)'/.exec(reason)?.[1];
      return code ? `不明なサービス種別コード「${code}」があります。` : 'サービス種別を確認してください。';
    }
    case 'official_code':
      return '事業所番号・医療機関コードは10桁または13桁の数字で入力してください。';
    case 'corporate_number':
      return '法人番号は13桁の数字で入力してください。';
    case 'phone':
    case 'fax':
      return `${FIELD_LABELS[name]}の形式が正しくありません。市外局番から入力してください（例：04-7150-1234）。`;
    case 'url':
      return 'http:// または https:// で始まるアドレスを入力してください。';
    case 'capacity':
      return '定員は0以上の整数で入力してください（定員がない場合は空欄）。';
    case 'accepting_places':
      return '空き人数は0〜999の整数で入力してください（わからなければ空欄）。';
    case 'accepting_updated_at':
      return '確認日は日付で入力してください（例：2026-11-01）。';
    case 'geometry':
      return /outside Japan/.test(reason)
        ? '位置が日本の範囲外です。経度（122〜154）と緯度（20〜46）を確認してください。'
        : '位置（経度・緯度）を数値で入力してください。';
    case 'home_care':
      return '在宅医療は診療所・病院にのみ設定できます。';
    case 'kind':
      return '種別を選んでください。';
    default:
      return `${FIELD_LABELS[name] ?? name}の値が正しくありません。`;
  }
}
