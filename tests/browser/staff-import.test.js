// Browser tests of the import sections of the staff page: choose an MHLW file, check the
// changes (nothing is saved), commit, and see the result in the public API at once; a file
// with a wrong header is refused with its name and the expected header, and nothing changes.
// The fixture rows are invented, in the official 24-column layout. The population section reads
// an e-Stat mesh file's columns, checks and commits it, and the coverage API uses it at once.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { axeViolations } from './lib/axe.js';
import { addUser, launchBrowser, startServer, withPage } from './lib/harness.js';

const PAYLOAD = '<img src=x onerror=window.__xss=1>';
const HEADER =
  '都道府県コード又は市町村コード,No,都道府県名,市区町村名,事業所名,事業所名カナ,サービスの種類,住所,方書（ビル名等）,緯度,経度,' +
  '電話番号,FAX番号,法人番号,法人の名称,事業所番号,利用可能曜日,利用可能曜日特記事項,定員,URL,' +
  '高齢者の方と障害者の方が同時一体的に利用できるサービス,介護保険の通常の指定基準を満たしている,障害福祉の通常の指定基準を満たしている,備考';

let server;
let browser;
let token;

/** One invented office row (24 cells). */
function row(code, name, lat = '35.8601', lon = '139.9101', phone = '04-7150-0001') {
  const cells = Array(24).fill('');
  Object.assign(cells, {
    0: '122203', 1: code, 2: '千葉県', 3: '流山市', 4: name, 6: '訪問介護', 7: '千葉県流山市平和台1-2-3',
    9: lat, 10: lon, 11: phone, 15: code, 16: '"平日,土曜日"', 18: '0',
  });
  return cells.join(',');
}

