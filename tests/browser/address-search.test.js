// The map page's search box takes addresses (issue 15 item 5), on a phone (390×844): typing
// suggests addresses from /api/geocode in an ARIA listbox, the keyboard picks one, and the page
// lists the providers nearest to it with distances, with 「この住所の地域包括支援センター」 first
// (a tel: link); the address is part of the link; a provider's name still finds the provider.
// Expected answers come from the API itself, fetched through Node.

import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { copyDataWith, launchBrowser, listedIds, startServer, waitForMarkers, waitForResults, withPage } from './lib/harness.js';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
/** A 町丁目 of the sample (data/address_sample_oaza.csv), typed as families write it. */
const TYPED = '南流山2丁目';

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

/** Types `text` into the search box and waits for the suggestion list. */
async function typeAndWaitForSuggestions(page, text) {
  await page.click('#q');
  await page.keyboard.type(text, { delay: 30 });
  await page.waitForSelector('#q-suggestions [role="option"]');
  assert.equal(await page.getAttribute('#q', 'aria-expanded'), 'true');
}

describe('the search box takes an address on a phone', () => {
  it('suggests addresses, picks one with the keyboard, lists the nearest with distances and the 包括 card', async () => {
    const geocode = await server.getJson(`/api/geocode?q=${encodeURIComponent(TYPED)}&limit=6`);
    const best = geocode.features[0];
    assert.ok(best.properties.level >= 3, 'the sample resolves the typed 町丁目');
    const [lon, lat] = best.geometry.coordinates;
    const nearest = await server.getJson(`/api/providers/nearest?lon=${lon}&lat=${lat}&k=20`);
    const center = await server.getJson(`/api/community-centers/for?address=${encodeURIComponent(best.properties.address)}`);

    await withPage(browser, server.baseUrl, PHONE, async ({ page, problems }) => {
      await waitForMarkers(page);
      await typeAndWaitForSuggestions(page, TYPED);
      const options = await page.$$eval('#q-suggestions [role="option"]', (els) => els.map((el) => el.textContent));
      assert.equal(options[0], best.properties.address, 'the best candidate comes first');
      assert.equal(options.at(-1), `「${TYPED}」を名称で検索`, 'the name search stays offered');

      await page.keyboard.press('ArrowDown');
      const activeId = await page.getAttribute('#q', 'aria-activedescendant');
      assert.equal(await page.getAttribute(`#${activeId}`, 'aria-selected'), 'true');
      assert.equal(await page.textContent(`#${activeId}`), best.properties.address);
      await page.keyboard.press('Enter');

      await waitForResults(page, `「${best.properties.address}」から近い順`);
      assert.equal(await page.isHidden('#q-suggestions'), true);
      assert.equal(await page.getAttribute('#q', 'aria-expanded'), 'false');
      assert.deepEqual(await listedIds(page), nearest.features.map((f) => String(f.id)));
      const distances = await page.$$eval('#results > li.result[data-id]', (items) =>
        items.map((li) => /\d+(\.\d+)?\s?k?m/.test(li.textContent)),
      );
      assert.ok(distances.length > 0 && distances.every(Boolean), 'every card says how far it is');
      await page.waitForSelector('.leaflet-marker-icon.origin');

      await page.waitForSelector('#center-card:not([hidden]) .center-card__name');
      const card = await page.evaluate(() => {
        const section = document.getElementById('center-card');
        const tel = section.querySelector('a[href^="tel:"]');
        return {
          heading: section.querySelector('h3').textContent,
          text: section.textContent,
          name: section.querySelector('.center-card__name').textContent,
          address: section.querySelector('.center-card__address').textContent,
          tel: tel?.getAttribute('href'),
          beforeList: Boolean(section.compareDocumentPosition(document.getElementById('results')) & Node.DOCUMENT_POSITION_FOLLOWING),
        };
      });
      assert.equal(card.heading, 'この住所の地域包括支援センター');
      assert.doesNotMatch(card.text, /null|undefined/);
      assert.equal(center.properties.match, 'area');
      assert.ok(!card.text.includes('最も近いセンター'), 'no note when the centre is responsible');
      assert.equal(card.name, center.properties.name);
      assert.equal(card.address, center.properties.address);
      assert.equal(card.tel, `tel:${center.properties.phone.replace(/[^0-9]/g, '')}`);
      assert.ok(card.beforeList, 'the card comes before the providers');

      // A shared link restores the address search and its card.
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('origin'), 'address');
      assert.equal(url.searchParams.get('address'), best.properties.address);
      const shared = await page.context().newPage();
      await shared.goto(url.href);
      await waitForResults(shared, `「${best.properties.address}」から近い順`);
      await shared.waitForSelector('#center-card:not([hidden]) .center-card__name');
      assert.equal(await shared.textContent('.center-card__name'), center.properties.name);
      assert.deepEqual(await listedIds(shared), nearest.features.map((f) => String(f.id)));
      await shared.close();
      assert.deepEqual(problems, []);
    });
  });

  it('still finds a provider by name, from the 「名称で検索」 option or Enter', async () => {
    const providers = await server.getJson('/api/providers?limit=1');
    const name = providers.features[0].properties.name;
    await withPage(browser, server.baseUrl, PHONE, async ({ page, problems }) => {
      await waitForMarkers(page);
      await typeAndWaitForSuggestions(page, name);
      await page.keyboard.press('ArrowUp');
      assert.equal(await page.textContent(`#${await page.getAttribute('#q', 'aria-activedescendant')}`), `「${name}」を名称で検索`);
      await page.keyboard.press('Enter');
      await waitForResults(page, '名称・住所の検索結果');
      assert.ok((await listedIds(page)).includes(String(providers.features[0].id)));
      assert.equal(await page.isHidden('#center-card'), true, 'no 包括 card without an address');
      assert.deepEqual(problems, []);
    });
  });

  it('closes the suggestions with Escape and keeps the text', async () => {
    await withPage(browser, server.baseUrl, PHONE, async ({ page }) => {
      await waitForMarkers(page);
      await typeAndWaitForSuggestions(page, TYPED);
      await page.keyboard.press('Escape');
      assert.equal(await page.isHidden('#q-suggestions'), true);
      assert.equal(await page.getAttribute('#q', 'aria-expanded'), 'false');
      assert.equal(await page.inputValue('#q'), TYPED);
    });
  });
});

