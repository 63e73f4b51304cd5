// The import section of the staff page: choose the kind of file and the files, check what
// the import would change (a dry run: nothing is saved), then commit. The report (counts,
// skipped rows with file and line, warnings, the changes) is shown as text, never as HTML.

import { ApiError } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import { staffUpload } from './api.js';
import { changeText } from './form-values.js';

const IMPORTS = '/api/admin/imports';
/** Sources whose files carry a city code (`city=` applies). */
const WITH_CITY = new Set(['mhlw-care', 'iryo-net', 'isj-oaza', 'isj-gaiku', 'abr']);
/** Sources that replace a whole layer (address points, 地域包括支援センター): admin only, no provider options. */
export const LAYER_SOURCES = new Set(['isj-oaza', 'isj-gaiku', 'abr', 'community-centers']);

/** What to choose for each source, shown under the list. */
const SOURCE_HELP = {
  'mhlw-care': 'サービスごとの CSV（jigyosho_<サービスコード>.csv）。ファイル名は変えずに選んでください。',
  'iryo-net': '病院（01-1_…）と診療所（02-1_…）の施設票 CSV。',
  kouseikyoku: '関東信越厚生局の届出受理医療機関名簿（医科）の Excel。診療所・病院を先に取り込んでください。',
  geojson: 'このシステムから書き出した GeoJSON など。',
  'isj-oaza':
    '国土交通省 位置参照情報の「大字・町丁目レベル」CSV（Shift_JIS のままで構いません）。取り込んだ市区町村の町丁目が置き換わり、住所検索にすぐ反映されます。市区町村コードを入れるとその市区町村だけを取り込みます。管理者の権限が必要です。',
  'isj-gaiku':
    '位置参照情報の「街区レベル」CSV。市区町村は名称で照合するため、先に同じ県の大字・町丁目レベルを取り込んでください。管理者の権限が必要です。',
  abr: 'アドレス・ベース・レジストリの町字マスター、その位置参照拡張、住居表示-住居マスター位置参照拡張の CSV を一度にまとめて選んでください（各ファイルは列名で見分けます）。管理者の権限が必要です。',
  'community-centers':
    '地域包括支援センターの一覧 CSV（1行目：id,name,address,phone,lon,lat,areas。担当区域は町丁目を「;」か「、」で区切ります）。登録済みのセンターはすべてこのファイルの内容に置き換わります。管理者の権限が必要です。',
};
/** Entries of each list shown before "ほか N 件". */
const SHOWN = 100;

const COUNTS = [
  ['rows_read', '読み込んだ行'],
  ['added', '追加'],
  ['changed', '変更'],
  ['unchanged', '変更なし'],
  ['removed', '削除'],
  ['outside_city', '対象外の市区町村'],
  ['ignored', '対象外の行'],
];

/**
 * The query string of an import request.
 * @param {{source: string, city: string, removeMissing: boolean}} choice
 * @param {boolean} dryRun
 */
export function importQuery({ source, city, removeMissing }, dryRun) {
  const params = new URLSearchParams({ source, dry_run: String(dryRun) });
  if (city && WITH_CITY.has(source)) params.set('city', city);
  if (removeMissing && !LAYER_SOURCES.has(source)) params.set('remove_missing', 'true');
  return params.toString();
}

/** Japanese for the reasons an address row is skipped (the rest as given). */
const LAYER_REASONS = [
  [/^city (\S+) is not/, (m) => `市区町村 ${m[1]} は指定した市区町村ではありません`],
  [/deleted/, () => '削除された街区です（更新後履歴フラグ 3）'],
  [/coordinates|latitude|longitude/, () => '座標（緯度・経度）が空か、日本の範囲外です'],
];

/**
 * Renders the report of an address or centre import into `el`.
 * @param {Element} el
 * @param {any} report
 */