function csvFile(name, lines) {
  return { name, mimeType: 'text/csv', buffer: Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8') };
}

/** Runs `run` on the staff page signed in with the test's token (see withPage). */
function withSignedInPage(run) {
  return withPage(browser, server.baseUrl, { path: '/staff.html' }, async (opened) => {
    await opened.page.fill('#token-input', token);
    await opened.page.press('#token-input', 'Enter');
    await opened.page.waitForSelector('#app', { state: 'visible' });
    return run(opened);
  });
}

async function status(page, pattern) {
  await page.waitForFunction(
    ([source]) => {
      const el = document.getElementById('import-status');
      return !el.hidden && new RegExp(source).test(el.textContent);
    },
    [pattern.source],
  );
  return page.textContent('#import-status');
}

const count = (page, key) => page.textContent(`#import-report [data-key="${key}"] dd`);

before(async () => {
  server = await startServer();
  token = addUser(server, 'importer');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('staff page imports', () => {
  it('checks the changes first, then commits, and the public API sees them at once', async () => {
    await withSignedInPage(async ({ page, problems }) => {
      const file = csvFile('jigyosho_110.csv', [
        HEADER,
        row('1279000001', 'ひかり訪問介護'),
        row('1279000002', PAYLOAD),
        row('1279000003', '座標なし訪問介護', '0.0', '0.0'),
      ]);
      await page.selectOption('#import-source', 'mhlw-care');
      await page.setInputFiles('#import-files', file);
      assert.equal(await page.isDisabled('#import-commit'), true, 'no commit before a check');
      await page.click('#import-check');
      await status(page, /確認しました/);
      assert.match(await page.textContent('.import-report__heading'), /まだ保存していません/);
      assert.equal(await count(page, 'added'), '2');
      assert.equal(await count(page, 'skipped'), '1');
      const report = await page.textContent('#import-report');
      assert.match(report, /jigyosho_110\.csv:4: 座標（緯度・経度）が空、0、または日本の範囲外/);
      assert.match(report, /住所から位置を求める表は同梱していない/);
      assert.ok(report.includes(PAYLOAD), 'names are shown as text');
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      let response = await fetch(`${server.baseUrl}/api/providers/care-1279000001`);
      assert.equal(response.status, 404, 'the check saved nothing');

      await page.click('#import-commit');
      await status(page, /取り込みが完了しました/);
      assert.match(await page.textContent('.import-report__heading'), /取り込みました/);
      response = await fetch(`${server.baseUrl}/api/providers/care-1279000001`);
      assert.equal(response.status, 200);
      assert.equal((await response.json()).properties.name, 'ひかり訪問介護');
      assert.equal(await page.isDisabled('#import-commit'), true, 'a commit needs a new check');
      assert.deepEqual(problems, []);
    });
  });

  it('refuses a file with a wrong header, naming it and the expected header', async () => {
    await withSignedInPage(async ({ page }) => {
      const before = (await server.getJson('/api/providers?limit=10000')).numberMatched;
      await page.setInputFiles('#import-files', csvFile('jigyosho_430.csv', ['事業所番号,名前', '1,x']));
      await page.click('#import-check');
      const text = await status(page, /読み込めませんでした/);
      assert.match(text, /jigyosho_430\.csv/);
      assert.match(text, /都道府県コード又は市町村コード,No,都道府県名/);
      assert.equal(await page.isDisabled('#import-commit'), true);
      assert.equal((await server.getJson('/api/providers?limit=10000')).numberMatched, before);
    });
  });

  it('shows each change with its label and old → new, and states the policy in force', async () => {
    await withSignedInPage(async ({ page, problems }) => {
      const code = '1279000011';
      const put = async (file) => {
        await page.setInputFiles('#import-files', file);
        await page.click('#import-check');
        await status(page, /確認しました/);
      };
      await put(csvFile('jigyosho_110.csv', [HEADER, row(code, 'みなみ訪問介護')]));
      await page.click('#import-commit');
      await status(page, /取り込みが完了しました/);

      await put(csvFile('jigyosho_110.csv', [HEADER, row(code, 'みなみ訪問介護', '35.8601', '139.9101', '04-7150-0009')]));
      const changed = await page.textContent('#import-report');
      assert.match(changed, /電話番号: 04-7150-0001 → 04-7150-0009/);
      assert.doesNotMatch(changed, /phone/);
      const policy = await page.textContent('#import-policy');
      // Every staff-owned field of the server's table, in its order (the vacancy ones included).
      assert.match(policy, /備考・受入可否・空き状況のメモ・空き人数・空き状況の確認日時・受入可否の確認日は職員が入力した値を残し/);
      assert.match(policy, /空欄では既存の値を消しません/);

      // An empty phone cell erases the stored number only with the checkbox.
      const blank = csvFile('jigyosho_110.csv', [HEADER, row(code, 'みなみ訪問介護', '35.8601', '139.9101', '')]);
      await put(blank);
      assert.equal(await count(page, 'unchanged'), '1');
      await page.check('#import-blank');
      await put(blank);
      assert.match(await page.textContent('#import-policy'), /空欄は既存の値を消します/);
      assert.match(await page.textContent('#import-report'), /電話番号: 04-7150-0001 → （なし）/);
      await page.click('#import-commit');
      await status(page, /取り込みが完了しました/);
      const served = await server.getJson(`/api/providers/care-${code}`);
      assert.ok(served.properties.phone == null, 'the phone is gone');
      assert.deepEqual(problems, []);
    });
  });
});

/** An e-Stat 地域メッシュ統計 file in cp932 (Shift_JIS): a line of codes, a line of labels, and
 * invented counts for three 500 m squares of the sample city, the third suppressed (`*`) into
 * the first. Its last column's label is markup, to prove labels are shown as text. */
function estatFile() {
  const lines = [
    'KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001141001,T001141022,T001141023,T009999999',
    `,,,,人口（総数）,７５歳以上人口　総数,７５歳以上人口　男,${PAYLOAD}`,
    '533957923,1,,533957933,1000,150,77,1',
    '533957924,0,,,1200,160,71,1',
    '533957933,2,533957923,,*,*,*,*',
  ];
  const decoder = new TextDecoder('shift_jis');
  // Node has no Shift_JIS encoder: map each character through a table of the ones used here.
  const table = new Map();
  for (let code = 0x8140; code <= 0x9ffc; code += 1) {
    const bytes = Uint8Array.of(code >> 8, code & 0xff);
    const ch = decoder.decode(bytes);
    if (ch.length === 1 && !table.has(ch)) table.set(ch, bytes);
  }
  const out = [];
  for (const ch of `${lines.join('\r\n')}\r\n`) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else out.push(...table.get(ch));
  }
  return { name: 'tblT001141H5339.txt', mimeType: 'text/plain', buffer: Buffer.from(out) };
}

const loadedColumns = async () => (await server.getJson('/api/coverage/presets')).population.map((c) => c.code);

describe('staff page population import', () => {
  it('shows the file’s columns with their labels, checks the chosen ones, then commits for 地域の状況', async () => {
    await withSignedInPage(async ({ page, problems }) => {
      const popStatus = async (pattern) => {
        await page.waitForFunction(
          ([source]) => {
            const el = document.getElementById('population-status');
            return !el.hidden && new RegExp(source).test(el.textContent);
          },
          [pattern.source],
        );
        return page.textContent('#population-status');
      };
      await page.setInputFiles('#population-files', estatFile());
      await popStatus(/項目を読み込みました/);
      const columns = await page.textContent('#population-columns');
      assert.match(columns, /T001141023　７５歳以上人口　男/, 'the label line of the cp932 file');
      assert.ok(columns.includes(PAYLOAD), 'labels are shown as text');
      assert.equal(await page.evaluate(() => window.__xss), undefined);

      await page.click('#population-check');
      await popStatus(/1つ以上選んでください/);
      assert.equal(await page.isDisabled('#population-commit'), true);

      await page.check('#population-columns input[value="T001141023"]');
      await page.click('#population-check');
      await popStatus(/確認しました/);
      assert.deepEqual(await axeViolations(page), [], 'the column list and the report are accessible');
      const cell = (key) => page.textContent(`#population-report tr[data-code="T001141023"] [data-key="${key}"]`);
      assert.deepEqual([await cell('squares'), await cell('suppressed'), await cell('total')], ['3', '1', '148']);
      assert.match(await page.textContent('#population-report'), /まだ保存していません/);
      assert.equal((await loadedColumns()).includes('T001141023'), false, 'the check saved nothing');

      await page.click('#population-commit');
      await popStatus(/取り込みが完了しました/);
      assert.ok((await loadedColumns()).includes('T001141023'));
      const cells = await server.getJson('/api/coverage?mesh=500m&population=T001141023');
      assert.equal(cells.features.find((f) => f.id === '533957923').properties.population, 77);
      assert.equal(await page.isDisabled('#population-commit'), true, 'a commit needs a new check');
      assert.deepEqual(problems, []);
    });
  });
});
