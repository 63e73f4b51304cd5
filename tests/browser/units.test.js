// The page's pure modules (no DOM, no Leaflet), run under Node: formatting, query building
// and CSV merging. The browser tests cover them again through the real page.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { mergeCsv, parseCsv, writeCsv } from '../../web/lib/csv.js';
import { badgesFor, formatDistance, formatWalking, telHref, walkingMinutes } from '../../web/lib/format.js';
import { bboxContains, filterFamilies, mergeFeatures, urlWith } from '../../web/lib/query.js';

describe('distance and walking time', () => {
  it('shows metres below 1 km rounded to 10 m, and km with one decimal above', () => {
    assert.equal(formatDistance(347), '350 m');
    assert.equal(formatDistance(3), '10 m');
    assert.equal(formatDistance(996), '1.0 km');
    assert.equal(formatDistance(1234), '1.2 km');
    assert.equal(formatDistance(12_345), '12 km');
  });

  it('counts walking minutes at 80 m a minute, rounded up', () => {
    assert.equal(walkingMinutes(80), 1);
    assert.equal(walkingMinutes(81), 2);
    assert.equal(walkingMinutes(0), 1);
    assert.equal(formatWalking(350), '徒歩5分');
  });
});

describe('phone links', () => {
  it('dial the digits of a Japanese number, full-width or not', () => {
    assert.equal(telHref('04-0554-9430'), 'tel:0405549430');
    assert.equal(telHref('０４－７１５０－００００'), 'tel:0471500000');
    assert.equal(telHref(''), null);
    assert.equal(telHref(null), null);
  });
});

describe('badges', () => {
  it('mark acceptance, 24-hour care and 在宅療養支援 status', () => {
    const texts = badgesFor({
      kind: 'clinic',
      accepting: true,
      home_care: { class: 'enhanced_solo', available_24h: true },
    }).map((b) => b.text);
    assert.deepEqual(texts, ['受入可', '24時間対応', '在宅療養支援診療所']);
    assert.equal(badgesFor({ kind: 'hospital', accepting: false, home_care: { class: 'standard' } })[1].text, '在宅療養支援病院');
  });
});

describe('filter families', () => {
  const visit = { id: 'visit', filter: { service: '110,130' } };
  const day = { id: 'day', filter: { service: '150,130' } };
  const homeMedical = { id: 'home_medical', filter: { home_care: 'true' } };

  it('unions the service lists of service-only chips into one request', () => {
    assert.deepEqual(filterFamilies([visit, day], { accepting: 'true' }), [
      { service: '110,130,150', accepting: 'true' },
    ]);
  });

  it('keeps a chip with another key as its own request, so chips mean "either"', () => {
    assert.deepEqual(filterFamilies([visit, homeMedical], { q: 'さくら', accepting: '' }), [
      { service: '110,130', q: 'さくら' },
      { home_care: 'true', q: 'さくら' },
    ]);
  });

  it('is one request with the common parameters when no chip is chosen', () => {
    assert.deepEqual(filterFamilies([], {}), [{}]);
  });

  it('builds URLs without empty parameters', () => {
    assert.equal(urlWith('/api/providers', { q: '', limit: 10, bbox: '1,2,3,4' }), '/api/providers?limit=10&bbox=1%2C2%2C3%2C4');
  });
});

describe('viewport bookkeeping', () => {
  it('knows when a view lies inside what was loaded', () => {
    assert.equal(bboxContains([0, 0, 10, 10], [1, 1, 9, 9]), true);
    assert.equal(bboxContains([0, 0, 10, 10], [1, 1, 11, 9]), false);
    assert.equal(bboxContains(null, [1, 1, 2, 2]), false);
  });

  it('merges result lists without duplicates, nearest first when asked', () => {
    const f = (id, d) => ({ id, properties: { distance_m: d } });
    const merged = mergeFeatures([[f('a', 5), f('b', 9)], [f('c', 1), f('a', 5)]], { byDistance: true, limit: 2 });
    assert.deepEqual(merged.map((x) => x.id), ['c', 'a']);
  });
});

describe('CSV merging', () => {
  it('parses quoted fields with commas, quotes and line breaks', () => {
    assert.deepEqual(parseCsv('\uFEFFa,"b,1","c""d"\r\n"e\r\nf",g,h\r\n'), [
      ['a', 'b,1', 'c"d'],
      ['e\r\nf', 'g', 'h'],
    ]);
  });

  it('joins parts under one BOM and header, each provider once, in the given order', () => {
    const header = 'ID,種別,事業所番号,名称';
    const a = `\uFEFF${header}\r\nx,介護事業所,1,"A, Inc."\r\ny,診療所,2,B\r\n`;
    const b = `\uFEFF${header}\r\nz,診療所,3,C\r\nx,介護事業所,1,"A, Inc."\r\n`;
    const merged = mergeCsv([a, b], ['z', 'x', 'y']);
    assert.ok(merged.startsWith(`\uFEFF${header}\r\n`));
    assert.deepEqual(parseCsv(merged).map((r) => r[0]), ['ID', 'z', 'x', 'y']);
    assert.equal(parseCsv(merged)[2][3], 'A, Inc.');
    assert.equal(writeCsv(parseCsv(merged)), merged);
  });
});
