// The population section of the staff page: choose e-Stat 地域メッシュ統計 files, pick the
// columns from the file's own code and label lines, check what would be stored (squares,
// suppressed squares, totals; nothing is saved), then commit. The same import as
// `caremap import --source estat-mesh`; the 地域の状況 view uses the new columns at once.
// Everything from the files is shown as text, never as HTML.

import { ApiError } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import { staffUpload } from './api.js';
import { errorText } from './imports.js';

const IMPORTS = '/api/admin/imports';

/**
 * The query string of a population import.
 * @param {boolean} dryRun
 */
export function populationQuery(dryRun) {
  return new URLSearchParams({ source: 'estat-mesh', dry_run: String(dryRun) }).toString();
}

const number = (v) => Number(v).toLocaleString('ja-JP');

/**
 * The report of a check or a commit: one row per column with its squares, suppressed squares
 * and total.
 * @param {Element} el
 * @param {{dry_run: boolean, files: string[], columns: {code: string, label: string, mesh: string,
 *   squares: number, suppressed: number, total: number}[]}} report
 */
export function renderPopulationReport(el, report) {
  const heading = report.dry_run ? '確認結果（まだ保存していません）' : '取り込みました';
  const rows = report.columns.map((c) =>
    h(
      'tr',
      { 'data-code': c.code },
      h('td', {}, c.code),
      h('td', {}, c.label),
      h('td', {}, c.mesh),
      h('td', { class: 'num', 'data-key': 'squares' }, number(c.squares)),
      h('td', { class: 'num', 'data-key': 'suppressed' }, number(c.suppressed)),
      h('td', { class: 'num', 'data-key': 'total' }, number(c.total)),
    ),
  );
  replaceChildren(
    el,
    h('h3', { class: 'import-report__heading' }, heading),
    h('p', { class: 'hint' }, report.files.join('、')),
    h(
      'table',
      { class: 'population-report' },
      h('caption', { class: 'hint' }, '項目ごとのメッシュ数と人数'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['項目コード', '項目名', 'メッシュ', 'メッシュ数', 'うち秘匿', '合計（人）'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', {}, rows),
    ),
    h('p', { class: 'hint' }, '秘匿（*）のメッシュには独自の値がありません。その人数は合算先のメッシュに含まれています。'),
  );
}

/** The text of a failed request: a bad column in Japanese, the rest as the other imports say it. */
function failureText(error) {
  const column = error.problem?.invalid_params?.find((p) => p.name === 'column');
  if (error.status === 400 && column) {
    const unknown = /unknown column '([^']*)'/.exec(column.reason);
    return unknown ? `項目「${unknown[1]}」がファイルにありません。` : '取り込む項目を1つ以上選んでください。';
  }
  return errorText(error);
}

/**
 * Wires the population section.
 * @param {{token: () => string|null}} options
 */
export function setUpPopulationImport({ token }) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    form: $('population-form'),
    files: $('population-files'),
    columns: $('population-columns'),
    list: $('population-column-list'),
    check: $('population-check'),
    commit: $('population-commit'),
    status: $('population-status'),
    report: $('population-report'),
  };
  let checked = false;

  const status = (text, kind) => {
    ui.status.textContent = text;
    ui.status.className = `message message--${kind}`;
    ui.status.hidden = !text;
  };
  const chosen = () => [...ui.list.querySelectorAll('input[type="checkbox"]:checked')].map((c) => c.value);
  const upload = (dryRun, columns) =>
    staffUpload(`${IMPORTS}?${populationQuery(dryRun)}`, { token: token(), files: [...ui.files.files], fields: { column: columns } });

  /** The file's columns as checkboxes, keeping what was ticked. */
  function showOffered(offered) {
    const keep = new Set(chosen());
    replaceChildren(
      ui.list,
      offered.map((c, i) =>
        h(
          'label',
          { class: 'check', for: `population-column-${i}` },
          h('input', { id: `population-column-${i}`, type: 'checkbox', value: c.code, checked: keep.has(c.code) }),
          `${c.code}　${c.label}`,
        ),
      ),
    );
    ui.columns.hidden = offered.length === 0;
  }

  async function run(label, action) {
    ui.check.disabled = true;
    ui.commit.disabled = true;
    status(label, 'info');
    try {
      await action();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      checked = false;
      replaceChildren(ui.report);
      status(failureText(error), 'error');
    } finally {
      ui.check.disabled = false;
      ui.commit.disabled = !checked;
    }
  }

  const offer = () =>
    run('ファイルの項目を読み込んでいます…', async () => {
      const { data } = await upload(true, []);
      showOffered(data.offered);
      replaceChildren(ui.report);
      status('ファイルの項目を読み込みました。取り込む項目を選んでください。', 'ok');
    });

  async function send(dryRun) {
    if (!ui.files.files.length) {
      status('ファイルを選んでください。', 'error');
      return;
    }
    const columns = chosen();
    if (!columns.length) {
      status('取り込む項目を1つ以上選んでください。', 'error');
      return;
    }
    await run(dryRun ? '内容を確認しています…' : '取り込んでいます…', async () => {
      const { data } = await upload(dryRun, columns);
      renderPopulationReport(ui.report, data);
      checked = dryRun;
      status(
        dryRun
          ? '確認しました。内容がよければ「この内容で取り込む」を押してください。'
          : '取り込みが完了しました。「地域の状況」の人口にすぐ使われます。',
        'ok',
      );
    });
  }

  ui.files.addEventListener('change', () => {
    checked = false;
    replaceChildren(ui.report);
    if (ui.files.files.length) {
      offer();
    } else {
      replaceChildren(ui.list);
      ui.columns.hidden = true;
    }
  });
  ui.form.addEventListener('change', (event) => {
    if (event.target === ui.files) return;
    checked = false;
    ui.commit.disabled = true;
  });
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    send(true);
  });
  ui.commit.addEventListener('click', () => {
    if (checked) send(false);
  });
}
