// Accessibility stays measurable: axe-core (WCAG 2.1 A/AA and best practice) finds nothing on
// the map page (loaded, with a result list, and on a phone with address suggestions open and
// the 包括 card), the staff page (signed out and signed in, with the 事業所アカウント token and
// the revoke dialog open), the provider page (signed out, and signed in on a phone),
// and the HTML pages of the OGC API and the API description as a browser gets them (its Accept
// asks for HTML).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { axeViolations } from './lib/axe.js';
import { addProviderUser, addUser, launchBrowser, startServer, waitForMarkers, waitForResults, withPage } from './lib/harness.js';

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

/** Opens `path`, lets `ready(page)` bring it to the state to check, and returns the violations. */
async function violationsOf(path, ready) {
  return withPage(browser, server.baseUrl, { path }, async ({ page, problems }) => {
    await ready(page);
    const violations = await axeViolations(page);
    assert.deepEqual(problems, []);
    return violations;
  });
}

describe('axe-core finds no violation', () => {
  it('on the map page once its markers are shown', async () => {
    assert.deepEqual(await violationsOf('/', waitForMarkers), []);
  });

  it('on the map page with a result list', async () => {
    const violations = await violationsOf('/', async (page) => {
      await waitForMarkers(page);
      await page.fill('#q', 'さくら');
      await page.press('#q', 'Enter');
      await waitForResults(page, '名称・住所の検索結果');
    });
    assert.deepEqual(violations, []);
  });

  it('on the map page on a phone with address suggestions open and the 包括 card shown', async () => {
    const phone = { path: '/', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
    const violations = await withPage(browser, server.baseUrl, phone, async ({ page, problems }) => {
      await waitForMarkers(page);
      await page.click('#q');
      await page.keyboard.type('南流山2丁目');
      await page.waitForSelector('#q-suggestions [role="option"]');
      await page.keyboard.press('ArrowDown');
      const open = await axeViolations(page);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#center-card:not([hidden]) .center-card__name');
      const card = await axeViolations(page);
      assert.deepEqual(problems, []);
      return [...open, ...card];
    });
    assert.deepEqual(violations, []);
  });

  it('on the map page in the 地域の状況 view with its table of squares open', async () => {
    const violations = await violationsOf('/?view=coverage', async (page) => {
      await page.waitForFunction(() => document.querySelectorAll('path.coverage-cell').length > 0);
      await page.waitForSelector('#coverage-summary tbody tr');
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    });
    assert.deepEqual(violations, []);
  });

  it('on the staff page signed out', async () => {
    const violations = await violationsOf('/staff.html', (page) => page.waitForSelector('#signin', { state: 'visible' }));
    assert.deepEqual(violations, []);
  });

  it('on the staff page signed in', async () => {
    const token = addUser(server, 'a11y');
    const violations = await violationsOf('/staff.html', async (page) => {
      await page.fill('#token-input', token);
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('#app', { state: 'visible' });
    });
    assert.deepEqual(violations, []);
  });

  it('on the staff page with a new 事業所アカウント\'s token shown and the revoke dialog open', async () => {
    const token = addUser(server, 'a11y-accounts');
    const { id } = (await server.getJson('/api/providers?kind=care&limit=1')).features[0];
    const violations = await withPage(browser, server.baseUrl, { path: '/staff.html' }, async ({ page, problems }) => {
      await page.fill('#token-input', token);
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('#app', { state: 'visible' });
      await page.waitForSelector('#reminders-rows tr');
      await page.fill('#account-name', 'a11y-office');
      await page.fill('#account-q', (await server.getJson(`/api/providers/${id}`)).properties.name);
      await page.click('#account-search');
      await page.click(`#account-results button[data-add="${id}"]`);
      await page.click('#account-form button[type="submit"]');
      await page.waitForSelector('#account-issued', { state: 'visible' });
      const issued = await axeViolations(page);
      await page.click('#accounts-rows button[data-revoke="a11y-office"]');
      await page.waitForSelector('#revoke-dialog[open]');
      const dialog = await axeViolations(page);
      assert.deepEqual(problems, []);
      return [...issued, ...dialog];
    });
    assert.deepEqual(violations, []);
  });

  it('on the provider page signed out', async () => {
    const violations = await violationsOf('/provider.html', (page) => page.waitForSelector('#signin', { state: 'visible' }));
    assert.deepEqual(violations, []);
  });

  it('on the provider page signed in on a phone, with a saved state', async () => {
    const { id } = (await server.getJson('/api/providers?kind=care&limit=1')).features[0];
    const token = addProviderUser(server, 'a11y-provider', [id]);
    const phone = { path: '/provider.html', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
    const violations = await withPage(browser, server.baseUrl, phone, async ({ page, problems }) => {
      await page.fill('#token-input', token);
      await page.press('#token-input', 'Enter');
      await page.waitForSelector('.office:not([aria-busy])');
      await page.click('.office button[data-state="consult"]');
      await page.waitForFunction(() => /保存しました/.test(document.querySelector('.office__status').textContent));
      const found = await axeViolations(page);
      assert.deepEqual(problems, []);
      return found;
    });
    assert.deepEqual(violations, []);
  });

  for (const path of [
    '/ogc',
    '/ogc/conformance',
    '/ogc/collections',
    '/ogc/collections/care',
    '/ogc/collections/care/items?limit=10',
    '/ogc/collections/coverage/items?mesh=1km&limit=10',
    '/ogc/collections/districts/items/north',
    '/ogc/collections/community-centers/items',
    '/ogc/collections/clinics/queryables',
    '/ogc/api',
    '/ogc/tileMatrixSets/WebMercatorQuad',
    '/ogc/collections/care/tiles/WebMercatorQuad',
    '/api/openapi',
  ]) {
    it(`on the API page ${path}`, async () => {
      const violations = await violationsOf(path, async (page) => {
        assert.equal(await page.getAttribute('html', 'lang'), 'ja');
        await page.waitForSelector('main h1');
      });
      assert.deepEqual(violations, []);
    });
  }
});
