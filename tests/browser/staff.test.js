// Browser tests of the staff page (web/staff.html): sign in with a token kept in
// sessionStorage only, edit a provider found by name, see the error next to a bad phone
// number, set 受入可否 in one tap, move the pin (or place it from an address), recover from a 412, revert from the history.
// Users are made with the real `caremap user add` on the server's database.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { addUser, copyDataWith, launchBrowser, listedIds, startServer, waitForResults, withPage } from './lib/harness.js';

const PAYLOAD = '<img src=x onerror=window.__xss=1>';

let dataDir;
let server;
let browser;
let token;
let otherToken;
let payloadId;

async function api(method, path, { auth = token, etag = null, body = null } = {}) {
  const headers = { Authorization: `Bearer ${auth}` };
  if (etag) headers['If-Match'] = etag;
  if (body) headers['Content-Type'] = 'application/geo+json';
  const response = await fetch(server.baseUrl + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  return { status: response.status, etag: response.headers.get('ETag'), body: await response.json() };
}

/** A provider from the public API, not yet touched by another test. */
const used = new Set();
async function freshProvider() {
  const all = await server.getJson('/api/providers?limit=10000');
  const f = all.features.find((x) => !used.has(x.id) && x.id !== payloadId && x.properties.kind === 'care');
  used.add(f.id);
  return f;
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

/** Finds a provider by name in the page and opens it in the editor. */
async function openByName(page, feature) {
  await page.fill('#search-q', feature.properties.name);
  await page.press('#search-q', 'Enter');
  await page.click(`#search-results button[data-id="${feature.id}"]`);
  await page.waitForFunction((name) => document.getElementById('editor-title').textContent === name, feature.properties.name);
  await page.waitForSelector('#history li.version');
}

/** Waits until the status line matches `pattern`, and returns it. */
async function waitForStatus(page, pattern) {
  await page.waitForFunction(
    ([source, flags]) => {
      const el = document.getElementById('status');
      return !el.hidden && new RegExp(source, flags).test(el.textContent);
    },
    [pattern.source, pattern.flags],
  );
  return page.textContent('#status');
}

before(async () => {
  dataDir = await copyDataWith((collection) => {
    const feature = collection.features.find((f) => f.properties.kind === 'care');
    feature.properties.name = PAYLOAD;
    payloadId = String(feature.id);
  });
  server = await startServer({ dataDir });
  token = addUser(server, 'tester');
  otherToken = addUser(server, 'suzuki');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('staff page', () => {
  it('refuses a wrong token and keeps a right one in sessionStorage only', async () => {
    await withPage(browser, server.baseUrl, { path: '/staff.html' }, async ({ page, problems, context }) => {
      await page.fill('#token-input', `cmk_${'0'.repeat(64)}`);
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('#signin-error:not([hidden])');
      assert.match(await page.textContent('#signin-error'), /トークン/);
      assert.equal(await page.isVisible('#app'), false);

      await page.fill('#token-input', token);
      await page.click('#signin-form button[type="submit"]');
      await page.waitForSelector('#app', { state: 'visible' });
      assert.equal(await page.textContent('#who-name'), 'tester');
      const stored = await page.evaluate(() => ({
        session: sessionStorage.getItem('caremap.staffToken'),
        local: localStorage.length,
        cookie: document.cookie,
        url: location.href,
        input: document.getElementById('token-input').value,
      }));
      assert.equal(stored.session, token);
      assert.equal(stored.local, 0);
      assert.equal(stored.cookie, '');
      assert.ok(!stored.url.includes(token));
      assert.equal(stored.input, '', 'the token does not stay in the form');
      const cookies = await context.cookies();
      assert.deepEqual(cookies, []);

      // A reload of the tab keeps the session; signing out forgets the token.
      await page.reload();
      await page.waitForSelector('#app', { state: 'visible' });
      await page.click('#signout-button');
      await page.waitForSelector('#signin', { state: 'visible' });
      assert.equal(await page.evaluate(() => sessionStorage.getItem('caremap.staffToken')), null);
      // The browser reports the refused sign-in (401) itself; nothing else went wrong.
      assert.deepEqual(
        problems.filter((p) => !/status of 401 .*\/api\/admin\/me/.test(p)),
        [],
      );
    });
  });

  it('edits a provider found by name, and the public API serves the change at once', async () => {
    const target = await freshProvider();
    await withSignedInPage(async ({ page, problems }) => {
      await openByName(page, target);
      assert.equal(await page.inputValue('#f-phone'), target.properties.phone ?? '');
      await page.fill('#f-phone', '04-7100-0001');
      await page.fill('#f-notes', '職員が電話番号を更新');
      assert.equal(await page.isVisible('#dirty-notice'), true);
      await page.click('#save-button');
      await waitForStatus(page, /保存しました（版 2）/);
      const served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.equal(served.properties.phone, '04-7100-0001');
      assert.equal(served.properties.notes, '職員が電話番号を更新');
      assert.equal(served.properties.version, 2);
      assert.match(await page.textContent('#history li.version[data-version="2"]'), /tester/);
      assert.match(await page.textContent('#history li.version[data-version="2"]'), /04-7100-0001/);
      assert.deepEqual(problems, []);
    });
  });

  it('opens a provider clicked on the map', async () => {
    await withSignedInPage(async ({ page, problems }) => {
      const dot = page.locator('path.dot').first();
      await dot.waitFor();
      await dot.click({ force: true });
      await page.waitForSelector('#history li.version');
      const title = await page.textContent('#editor-title');
      const id = (await page.textContent('#editor-meta')).match(/ID (\S+)・/)[1];
      const served = await server.getJson(`/api/providers/${encodeURIComponent(id)}`);
      assert.equal(title, served.properties.name);
      assert.equal(await page.isVisible('.leaflet-marker-icon.pin'), true);
      assert.deepEqual(problems, []);
    });
  });

  it('shows the error next to the phone field for a bad number and saves nothing', async () => {
    const target = await freshProvider();
    await withSignedInPage(async ({ page }) => {
      await openByName(page, target);
      await page.fill('#f-phone', '電話してください');
      await page.click('#save-button');
      await page.waitForSelector('#err-phone:not([hidden])');
      assert.match(await page.textContent('#err-phone'), /電話番号の形式が正しくありません/);
      assert.equal(await page.getAttribute('#f-phone', 'aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'f-phone');
      // Other fields carry no error.
      assert.equal(await page.isVisible('#err-name'), false);
      const served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.equal(served.properties.version, 1);
      assert.equal(served.properties.phone, target.properties.phone);

      // Fixing it clears the error on the next save.
      await page.fill('#f-phone', '04-7100-0002');
      await page.click('#save-button');
      await waitForStatus(page, /保存しました（版 2）/);
      assert.equal(await page.isVisible('#err-phone'), false);
    });
  });

  it('reverts to an earlier version from the history', async () => {
    const target = await freshProvider();
    await withSignedInPage(async ({ page }) => {
      await openByName(page, target);
      await page.fill('#f-name', `${target.properties.name}（誤り）`);
      await page.click('#save-button');
      await waitForStatus(page, /版 2/);
      await page.click('#history button[data-revert="1"]');
      await waitForStatus(page, /版 1 の内容に戻しました（版 3）/);
      assert.equal(await page.textContent('#editor-title'), target.properties.name);
      const served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.equal(served.properties.name, target.properties.name);
      assert.equal(served.properties.version, 3);
      const newest = await page.textContent('#history li.version[data-version="3"]');
      assert.match(newest, /以前の版に戻す/);
      assert.equal(await page.getAttribute('#history li.version:first-child', 'data-version'), '3');
    });
  });

  it("sets 受入可否 in one tap (受入可 / 要相談 / 受入不可, or 変わりなし), stamped by the server, keeping other edits", async () => {
    const target = await freshProvider();
    await withSignedInPage(async ({ page }) => {
      await openByName(page, target);
      // Japan is UTC+9 all year; not Intl, whose en-CA format differs between Node releases.
      const today = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
      const [, m, d] = today.split('-').map(Number);
      await page.click('#accept-no');
      await waitForStatus(page, /受入不可（いま確認）として保存しました（版 2）/);
      let served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.equal(served.properties.accepting, 'no');
      assert.equal(served.properties.accepting_updated_at, today);
      assert.ok(served.properties.accepting_checked_at);
      assert.match(await page.textContent('#accept-current'), new RegExp(`^受入不可（${m}/${d}確認）・最終確認 ${m}月${d}日 \\d\\d:\\d\\d$`));

      // An unsaved edit in the form stays there, unsaved, through a one-tap change.
      await page.fill('#f-phone', '04-7100-0002');
      await page.click('#accept-consult');
      await waitForStatus(page, /要相談（いま確認）として保存しました（版 3）/);
      assert.equal(await page.inputValue('#f-phone'), '04-7100-0002');
      assert.equal(await page.isVisible('#dirty-notice'), true);
      served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.equal(served.properties.accepting, 'consult');
      assert.equal(served.properties.phone, target.properties.phone);

      await page.click('#accept-confirm');
      await waitForStatus(page, /変わりなしとして確認しました（版 4）/);
      await page.waitForSelector('#history li.version[data-version="4"]');
      assert.match(await page.textContent('#history li.version[data-version="4"]'), /空き状況の確認（変わりなし）/);
      assert.match(await page.textContent('#history li.version[data-version="3"]'), /要相談/);
    });
  });

  it('moves a provider by dragging its pin', async () => {
    const target = await freshProvider();
    await withSignedInPage(async ({ page }) => {
      await openByName(page, target);
      const before = [await page.inputValue('#f-lon'), await page.inputValue('#f-lat')];
      const pin = await page.locator('.leaflet-marker-icon.pin').boundingBox();
      const x = pin.x + pin.width / 2;
      const y = pin.y + pin.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + 30, y + 20, { steps: 8 });
      await page.mouse.move(x + 60, y + 40, { steps: 8 });
      await page.mouse.up();
      await page.waitForFunction((lon) => document.getElementById('f-lon').value !== lon, before[0]);
      const moved = [Number(await page.inputValue('#f-lon')), Number(await page.inputValue('#f-lat'))];
      assert.ok(moved[0] > Number(before[0]), 'dragged east');
      assert.ok(moved[1] < Number(before[1]), 'dragged south');
      await page.click('#save-button');
      await waitForStatus(page, /保存しました（版 2）/);
      const served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.deepEqual(served.geometry.coordinates, moved);
    });
  });

  it('fills lon / lat from an address, moves the pin there, and saves that position', async () => {
    const target = await freshProvider();
    const typed = '南流山2丁目';
    const best = (await server.getJson(`/api/geocode?q=${encodeURIComponent(typed)}&limit=1`)).features[0];
    const expected = best.geometry.coordinates.map((v) => Number(v.toFixed(6)));
    await withSignedInPage(async ({ page, problems }) => {
      await openByName(page, target);
      // Nothing matchable: said in the box's line, the position stays.
      const before = await page.inputValue('#f-lon');
      await page.fill('#f-geocode-q', 'ｘｙｚ存在しない町');
      await page.press('#f-geocode-q', 'Enter');
      await page.waitForSelector('#geocode-status.message--error');
      assert.match(await page.textContent('#geocode-status'), /見つかりませんでした/);
      assert.equal(await page.inputValue('#f-lon'), before);
      assert.equal(await page.isVisible('#dirty-notice'), false, 'Enter in the box neither saved nor changed anything');

      await page.fill('#f-geocode-q', typed);
      await page.click('#geocode-button');
      await page.waitForSelector('#geocode-status.message--ok');
      assert.ok((await page.textContent('#geocode-status')).includes(best.properties.address));
      const filled = [Number(await page.inputValue('#f-lon')), Number(await page.inputValue('#f-lat'))];
      assert.deepEqual(filled, expected);
      assert.equal(await page.isVisible('#dirty-notice'), true, 'the new position is an unsaved change');
      const pin = await page.evaluate(() => {
        const el = document.querySelector('.leaflet-marker-icon.pin');
        const box = el.getBoundingClientRect();
        const map = document.getElementById('map').getBoundingClientRect();
        return { x: box.x + box.width / 2 - map.x, y: box.y + box.height / 2 - map.y, w: map.width, h: map.height };
      });
      assert.ok(Math.abs(pin.x - pin.w / 2) < 30 && Math.abs(pin.y - pin.h / 2) < 40, `the pin is in the middle: ${JSON.stringify(pin)}`);
      await page.click('#save-button');
      await waitForStatus(page, /保存しました（版 2）/);
      const served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.deepEqual(served.geometry.coordinates, expected);
      assert.deepEqual(problems, []);
    });
  });

  it('shows who changed the provider meanwhile and re-applies my change to the latest version', async () => {
    const target = await freshProvider();
    await withSignedInPage(async ({ page }) => {
      await openByName(page, target);
      // Another member of staff saves first.
      const current = await api('GET', `/api/admin/providers/${encodeURIComponent(target.id)}`);
      const theirs = structuredClone(current.body);
      theirs.properties.name = `${target.properties.name}（本店）`;
      const put = await api('PUT', `/api/admin/providers/${encodeURIComponent(target.id)}`, {
        auth: otherToken,
        etag: current.etag,
        body: theirs,
      });
      assert.equal(put.status, 200);

      await page.fill('#f-phone', '04-7100-0003');
      await page.click('#save-button');
      await page.waitForSelector('#conflict:not([hidden])');
      assert.match(await page.textContent('#conflict-text'), /suzukiさん/);
      assert.match(await page.textContent('#conflict-text'), /版 2/);

      await page.click('#conflict-reapply');
      assert.equal(await page.inputValue('#f-name'), `${target.properties.name}（本店）`);
      assert.equal(await page.inputValue('#f-phone'), '04-7100-0003');
      assert.match(await page.textContent('#status'), /電話番号/);
      await page.click('#save-button');
      await waitForStatus(page, /保存しました（版 3）/);
      const served = await server.getJson(`/api/providers/${encodeURIComponent(target.id)}`);
      assert.equal(served.properties.name, `${target.properties.name}（本店）`);
      assert.equal(served.properties.phone, '04-7100-0003');
    });
  });

  it('shows a provider named like an HTML tag as text and runs nothing', async () => {
    await withSignedInPage(async ({ page, problems }) => {
      await openByName(page, { id: payloadId, properties: { name: PAYLOAD } });
      assert.equal(await page.textContent(`#search-results button[data-id="${payloadId}"] .result__name`), PAYLOAD);
      assert.equal(await page.inputValue('#f-name'), PAYLOAD);
      // The map's tooltip for it, too.
      // Its dot lies under the pin of the opened provider, so the pointer cannot reach it.
      await page.dispatchEvent(`path.dot[data-id="${payloadId}"]`, 'mouseover');
      await page.waitForSelector('.leaflet-tooltip');
      assert.equal(await page.textContent('.leaflet-tooltip'), PAYLOAD);
      assert.match(await page.textContent('#history'), /<img src=x/);
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.equal(await page.locator('img[src="x"]').count(), 0);
      assert.deepEqual(problems, []);
    });
  });

  it('registers a new provider placed by a tap and a drag on the map, and the map page shows it', async () => {
    const name = 'みらい訪問看護ステーション';
    await withSignedInPage(async ({ page, problems, context }) => {
      await page.locator('path.dot').first().waitFor();
      await page.click('#new-button');
      assert.equal(await page.textContent('#editor-title'), '新規登録');
      assert.equal(await page.isVisible('#history-section'), false);
      await page.fill('#f-name', name);
      await page.fill('#f-phone', '04-7100-0100');
      await page.click('#services-box summary');
      await page.check('#services-box input[value="130"]');

      // Without a position the server names the field, shown next to it; nothing is created.
      await page.click('#save-button');
      await page.waitForSelector('#err-geometry:not([hidden])');
      assert.match(await page.textContent('#err-geometry'), /位置/);
      assert.equal((await server.getJson(`/api/providers?q=${encodeURIComponent(name)}`)).numberMatched, 0);

      // A tap puts the pin there (near the top-left corner of the map, away from the dots and
      // the controls, and far enough from the edge that the drag does not pan the map).
      const map = await page.locator('#map').boundingBox();
      await page.mouse.click(map.x + 90, map.y + 110);
      await page.waitForSelector('.leaflet-marker-icon.pin');
      const tapped = [Number(await page.inputValue('#f-lon')), Number(await page.inputValue('#f-lat'))];
      assert.ok(tapped[0] > 139 && tapped[0] < 141 && tapped[1] > 35 && tapped[1] < 37, `tapped ${tapped}`);
      const pin = await page.locator('.leaflet-marker-icon.pin').boundingBox();
      const x = pin.x + pin.width / 2;
      const y = pin.y + pin.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + 20, y + 10, { steps: 6 });
      await page.mouse.move(x + 40, y + 20, { steps: 6 });
      await page.mouse.up();
      await page.waitForFunction((lon) => Number(document.getElementById('f-lon').value) !== lon, tapped[0]);
      const placed = [Number(await page.inputValue('#f-lon')), Number(await page.inputValue('#f-lat'))];
      assert.ok(placed[0] > tapped[0] && placed[1] < tapped[1], `dragged south-east: ${tapped} → ${placed}`);

      await page.click('#save-button');
      const text = await waitForStatus(page, /新規登録しました/);
      const id = text.match(/ID (staff-\d+)/)[1];
      await page.waitForSelector('#history li.version[data-version="1"]');
      assert.match(await page.textContent('#history li.version[data-version="1"]'), /新規登録.*tester/s);
      const served = await server.getJson(`/api/providers/${id}`);
      assert.equal(served.properties.name, name);
      assert.deepEqual(served.properties.services, ['130']);
      assert.deepEqual(served.geometry.coordinates, placed);
      assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);

      // The public map page finds it by name.
      await withPage(browser, server.baseUrl, async (publicPage) => {
        await publicPage.page.fill('#q', name);
        await publicPage.page.press('#q', 'Enter');
        await waitForResults(publicPage.page, '名称・住所の検索結果');
        assert.deepEqual(await listedIds(publicPage.page), [id]);
        assert.match(await publicPage.page.textContent('#results'), new RegExp(name));
      });
    });
  });

  it('names the initial load and districts in the history instead of showing ids', async () => {
    const target = await freshProvider();
    await withSignedInPage(async ({ page }) => {
      await openByName(page, target);
      const first = await page.textContent('#history li.version[data-version="1"] .version__who');
      assert.equal(first, '初期データ');
      assert.match(await page.textContent('#editor-meta'), /（初期データ）/);
      assert.doesNotMatch(await page.textContent('#history'), /・data/);
      const districts = await server.getJson('/api/districts');
      const names = new Map(districts.features.map((d) => [d.id, d.properties.name]));
      const names1 = await page.textContent('#history li.version[data-version="1"]');
      assert.ok(names1.includes(names.get(target.properties.district)), `district named: ${names1}`);
      assert.ok(!names1.includes(`→ ${target.properties.district}`), `no district id: ${names1}`);
    });
  });
});
