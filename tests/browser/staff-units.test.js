// The staff page's pure form logic under Node: Feature ⇄ form values, re-applying one's own
// changes on a newer version after a 412, today's date in Japan, Japanese field messages.
// The fields come from the real server's `GET /api/fields`, as on the page.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startServer } from './lib/harness.js';

import { policyText } from '../../web/lib/staff/imports.js';
import {
  changeText,
  changedKeys,
  describeValue,
  emptyValues,
  featureFromValues,
  fieldMessage,
  reapply,
  TEXT_FIELDS,
  todayInJapan,
  useFields,
  valuesFromFeature,
} from '../../web/lib/staff/form-values.js';

let server;
before(async () => {
  server = await startServer();
  useFields(await server.getJson('/api/fields'));
});
after(() => server?.stop());

const feature = {
  type: 'Feature',
  id: 'clinic-1',
  geometry: { type: 'Point', coordinates: [139.9, 35.85] },
  properties: {
    kind: 'clinic',
    name: 'さくら診療所',
    services: ['140', '130'],
    phone: '04-7150-1234',
    capacity: 19,
    accepting: false,
    accepting_updated_at: '2026-11-01',
    home_care: { class: 'standard', house_calls: true, home_visits: false, available_24h: false, end_of_life: false },
    notes: null,
    version: 4,
    updated_by: 'yamada',
  },
};

describe('staff form values', () => {
  it('survive a round trip back to the Feature the API accepts', () => {
    const back = featureFromValues('clinic-1', valuesFromFeature(feature));
    assert.deepEqual(back.geometry, feature.geometry);
    assert.equal(back.properties.name, 'さくら診療所');
    assert.deepEqual(back.properties.services, ['130', '140']);
    assert.equal(back.properties.capacity, 19);
    assert.equal(back.properties.accepting, 'no', 'the boolean of older data reads as 受入不可');
    const consult = { ...feature, properties: { ...feature.properties, accepting: 'consult', accepting_note: '火曜なら可', accepting_places: 2 } };
    const kept = featureFromValues('clinic-1', valuesFromFeature(consult)).properties;
    assert.equal(kept.accepting, 'consult');
    assert.equal(kept.accepting_note, '火曜なら可', 'the form sends back the vacancy details it has no input for');
    assert.equal(kept.accepting_places, 2);
    assert.equal(back.properties.notes, null);
    assert.deepEqual(back.properties.home_care, feature.properties.home_care);
    assert.equal('version' in back.properties, false, 'bookkeeping is the server’s');
  });

  it('send what the server must judge as typed, so it names the field', () => {
    const values = { ...valuesFromFeature(feature), capacity: '多数', lon: 'abc', phone: '  ' };
    const f = featureFromValues('clinic-1', values);
    assert.equal(f.properties.capacity, '多数');
    assert.equal(f.properties.phone, null);
    assert.deepEqual(f.geometry.coordinates, [null, 35.85]);
  });

  it('leave the id out for a new provider, so the server assigns one', () => {
    const f = featureFromValues(null, { ...emptyValues(), name: 'みらい', lon: '139.9', lat: '35.85' });
    assert.equal('id' in f, false);
    assert.equal(f.properties.kind, 'care');
    assert.equal(f.properties.name, 'みらい');
    assert.deepEqual(f.geometry.coordinates, [139.9, 35.85]);
    assert.deepEqual(emptyValues().services, []);
    assert.equal(emptyValues().lon, '');
  });

  it('drop home care for a care office', () => {
    const f = featureFromValues('x', { ...valuesFromFeature(feature), kind: 'care' });
    assert.equal(f.properties.home_care, null);
  });
});