describe('the 包括 card when no centre lists the address', () => {
  let edited;
  let dataDir;

  before(async () => {
    // The southern centre loses its 担当区域 and gets a name that would be markup as HTML.
    dataDir = await copyDataWith(() => {});
    const file = join(dataDir, 'community_centers_sample.csv');
    const lines = (await readFile(file, 'utf8')).split('\n');
    const south = lines.findIndex((l) => l.startsWith('south,'));
    assert.ok(south > 0, 'the sample has a southern centre');
    const cells = lines[south].split(',');
    cells[1] = '<img src=x onerror="window.__xss=1">南部センター';
    cells[6] = '';
    lines[south] = cells.join(',');
    await writeFile(file, lines.join('\n'));
    edited = await startServer({ dataDir });
  });

  after(async () => {
    await edited?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows the nearest centre with the note that says so, as text', async () => {
    const center = await edited.getJson(`/api/community-centers/for?address=${encodeURIComponent(TYPED)}`);
    assert.equal(center.properties.match, 'nearest');
    await withPage(browser, edited.baseUrl, PHONE, async ({ page, problems }) => {
      await waitForMarkers(page);
      await typeAndWaitForSuggestions(page, TYPED);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#center-card:not([hidden]) .center-card__note');
      assert.equal(await page.textContent('.center-card__name'), center.properties.name);
      assert.equal(await page.textContent('.center-card__note'), center.properties.note);
      assert.equal(await page.$('#center-card img'), null, 'the name is text, not markup');
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.deepEqual(problems, []);
    });
  });
});