export function renderLayerReport(el, report) {
  const heading = report.dry_run ? '確認結果（まだ保存していません）' : '取り込みました';
  const count = (key, label, value) =>
    h('div', { class: 'import-report__count', 'data-key': key }, h('dt', {}, label), h('dd', {}, String(value ?? 0)));
  if (report.source === 'community-centers') {
    replaceChildren(
      el,
      h('h3', { class: 'import-report__heading' }, heading),
      h('p', { class: 'hint' }, report.file),
      h('dl', { class: 'import-report__counts' }, count('centers', 'センター', report.centers), count('areas', '担当区域', report.areas)),
      h('p', { class: 'hint' }, report.dry_run ? '保存すると、登録済みのセンターはすべてこの内容に置き換わります。' : 'センターの一覧と「この住所の地域包括支援センター」にすぐ反映されています。'),
    );
    return;
  }
  replaceChildren(
    el,
    h('h3', { class: 'import-report__heading' }, heading),
    h('p', { class: 'hint' }, report.files.map((f) => `${f.file}（${f.kind}、${f.rows}行、${f.encoding}）`).join('、')),
    h(
      'dl',
      { class: 'import-report__counts' },
      count('towns', '町字', report.towns),
      count('blocks', '街区', report.blocks),
      count('residences', '住居', report.residences),
      count('skipped', 'スキップ', report.skipped_count),
    ),
    report.cities.length ? h('p', { class: 'hint' }, `対象の市区町村コード：${report.cities.join('、')}（この市区町村の同じ種類の住所データが置き換わります）`) : null,
    list('スキップした行', report.skipped, report.skipped_count, (s) => `${s.file}${s.line ? `:${s.line}` : ''}: ${translate(LAYER_REASONS, s.reason)}`),
  );
}

/** Japanese for the reasons the server gives for a skipped row (the rest as given). */
const REASONS = [
  [/^no usable coordinates/, () => '座標（緯度・経度）が空、0、または日本の範囲外のため取り込めません'],
  [/^事業所番号 '(.*)' is not 10 digits/, (m) => `事業所番号「${m[1]}」が10桁の数字ではありません`],
  [/^unknown サービスの種類 '(.*)'/, (m) => `サービスの種類「${m[1]}」が分かりません（ファイル名を jigyosho_<コード>.csv にしてください）`],
  [/^(事業所名|正式名称|医療機関名称) is empty/, (m) => `${m[1]}が空です`],
  [/^ID '(.*)' is not 13 digits/, (m) => `ID「${m[1]}」が13桁の数字ではありません`],
  [/^ID (\S+) appears again/, (m) => `ID ${m[1]} が重複しています（最初の行を使いました）`],
  [/^id '(.*)' appears again/, (m) => `ID「${m[1]}」が重複しています（最初の地物を使いました）`],
  [/^no clinic or hospital in the database/, () => '医療機関コードまたは名称と住所が一致する診療所・病院がありません'],
  [/matches several providers: (.*)$/, (m) => `複数の事業所（${m[1]}）に一致したため設定しませんでした`],
];