describe('the form built from the server\'s field list', () => {
  it('opens with the name, offers every plain field the server declares, and types them', () => {
    const names = TEXT_FIELDS.map((f) => f.name);
    assert.deepEqual(names.slice(0, 2), ['name', 'name_kana']);
    for (const name of ['phone', 'fax', 'address', 'official_code', 'url', 'corporation', 'corporate_number', 'capacity', 'open_days', 'notes']) {
      assert.ok(names.includes(name), name);
    }
    assert.equal(names.includes('district'), false, 'derived: not edited');
    const field = (name) => TEXT_FIELDS.find((f) => f.name === name);
    assert.equal(field('name').required, true);
    assert.equal(field('phone').type, 'tel');
    assert.equal(field('notes').type, 'textarea');
    assert.equal(field('capacity').inputmode, 'numeric');
    assert.equal(field('open_days').label, '営業日');
  });
});

describe('after a 412', () => {
  it('re-applies only my changes on top of the latest version', () => {
    const base = valuesFromFeature(feature);
    const mine = { ...base, phone: '04-7150-9999' };
    const latest = { ...base, name: 'さくら診療所（本院）' };
    const { values, keys } = reapply(latest, base, mine);
    assert.deepEqual(keys, ['phone']);
    assert.equal(values.name, 'さくら診療所（本院）');
    assert.equal(values.phone, '04-7150-9999');
    assert.deepEqual(changedKeys(base, base), []);
  });
});

describe('labels', () => {
  it("gives today's date in Japan, whatever the machine's zone", () => {
    assert.equal(todayInJapan(new Date('2026-11-01T15:30:00Z')), '2026-11-02');
    assert.equal(todayInJapan(new Date('2026-11-01T14:59:00Z')), '2026-11-01');
  });

  it('says in Japanese what is wrong with a field', () => {
    assert.match(fieldMessage('phone', 'must be a Japanese phone number'), /電話番号の形式/);
    assert.match(fieldMessage('services', "unknown service code '999'"), /「999」/);
    assert.match(fieldMessage('geometry', 'is outside Japan (lon 122–154, lat 20–46)'), /日本の範囲外/);
    assert.match(fieldMessage('whatever', ''), /正しくありません/);
    assert.match(fieldMessage('accepting_places', 'must be 0 to 999'), /0〜999/);
    assert.equal(fieldMessage('name', 'must be at most 200 characters (has 201)'), '名称は200文字以内で入力してください。');
    assert.equal(fieldMessage('notes', 'must be at most 4000 characters (has 9000)'), '備考は4000文字以内で入力してください。');
  });

  it('describes history values in Japanese', () => {
    assert.equal(describeValue('accepting', true), '受入可');
    assert.equal(describeValue('accepting', 'consult'), '要相談');
    assert.equal(describeValue('accepting', 'no'), '受入不可');
    assert.equal(describeValue('phone', null), '（なし）');
    assert.equal(describeValue('services', ['130'], new Map([['130', '訪問看護']])), '訪問看護');
    assert.equal(describeValue('geometry', [139.9, 35.85]), '経度 139.9、緯度 35.85');
  });
});

describe('changes and the import policy as people read them', () => {
  it('show a change with its Japanese label, old → new', () => {
    assert.equal(
      changeText({ field: 'phone', label: '電話番号', from: '04-7150-1234', to: '04-7150-9999' }),
      '電話番号: 04-7150-1234 → 04-7150-9999',
    );
    assert.equal(changeText({ field: 'fax', from: '04-7150-1234', to: null }), 'FAX番号: 04-7150-1234 → （なし）');
  });

  it('name districts rather than showing their ids', () => {
    const change = { field: 'district', label: '日常生活圏域', from: 'central', to: 'east', from_name: '中部', to_name: '東部' };
    assert.equal(changeText(change), '日常生活圏域: 中部 → 東部');
  });

  it('state which fields staff own and what an empty cell does', () => {
    const staffOwned = [
      { field: 'notes', label: '備考' },
      { field: 'accepting', label: '受入可否' },
    ];
    assert.match(policyText({ blank_clears: false, staff_owned: staffOwned }), /備考・受入可否は職員が入力した値を残し.*空欄では既存の値を消しません/);
    assert.match(policyText({ blank_clears: true, staff_owned: staffOwned }), /空欄は既存の値を消します/);
    assert.equal(policyText(undefined), '');
  });
});
