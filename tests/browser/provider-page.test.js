// Browser tests of the provider page (web/provider.html, 事業所用): an office manager signs in
// on a phone (390×844) with a 事業所アカウント's token (made with the real `caremap user add
// --role provider`), taps 受入可 and the map page shows 「受入可（M/D確認）」 with today's date;
// 空き人数 and the note (with its counter) are saved and shown as text; 「変わりなし（確認）」
// sends `{}`; a staff write meanwhile (412) reloads the office and says so; a wrong token is
// refused in Japanese; the staff page sends a provider's token here.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  addProviderUser,
  addUser,
  apiCall,
  launchBrowser,
  startServer,
  todayMonthDayInJapan,
  waitForResults,
  withPage,
} from './lib/harness.js';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const PAYLOAD = '<img src=x onerror=window.__xss=1>';

let server;
let browser;
let editorToken;

/** Care providers from the public API, each used by one test only. */
let spare = [];
function nextProvider() {
  return spare.shift();
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  editorToken = addUser(server, 'city-editor');
  const all = await server.getJson('/api/providers?kind=care&limit=10000');
  spare = all.features.filter((f) => f.properties.name && f.properties.address);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens provider.html on a phone, signs in with `token`, waits for the offices to load. */
function withProviderPage(token, run) {
  return withPage(browser, server.baseUrl, { path: '/provider.html', ...PHONE }, async (opened) => {
    const { page } = opened;
    await page.fill('#token-input', token);
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('#app', { state: 'visible' });
    await page.waitForSelector('.office:not([aria-busy])');
    return run(opened);
  });
}

/** The card of one office. */
const card = (page, id) => page.locator(`.office[data-id="${id}"]`);

/** Waits until the office's status line matches `pattern`, and returns it. */
async function waitForCardStatus(page, id, pattern) {
  await page.waitForFunction(
    ([cardId, source]) => {
      const el = document.querySelector(`.office[data-id="${cardId}"] .office__status`);
      return el && new RegExp(source).test(el.textContent);
    },
    [id, pattern.source],
  );
  return card(page, id).locator('.office__status').textContent();
}

describe('provider page', () => {
  it('lets a provider tap 受入可 on a phone, and the map page shows it with today\'s date', async () => {
    const office = nextProvider();
    const token = addProviderUser(server, 'さくら訪問看護', [office.id]);
    await withProviderPage(token, async ({ page, problems }) => {
      assert.equal(await page.textContent('#who-name'), 'さくら訪問看護');
      assert.equal(await card(page, office.id).locator('.office__name').textContent(), office.properties.name);

      // Large buttons, one screen wide, nothing to scroll sideways.
      const yes = card(page, office.id).locator('button[data-state="yes"]');
      for (const state of ['yes', 'consult', 'no']) {
        const box = await card(page, office.id).locator(`button[data-state="${state}"]`).boundingBox();
        assert.ok(box.height >= 48 && box.width >= 48, `${state}: ${box.width}×${box.height}`);
        assert.ok(box.y + box.height <= 844, `${state} is on the first screen`);
      }
      const confirmBox = await card(page, office.id).locator('button[data-action="confirm"]').boundingBox();
      assert.ok(confirmBox.height >= 48 && confirmBox.y + confirmBox.height <= 844);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390));

      await yes.tap();
      assert.match(await waitForCardStatus(page, office.id, /受入可として保存しました/), /確認）$/);
      assert.equal(await yes.getAttribute('aria-pressed'), 'true');
      assert.equal(await card(page, office.id).locator('button[data-state="no"]').getAttribute('aria-pressed'), 'false');
      assert.match(await card(page, office.id).locator('.office__checked').textContent(), /^最終確認: \d+月\d+日 \d\d:\d\d$/);
      assert.deepEqual(problems, []);
    });

    const served = await server.getJson(`/api/providers/${encodeURIComponent(office.id)}`);
    assert.equal(served.properties.accepting, 'yes');
    assert.equal(served.properties.accepting_stale, false);
    assert.ok(served.properties.accepting_checked_at, 'the server stamped the confirmation');

    const today = todayMonthDayInJapan();
    const path = `/?q=${encodeURIComponent(office.properties.name)}`;
    await withPage(browser, server.baseUrl, { path, ...PHONE }, async ({ page, problems }) => {
      await waitForResults(page, '名称・住所の検索結果');
      const item = page.locator(`#results .result[data-id="${office.id}"]`);
      const badge = item.locator('.badge').first();
      assert.equal(await badge.textContent(), `受入可（${today}確認）`);
      assert.match(await badge.getAttribute('class'), /badge--ok/);
      await item.locator('.result__show').click();
      await page.waitForSelector('.leaflet-popup-content .popup__name');
      assert.equal(await page.locator('.leaflet-popup-content .badge').first().textContent(), `受入可（${today}確認）`);
      assert.deepEqual(problems, []);
    });
  });

  it('saves 空き人数 and the note (counted, at most 200 characters) and the map shows them as text', async () => {
    const office = nextProvider();
    const token = addProviderUser(server, 'note-account', [office.id]);
    await withProviderPage(token, async ({ page, problems }) => {
      const c = card(page, office.id);
      await c.locator('textarea[name="accepting_note"]').fill(PAYLOAD);
      assert.equal(await c.locator('.office__counter').textContent(), `${Array.from(PAYLOAD).length} / 200文字`);
      await c.locator('input[name="accepting_places"]').fill('3');
      await c.locator('button[data-action="save"]').click();
      await waitForCardStatus(page, office.id, /空き人数・ひとことを保存しました/);

      // The limit is the server's: the box takes no more than 200 characters.
      await c.locator('textarea[name="accepting_note"]').fill('あ'.repeat(205));
      assert.equal((await c.locator('textarea[name="accepting_note"]').inputValue()).length, 200);
      assert.equal(await c.locator('.office__counter').textContent(), '200 / 200文字');

      // A place count that is not 0–999 is refused in Japanese before anything is sent.
      await c.locator('input[name="accepting_places"]').fill('1000');
      await c.locator('button[data-action="save"]').click();
      assert.match(await c.locator('.field-error').textContent(), /0〜999/);
      assert.equal(await c.locator('input[name="accepting_places"]').getAttribute('aria-invalid'), 'true');
      assert.deepEqual(problems, []);
    });

    const served = await server.getJson(`/api/providers/${encodeURIComponent(office.id)}`);
    assert.equal(served.properties.accepting_note, PAYLOAD);
    assert.equal(served.properties.accepting_places, 3);

    const path = `/?q=${encodeURIComponent(office.properties.name)}`;
    await withPage(browser, server.baseUrl, { path }, async ({ page, problems }) => {
      await waitForResults(page, '名称・住所の検索結果');
      const line = page.locator(`#results .result[data-id="${office.id}"] .vacancy`);
      assert.equal(await line.textContent(), `空き状況：空き3人・${PAYLOAD}`);
      await page.locator(`#results .result[data-id="${office.id}"] .result__show`).click();
      await page.waitForSelector('.leaflet-popup-content .vacancy');
      assert.match(await page.textContent('.leaflet-popup-content .vacancy'), /空き3人・<img src=x/);
      assert.match(await page.textContent('#print-rows'), /空き3人/);
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.equal(await page.locator('img[src="x"]').count(), 0);
      assert.deepEqual(problems, []);
    });
  });

  it('confirms 「変わりなし」 with an empty PATCH that only moves the confirmation', async () => {
    const office = nextProvider();
    const token = addProviderUser(server, 'confirm-account', [office.id]);
    const before = await server.getJson(`/api/providers/${encodeURIComponent(office.id)}`);
    await withProviderPage(token, async ({ page, problems }) => {
      const sent = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith('/vacancy'));
      await card(page, office.id).locator('button[data-action="confirm"]').click();
      assert.equal((await sent).postData(), '{}');
      await waitForCardStatus(page, office.id, /変わりなしとして確認しました/);
      assert.deepEqual(problems, []);
    });
    const after = await server.getJson(`/api/providers/${encodeURIComponent(office.id)}`);
    assert.equal(after.properties.accepting, before.properties.accepting);
    assert.ok(after.properties.accepting_checked_at);
    assert.notEqual(after.properties.accepting_checked_at, before.properties.accepting_checked_at);
    const history = await apiCall(server, 'GET', `/api/admin/providers/${encodeURIComponent(office.id)}/history`, { token: editorToken });
    assert.equal(history.body.versions[0].action, 'vacancy-confirm');
    assert.equal(history.body.versions[0].changed_by, 'confirm-account');
  });

  it('reloads the office and says so when the city changed it meanwhile (412)', async () => {
    const office = nextProvider();
    const token = addProviderUser(server, 'conflict-account', [office.id]);
    await withProviderPage(token, async ({ page, problems }) => {
      // A city editor writes first, through the same door.
      const current = await apiCall(server, 'GET', `/api/admin/providers/${encodeURIComponent(office.id)}`, { token: editorToken });
      const staff = await apiCall(server, 'PATCH', `/api/admin/providers/${encodeURIComponent(office.id)}/vacancy`, {
        token: editorToken,
        etag: current.etag,
        body: { accepting: 'no' },
      });
      assert.equal(staff.status, 200);

      await card(page, office.id).locator('button[data-state="consult"]').click();
      assert.match(await waitForCardStatus(page, office.id, /最新の内容を読み込みました/), /ほかの方/);
      // The office now shows the editor's state, and the next tap works.
      assert.equal(await card(page, office.id).locator('button[data-state="no"]').getAttribute('aria-pressed'), 'true');
      await card(page, office.id).locator('button[data-state="consult"]').click();
      await waitForCardStatus(page, office.id, /要相談として保存しました/);
      // The browser reports the refused write (412) itself; nothing else went wrong.
      assert.deepEqual(problems.filter((p) => !/status of 412/.test(p)), []);
    });
    assert.equal((await server.getJson(`/api/providers/${encodeURIComponent(office.id)}`)).properties.accepting, 'consult');
  });

  it('shows every office of an account, refuses a wrong token in Japanese, and forgets the token on sign-out', async () => {
    const [a, b] = [nextProvider(), nextProvider()];
    const token = addProviderUser(server, 'two-offices', [a.id, b.id]);
    await withPage(browser, server.baseUrl, { path: '/provider.html', ...PHONE }, async ({ page, problems }) => {
      await page.fill('#token-input', `cmk_${'0'.repeat(64)}`);
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('#signin-error:not([hidden])');
      assert.match(await page.textContent('#signin-error'), /トークン/);

      await page.fill('#token-input', token);
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('.office:not([aria-busy])');
      assert.deepEqual(await page.$$eval('.office', (els) => els.map((e) => e.dataset.id).sort()), [a.id, b.id].sort());
      assert.equal(await page.evaluate(() => sessionStorage.getItem('caremap.staffToken')), token);
      assert.equal(await page.evaluate(() => localStorage.length + document.cookie.length), 0);

      await page.click('#signout-button');
      await page.waitForSelector('#signin', { state: 'visible' });
      assert.equal(await page.evaluate(() => sessionStorage.getItem('caremap.staffToken')), null);
      assert.equal(await page.locator('.office').count(), 0);
      assert.deepEqual(problems.filter((p) => !/status of 401 .*\/api\/admin\/me/.test(p)), []);
    });
  });

  it('sends a provider who signs in on the staff page to the provider page', async () => {
    const office = nextProvider();
    const token = addProviderUser(server, 'wrong-door', [office.id]);
    await withPage(browser, server.baseUrl, { path: '/staff.html' }, async ({ page, problems }) => {
      await page.fill('#token-input', token);
      await page.press('#token-input', 'Enter');
      await page.waitForURL(/\/provider\.html$/);
      await page.waitForSelector(`.office[data-id="${office.id}"]:not([aria-busy])`);
      assert.deepEqual(problems, []);
    });
  });
});
