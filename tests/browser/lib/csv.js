// The one way the browser tests read a CSV the map page downloads: clicked, then checked for
// what every provider CSV is (UTF-8 with a BOM, CRLF line ends, the Japanese header) and
// parsed as RFC 4180 with the page's own parser (unit-tested in units.test.js), so quoted
// commas and line breaks cannot shift columns.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { parseCsv } from '../../../web/lib/map/csv.js';

/** The first columns of every provider CSV. */
const PROVIDER_HEADER = ['ID', '種別', '事業所番号', '名称'];

/**
 * Clicks the page's CSV link, waits for the download and asserts its BOM, CRLF line ends and
 * header.
 * @param {import('playwright-core').Page} page
 * @param {string} selector the link to click
 * @returns {Promise<{download: import('playwright-core').Download, text: string, header: string[],
 *   records: string[][], ids: string[]}>} `text` without the BOM, `records` the rows after the
 *   header, `ids` their first column
 */
export async function downloadProviderCsv(page, selector = '#csv-link') {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  const bytes = await readFile(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with the UTF-8 BOM');
  const text = bytes.subarray(3).toString('utf8');
  assert.equal(text.indexOf('\n'), text.indexOf('\r\n') + 1, 'lines end with CRLF');
  const [header, ...records] = parseCsv(text);
  assert.deepEqual(header.slice(0, PROVIDER_HEADER.length), PROVIDER_HEADER, text.slice(0, 80));
  return { download, text, header, records, ids: records.map((r) => r[0]) };
}