/** Japanese for the warnings the server gives (the rest as given). */
const WARNINGS = [
  [
    /^(\d+) row\(s\) had no usable coordinates/,
    (m) => `${m[1]}行は座標がないためスキップしました。住所から位置を求める表は同梱していないため、必要なら事業所の編集で位置を入れて追加してください。`,
  ],
  [/Tokyo Datum/, () => '旧日本測地系（EPSG:4301）の座標を変換しました。変換の精度は約10mです。'],
  [/^(.*?): (\S+) '(.*)' is left out/, (m) => `${m[1]}: ${m[2]}「${m[3]}」は形式が正しくないため空欄にしました`],
  [/^(.*?): 案内用ホームページアドレス '(.*)' is left out/, (m) => `${m[1]}: ホームページアドレス「${m[2]}」は http(s) のアドレスではないため空欄にしました`],
  [
    /^(.*?): (\d+) row\(s\) of the prefecture carry its prefecture code/,
    (m) => `${m[1]}: ${m[2]}行は市区町村コードではなく都道府県コードが入っているため、市区町村の指定により対象外としました`,
  ],
  [/^(.*?): the file's crs member says/, (m) => `${m[1]}: ファイルに書かれた座標系と違う座標系が指定されたため、指定のほうを使いました`],
];

function translate(table, text) {
  for (const [pattern, render] of table) {
    const m = pattern.exec(text);
    if (m) return render(m);
  }
  return text;
}

/** "file:line: reason" (or "file: 地物 n: reason") of a skipped row, the reason in Japanese. */
export function skippedText(s) {
  const reason = translate(REASONS, s.reason);
  if (s.line != null) return `${s.file}:${s.line}: ${reason}`;
  if (s.feature != null) return `${s.file}: 地物 ${s.feature}: ${reason}`;
  return `${s.file}: ${reason}`;
}

/** A warning in Japanese. */
export function warningText(w) {
  return translate(WARNINGS, w);
}

/**
 * The import's policy as one Japanese sentence: which fields staff own (never overwritten)
 * and whether an empty cell erases a stored value.
 * @param {{blank_clears: boolean, staff_owned: {field: string, label: string}[]}|undefined} policy
 */
export function policyText(policy) {
  if (!policy) return '';
  const staff = policy.staff_owned.map((f) => f.label).join('・');
  const blanks = policy.blank_clears
    ? 'ファイルの空欄は既存の値を消します（「空欄で既存の値を消す」がオン）。'
    : 'ファイルの空欄では既存の値を消しません（「空欄で既存の値を消す」がオフ）。';
  return `取り込みの方針：${staff}は職員が入力した値を残し、取り込みでは上書きしません。${blanks}`;
}

/** A changed provider: its name and id, then each changed field 「電話番号: 旧 → 新」. */
function changedEntry(e, serviceLabels) {
  const changes = e.changes ?? [];
  return [
    `${e.name}（${e.id}）`,
    changes.length
      ? h('ul', { class: 'import-report__changes' }, changes.map((c) => h('li', { class: 'change' }, changeText(c, serviceLabels))))
      : `: ${e.fields.join('、')}`,
  ];
}

function list(title, items, total, render) {
  if (!total) return null;
  const shown = items.slice(0, SHOWN);
  return h(
    'section',
    { class: 'import-report__part' },
    h('h4', { class: 'import-report__title' }, `${title}（${total}件）`),
    h('ul', { class: 'import-report__list' }, shown.map((item) => h('li', {}, render(item)))),
    total > shown.length ? h('p', { class: 'hint' }, `ほか ${total - shown.length} 件`) : null,
  );
}

/**
 * Renders a report into `el`.
 * @param {Element} el
 * @param {any} report the JSON the API answers
 */
export function renderReport(el, report, serviceLabels = new Map()) {
  const heading = report.dry_run ? '確認結果（まだ保存していません）' : '取り込みました';
  const counts = h(
    'dl',
    { class: 'import-report__counts' },
    COUNTS.filter(([key]) => key === 'rows_read' || !['outside_city', 'ignored'].includes(key) || report[key] > 0).map(
      ([key, label]) => h('div', { class: 'import-report__count', 'data-key': key }, h('dt', {}, label), h('dd', {}, String(report[key] ?? 0))),
    ),
    h('div', { class: 'import-report__count', 'data-key': 'skipped' }, h('dt', {}, 'スキップ'), h('dd', {}, String(report.skipped.length))),
  );
  const diff = report.diff ?? { added: [], changed: [], removed: [] };
  replaceChildren(
    el,
    h('h3', { class: 'import-report__heading' }, heading),
    h('p', { class: 'hint' }, report.files.map((f) => `${f.name}（${f.rows}行${f.encoding ? `、${f.encoding}` : ''}）`).join('、')),
    report.policy ? h('p', { class: 'import-report__policy', id: 'import-policy' }, policyText(report.policy)) : null,
    counts,
    list('スキップした行', report.skipped, report.skipped.length, skippedText),
    list('注意', report.warnings, report.warnings.length, warningText),
    list('追加', diff.added, report.added, (e) => `${e.name}（${e.id}）`),
    list('変更', diff.changed, report.changed, (e) => changedEntry(e, serviceLabels)),
    list('削除', diff.removed, report.removed, (e) => `${e.name}（${e.id}）`),
  );
}

/** The text to show for a failed import: the server's detail names the file and the problem. */
export function errorText(error) {
  const problem = error.problem;
  if (error.status === 422 && problem?.invalid_params?.length) {
    return `ファイルを読み込めませんでした（何も保存していません）。\n${problem.invalid_params.map((p) => p.reason).join('\n')}`;
  }
  if (error.status === 400 && problem?.invalid_params?.length) {
    return `指定に誤りがあります：\n${problem.invalid_params.map((p) => `${p.name}: ${p.reason}`).join('\n')}`;
  }
  if (error.status === 409) return `${problem?.detail ?? error.userMessage}\nもう一度お試しください。`;
  if (error.status === 403) return '住所データと地域包括支援センターの取り込みには管理者（admin）の権限が必要です。';
  return error.userMessage;
}

/**
 * Wires the import section.
 * @param {{token: () => string|null, onCommitted: () => void, onLayerCommitted?: () => void, serviceLabels?: () => Map<string,string>}} options
 */
export function setUpImports({ token, onCommitted, onLayerCommitted = () => {}, serviceLabels = () => new Map() }) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    form: $('import-form'),
    source: $('import-source'),
    files: $('import-files'),
    city: $('import-city'),
    remove: $('import-remove'),
    blank: $('import-blank'),
    check: $('import-check'),
    commit: $('import-commit'),
    status: $('import-status'),
    report: $('import-report'),
    help: $('import-source-help'),
  };
  let checked = false;

  const choice = () => ({ source: ui.source.value, city: ui.city.value.trim(), removeMissing: ui.remove.checked });
  const status = (text, kind) => {
    ui.status.textContent = text;
    ui.status.className = `message message--${kind}`;
    ui.status.hidden = !text;
  };
  const changed = () => {
    checked = false;
    ui.commit.disabled = true;
    const layer = LAYER_SOURCES.has(ui.source.value);
    ui.city.disabled = !WITH_CITY.has(ui.source.value);
    ui.remove.disabled = layer;
    ui.blank.disabled = layer;
    ui.help.textContent = SOURCE_HELP[ui.source.value] ?? '';
  };

  async function send(dryRun) {
    const files = [...ui.files.files];
    if (!files.length) {
      status('ファイルを選んでください。', 'error');
      return;
    }
    ui.check.disabled = true;
    ui.commit.disabled = true;
    status(dryRun ? '内容を確認しています…' : '取り込んでいます…', 'info');
    try {
      const layer = LAYER_SOURCES.has(ui.source.value);
      const fields = layer ? {} : { blank_clears: String(ui.blank.checked) };
      const { data } = await staffUpload(`${IMPORTS}?${importQuery(choice(), dryRun)}`, { token: token(), files, fields });
      if (layer) renderLayerReport(ui.report, data);
      else renderReport(ui.report, data, serviceLabels());
      checked = dryRun;
      status(
        dryRun ? '確認しました。内容がよければ「この内容で取り込む」を押してください。' : '取り込みが完了しました。地図と検索にすぐ反映されています。',
        'ok',
      );
      if (!dryRun) (layer ? onLayerCommitted : onCommitted)();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      checked = false;
      replaceChildren(ui.report);
      status(errorText(error), 'error');
    } finally {
      ui.check.disabled = false;
      ui.commit.disabled = !checked;
    }
  }

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    send(true);
  });
  ui.commit.addEventListener('click', () => {
    if (checked) send(false);
  });
  ui.form.addEventListener('input', changed);
  ui.form.addEventListener('change', changed);
  changed();
}
