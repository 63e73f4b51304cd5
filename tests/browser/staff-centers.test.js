// Browser tests of the 地域包括支援センター on the staff page: an admin imports the city's
// centres file (the documented example) from the import section — checked first, nothing
// saved, then committed — and /api/community-centers answers with it at once; an editor edits
// a centre's 担当区域 in its textarea, an unknown 町丁目 is named and nothing is saved, and
// after the fix the responsible centre for an address changes at once.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { axeViolations } from './lib/axe.js';
import { addUser, launchBrowser, startServer, withPage } from './lib/harness.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'import-examples', 'community_centers.csv');

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Runs `run` on the staff page signed in with `token`. */
function withSignedInPage(token, run) {
  return withPage(browser, server.baseUrl, { path: '/staff.html' }, async (opened) => {
    await opened.page.fill('#token-input', token);
    await opened.page.press('#token-input', 'Enter');
    await opened.page.waitForSelector('#app', { state: 'visible' });
    return run(opened);
  });
}

async function waitForText(page, selector, pattern) {
  await page.waitForFunction(
    ([sel, source]) => {
      const el = document.querySelector(sel);
      return el && !el.hidden && new RegExp(source).test(el.textContent);
    },
    [selector, pattern.source],
  );
  return page.textContent(selector);
}

describe('地域包括支援センター on the staff page', () => {
  it('imports the centres file: a check first, then a commit the public API answers with at once', async () => {
    const token = addUser(server, 'kanri', 'admin');
    await withSignedInPage(token, async ({ page, problems }) => {
      const before = await server.getJson('/api/community-centers');
      await page.selectOption('#import-source', 'community-centers');
      assert.match(await page.textContent('#import-source-help'), /置き換わります/);
      assert.equal(await page.isDisabled('#import-blank'), true, 'provider options do not apply');
      await page.setInputFiles('#import-files', {
        name: 'community_centers.csv',
        mimeType: 'text/csv',
        buffer: readFileSync(EXAMPLE),
      });
      await page.click('#import-check');
      await waitForText(page, '#import-status', /確認しました/);
      assert.equal(await page.textContent('#import-report [data-key="centers"] dd'), '2');
      assert.deepEqual(await server.getJson('/api/community-centers'), before, 'the check saved nothing');

      await page.click('#import-commit');
      await waitForText(page, '#import-status', /取り込みが完了しました/);
      const after = await server.getJson('/api/community-centers');
      assert.deepEqual(
        after.features.map((f) => f.properties.name),
        ['流山市南部地域包括支援センター（例・架空）', '流山市中部地域包括支援センター（例・架空）'],
      );
      // The centres section lists the new layer.
      await waitForText(page, '#centers-list', /南部地域包括支援センター（例・架空）/);
      assert.equal(await page.locator('#centers-list li').count(), 2);
      assert.deepEqual(problems, []);
    });
  });

  it('edits 担当区域 one per line: an unknown 町丁目 is named, then the fix changes the responsible centre', async () => {
    const token = addUser(server, 'henshu', 'editor');
    const address = '鰭ケ崎';
    const first = await server.getJson(`/api/community-centers/for?address=${encodeURIComponent(address)}`);
    await withSignedInPage(token, async ({ page, problems }) => {
      const other = (await server.getJson('/api/community-centers')).features.find((f) => f.id !== first.id);
      await page.click(`#centers-list button[data-center="${other.id}"]`);
      await page.waitForSelector('#center-form', { state: 'visible' });
      assert.equal(await page.inputValue('#center-name'), other.properties.name);
      const areas = (await page.inputValue('#center-areas')).split('\n');
      assert.deepEqual(areas, other.properties.areas);

      await page.fill('#center-areas', [...areas, '鰭ケ崎', '北流山九丁目'].join('\n'));
      await page.click('#center-save');
      const error = await waitForText(page, '#center-form-error', /担当区域/);
      assert.match(error, /北流山九丁目/);
      assert.doesNotMatch(error, /鰭ケ崎/);
      const unchanged = await server.getJson(`/api/community-centers/for?address=${encodeURIComponent(address)}`);
      assert.equal(unchanged.id, first.id, 'nothing was saved');

      // The first centre gives 鰭ケ崎 up, the other takes it.
      await page.click('#center-cancel');
      await page.click(`#centers-list button[data-center="${first.id}"]`);
      const kept = (await page.inputValue('#center-areas')).split('\n').filter((a) => !/^鰭[ケヶ]崎$/.test(a));
      await page.fill('#center-areas', kept.join('\n'));
      await page.click('#center-save');
      await page.waitForSelector('#center-form', { state: 'hidden' });
      await waitForText(page, '#centers-status', /保存しました/);
      await page.click(`#centers-list button[data-center="${other.id}"]`);
      await page.fill('#center-areas', [...areas, '鰭ケ崎'].join('\n'));
      await page.click('#center-save');
      await page.waitForSelector('#center-form', { state: 'hidden' });
      await waitForText(page, '#centers-status', /保存しました/);

      const now = await server.getJson(`/api/community-centers/for?address=${encodeURIComponent(address)}`);
      assert.equal(now.id, other.id);
      assert.equal(now.properties.match, 'area');
      assert.deepEqual(await axeViolations(page), []);
      // The browser logs the refused save (422) it was meant to get; nothing else.
      assert.deepEqual(problems.filter((p) => !p.includes('status of 422')), []);
    });
  });
});
