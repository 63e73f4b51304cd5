// Browser tests of 空き状況 freshness (issue 16) on the map page and the staff page: a provider
// confirmed 45 days ago is shown muted as 「受入可（確認から45日）」 and left out of 受入可のみ
// (the page asks for `accepting=yes&accepting_stale=false`) unless 「古い情報も含める」, which a
// shared link keeps; the print carries the date. On the staff page an editor issues a
// 事業所アカウント, sees its token once, prints its letter and revokes it, and the token stops
// working; the 空き状況の確認 list downloads as CSV. The server starts on a copy of data/ with
// two providers' vacancy set (one fresh, one stale).

import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { parseCsv } from '../../web/lib/map/csv.js';
import {
  addUser,
  apiCall,
  copyDataWith,
  launchBrowser,
  listedIds,
  startServer,
  waitForResults,
  withPage,
} from './lib/harness.js';

const DAY_MS = 86_400_000;
const PREFIX = 'テスト空き状況';

let dataDir;
let server;
let browser;
let editorToken;
const ids = {};

before(async () => {
  const now = Date.now();
  dataDir = await copyDataWith((collection) => {
    const care = collection.features.filter((f) => f.properties.kind === 'care');
    const set = (feature, key, name, daysAgo, accepting = 'yes') => {
      feature.properties.name = `${PREFIX}${name}`;
      feature.properties.accepting = accepting;
      feature.properties.accepting_checked_at = new Date(now - daysAgo * DAY_MS).toISOString().replace(/\.\d+Z$/, 'Z');
      feature.properties.accepting_updated_at = null;
      ids[key] = String(feature.id);
    };
    set(care[0], 'stale', '古い事業所', 45);
    set(care[1], 'fresh', '新しい事業所', 1);
    set(care[2], 'closed', '受入不可の事業所', 1, 'no');
  });
  server = await startServer({ dataDir });
  browser = await launchBrowser();
  editorToken = addUser(server, 'city-editor');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const searchPath = (extra = '') => `/?q=${encodeURIComponent(PREFIX)}${extra}`;

describe('freshness on the map page', () => {
  it('serves the seeded providers as stale and fresh', async () => {
    const stale = await server.getJson(`/api/providers/${ids.stale}`);
    const fresh = await server.getJson(`/api/providers/${ids.fresh}`);
    assert.equal(stale.properties.accepting_stale, true);
    assert.equal(fresh.properties.accepting_stale, false);
    assert.equal((await server.getJson('/api/about')).stale_after_days, 30);
  });

  it('shows a stale confirmation muted as 「確認から45日」 and a fresh one with its date', async () => {
    await withPage(browser, server.baseUrl, { path: searchPath() }, async ({ page, problems }) => {
      await waitForResults(page, '名称・住所の検索結果');
      const staleBadge = page.locator(`#results .result[data-id="${ids.stale}"] .badge`).first();
      const freshBadge = page.locator(`#results .result[data-id="${ids.fresh}"] .badge`).first();
      assert.equal(await staleBadge.textContent(), '受入可（確認から45日）');
      assert.match(await staleBadge.getAttribute('class'), /badge--stale/);
      assert.match(await freshBadge.textContent(), /^受入可（\d+\/\d+確認）$/);
      // Muted: the stale badge is not drawn in the 受入可 colour.
      const colour = (l) => l.evaluate((el) => getComputedStyle(el).color);
      assert.notEqual(await colour(staleBadge), await colour(freshBadge));
      assert.equal(await page.textContent('#stale-hint'), '確認から30日を過ぎた受入状況は「古い情報」として薄く表示し、受入可のみの検索から外します。');
      // The printed table carries the day it was confirmed.
      assert.match(await page.textContent('#print-rows'), /受入確認日 \d+月\d+日 \d\d:\d\d/);
      assert.deepEqual(problems, []);
    });
  });

  it('leaves stale ones out of 受入可のみ unless 「古い情報も含める」, and a link keeps the choice', async () => {
    let link;
    await withPage(browser, server.baseUrl, { path: searchPath() }, async ({ page, problems }) => {
      await waitForResults(page, '名称・住所の検索結果');
      assert.deepEqual((await listedIds(page)).sort(), [ids.stale, ids.fresh, ids.closed].sort());
      assert.equal(await page.isDisabled('#include-stale'), true, 'only with 受入可のみ');

      const asked = page.waitForRequest((r) => r.url().includes('/api/providers?') && r.url().includes('accepting='));
      await page.locator('label.toggle:has(#accepting)').click();
      const url = new URL((await asked).url());
      assert.equal(url.searchParams.get('accepting'), 'yes');
      assert.equal(url.searchParams.get('accepting_stale'), 'false');
      await page.waitForFunction((id) => !document.querySelector(`#results .result[data-id="${id}"]`), ids.stale);
      await waitForResults(page, '名称・住所の検索結果');
      assert.deepEqual(await listedIds(page), [ids.fresh]);

      await page.check('#include-stale');
      await page.waitForFunction((id) => document.querySelector(`#results .result[data-id="${id}"]`), ids.stale);
      assert.deepEqual((await listedIds(page)).sort(), [ids.stale, ids.fresh].sort());
      assert.match(await page.textContent('#results-summary'), /受入可のみ（古い情報も含む）/);
      link = page.url();
      assert.match(link, /accepting=true/);
      assert.match(link, /include_stale=true/);
      assert.deepEqual(problems, []);
    });

    // The shared link opens with the same choice and the same list.
    await withPage(browser, server.baseUrl, { path: new URL(link).pathname + new URL(link).search }, async ({ page, problems }) => {
      await waitForResults(page, '名称・住所の検索結果');
      await page.waitForFunction((id) => document.querySelector(`#results .result[data-id="${id}"]`), ids.stale);
      assert.equal(await page.isChecked('#accepting'), true);
      assert.equal(await page.isChecked('#include-stale'), true);
      assert.deepEqual((await listedIds(page)).sort(), [ids.stale, ids.fresh].sort());
      assert.deepEqual(problems, []);
    });
  });

  it('says how to see stale ones when 受入可のみ leaves nothing', async () => {
    const path = `/?q=${encodeURIComponent(`${PREFIX}古い`)}&accepting=true`;
    await withPage(browser, server.baseUrl, { path }, async ({ page, problems }) => {
      await waitForResults(page, '名称・住所の検索結果');
      await page.waitForSelector('#results .result--none');
      assert.match(await page.textContent('#results .result--none'), /確認が古い「受入可」は除いています（「古い情報も含める」で表示できます）/);
      await page.check('#include-stale');
      await page.waitForSelector(`#results .result[data-id="${ids.stale}"]`);
      assert.deepEqual(await listedIds(page), [ids.stale]);
      assert.deepEqual(problems, []);
    });
  });
});

/** Runs `run` on the staff page signed in as the editor. */
function withStaffPage(run) {
  return withPage(browser, server.baseUrl, { path: '/staff.html' }, async (opened) => {
    await opened.page.fill('#token-input', editorToken);
    await opened.page.press('#token-input', 'Enter');
    await opened.page.waitForSelector('#app', { state: 'visible' });
    return run(opened);
  });
}

describe('staff page: 事業所アカウント and 空き状況の確認', () => {
  it('issues an account, shows its token once, prints the letter, and revokes it so the token stops working', async () => {
    let token;
    await withStaffPage(async ({ page, problems }) => {
      await page.fill('#account-name', 'テスト訪問看護');
      await page.fill('#account-q', `${PREFIX}新しい`);
      await page.click('#account-search');
      await page.click(`#account-results button[data-add="${ids.fresh}"]`);
      assert.match(await page.textContent('#account-chosen'), /テスト空き状況新しい事業所/);
      await page.click('#account-form button[type="submit"]');
      await page.waitForSelector('#account-issued', { state: 'visible' });
      token = await page.textContent('#issued-token');
      assert.match(token, /^cmk_/);
      await page.waitForSelector('#accounts-rows tr[data-name="テスト訪問看護"]');
      assert.match(await page.textContent('#accounts-rows tr[data-name="テスト訪問看護"]'), /有効/);

      // The token works for the provider page at once.
      const me = await apiCall(server, 'GET', '/api/admin/me', { token });
      assert.equal(me.status, 200);
      assert.equal(me.body.role, 'provider');
      assert.deepEqual(me.body.providers.map((p) => p.id), [ids.fresh]);

      // 「案内状を印刷」: on paper only the letter, with the sign-in address and the token.
      await page.evaluate(() => {
        window.print = () => {
          window.__printed = (window.__printed ?? 0) + 1;
        };
      });
      await page.click('#issued-print');
      assert.equal(await page.evaluate(() => window.__printed), 1);
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.isVisible('#letter'), true);
      assert.equal(await page.isVisible('main'), false);
      assert.equal(await page.textContent('#letter-url'), `${server.baseUrl}/provider.html`);
      assert.equal(await page.textContent('#letter-token'), token);
      assert.match(await page.textContent('#letter-offices'), /テスト空き状況新しい事業所/);
      await page.emulateMedia({ media: 'screen' });
      assert.equal(await page.isVisible('#letter'), false);

      // Closed, the token is nowhere in the page; a reload does not bring it back.
      await page.click('#issued-close');
      assert.ok(!(await page.content()).includes(token));
      await page.reload();
      await page.waitForSelector('#accounts-rows tr[data-name="テスト訪問看護"]');
      assert.ok(!(await page.content()).includes(token));

      // Revoke, after the confirmation dialog.
      await page.click('#accounts-rows button[data-revoke="テスト訪問看護"]');
      await page.waitForSelector('#revoke-dialog[open]');
      assert.match(await page.textContent('#revoke-text'), /テスト訪問看護/);
      await page.click('#revoke-yes');
      await page.waitForFunction(() => /無効（/.test(document.querySelector('#accounts-rows tr[data-name="テスト訪問看護"]')?.textContent ?? ''));
      assert.equal(await page.locator('#accounts-rows button[data-revoke="テスト訪問看護"]').count(), 0);
      assert.deepEqual(problems, []);
    });
    assert.equal((await apiCall(server, 'GET', '/api/admin/me', { token })).status, 401);
  });

  it('says in Japanese that an account name is taken (409)', async () => {
    await withStaffPage(async ({ page, problems }) => {
      for (let round = 0; round < 2; round += 1) {
        await page.fill('#account-name', '同じ名前');
        await page.fill('#account-q', `${PREFIX}受入不可`);
        await page.click('#account-search');
        await page.click(`#account-results button[data-add="${ids.closed}"]`);
        await page.click('#account-form button[type="submit"]');
        if (round === 0) {
          await page.waitForSelector('#account-issued', { state: 'visible' });
          await page.click('#issued-close');
        }
      }
      await page.waitForSelector('#account-error:not([hidden])');
      assert.equal(await page.textContent('#account-error'), 'このアカウント名はすでに使われています。別の名前にしてください。');
      assert.deepEqual(problems.filter((p) => !/status of 409/.test(p)), []);
    });
  });

  it('lists whose 空き状況 to ask about, oldest first, and downloads the list as CSV', async () => {
    await withStaffPage(async ({ page, problems }) => {
      await page.waitForSelector('#reminders-rows tr');
      const rows = await page.$$eval('#reminders-rows tr', (trs) => trs.map((tr) => tr.dataset.id));
      assert.ok(rows.includes(ids.stale), 'the stale provider is listed');
      assert.ok(!rows.includes(ids.fresh), 'a fresh one is not (only stale ones by default)');
      assert.match(await page.textContent(`#reminders-rows tr[data-id="${ids.stale}"]`), /45日/);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#reminders-csv')]);
      assert.match(download.suggestedFilename(), /^caremap_空き状況の確認_古いもの_\d{4}-\d{2}-\d{2}\.csv$/);
      const bytes = await readFile(await download.path());
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with BOM for Excel');
      const [header, ...records] = parseCsv(bytes.subarray(3).toString('utf8')).filter((r) => r.join('') !== '');
      assert.ok(header.some((h) => /[^\x00-\x7f]/.test(h)), `Japanese headers: ${header}`);
      assert.equal(records.length, rows.length, 'the CSV holds the rows the table shows');
      assert.ok(records.some((r) => r.includes(`${PREFIX}古い事業所`)));

      // All providers when 「確認が古い事業所だけ」 is off; the fresh one then comes after the stale.
      await page.uncheck('#reminders-stale');
      await page.waitForSelector(`#reminders-rows tr[data-id="${ids.fresh}"]`);
      const all = await page.$$eval('#reminders-rows tr', (trs) => trs.map((tr) => tr.dataset.id));
      assert.ok(all.indexOf(ids.stale) < all.indexOf(ids.fresh));
      assert.deepEqual(problems, []);
    });
  });
});
