// The offices of the signed-in account: each loaded with `GET /api/admin/providers/{id}`
// (with its ETag), and each button's write, `PATCH /api/admin/providers/{id}/vacancy` with
// If-Match: a state button sends the state with the places and note, 「変わりなし（確認）」
// sends `{}`, the save button the places and note. A 412 reloads the office and says so; a
// 401 signs out; a 422 shows the field's message.

import { ApiError } from '../shared/api.js';
import { replaceChildren } from '../shared/dom.js';
import { acceptingLabel, confirmedAt, confirmedText } from '../shared/vacancy.js';
import { fieldMessage, providerRequest } from './api.js';
import { OfficeCard } from './office-card.js';
import { state, ui } from './page-state.js';

/** Set by session.js (it imports this module): signs out with a message. */
let signOutWith = () => {};

export function onUnauthorized(handler) {
  signOutWith = handler;
}

const officePath = (id, suffix = '') => `/api/admin/providers/${encodeURIComponent(id)}${suffix}`;

/** (Re)loads one office; true when it worked. */
async function loadOffice(card) {
  card.setBusy(true);
  try {
    const { data, etag } = await providerRequest('GET', officePath(card.id), { token: state.token });
    card.show(data, etag);
    return true;
  } catch (error) {
    failed(card, error);
    return false;
  }
}

/** What a write answered, in words: 「受入可として保存しました（11月30日 14:05 確認）」. */
function doneText(body, feature) {
  const p = feature.properties ?? {};
  const confirmed = confirmedAt({ accepting_checked_at: p.accepting_checked_at });
  const when = confirmed ? `（${confirmedText(confirmed)} 確認）` : '';
  if (Object.keys(body).length === 0) return `変わりなしとして確認しました${when}`;
  if ('accepting' in body) return `${acceptingLabel(body.accepting) ?? '受入状況'}として保存しました${when}`;
  return `空き人数・ひとことを保存しました${when}`;
}

async function send(card, body) {
  if (!card.etag) return;
  card.setBusy(true);
  card.say('保存しています…', 'info');
  try {
    const { data, etag } = await providerRequest('PATCH', officePath(card.id, '/vacancy'), {
      token: state.token,
      etag: card.etag,
      body,
    });
    // The places and note were sent: the inputs now show what the server has. (「変わりなし」
    // sends none, so text typed but not saved stays in the inputs.)
    if ('accepting_note' in body) card.forgetInputs();
    card.show(data, etag);
    card.say(doneText(body, data), 'ok');
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) {
      // Someone else wrote meanwhile: show the latest, and say so (the user's inputs stay).
      if (await loadOffice(card)) card.say(error.userMessage, 'error');
      return;
    }
    failed(card, error);
  }
}

/** Shows a failure on the card (a 401 signs out; a 422 names the field). */
function failed(card, error) {
  if (!(error instanceof ApiError)) throw error;
  card.setBusy(!card.etag);
  if (error.status === 401) {
    signOutWith(error.userMessage);
    return;
  }
  if (error.status === 422) {
    const params = error.problem?.invalid_params ?? [];
    const name = params[0]?.name;
    const control = name === 'accepting_places' ? card.places : name === 'accepting_note' ? card.note : null;
    card.showError(params.map((p) => fieldMessage(p.name)).join(' ') || error.userMessage, control);
  }
  card.say(error.userMessage, 'error');
}

const actions = {
  onState(card, accepting) {
    const details = card.readDetails();
    if (details) send(card, { accepting, ...details });
  },
  onConfirm(card) {
    card.clearError();
    send(card, {});
  },
  onSave(card) {
    const details = card.readDetails();
    if (details) send(card, details);
  },
};

/** Shows the account's offices and loads each. */
export async function showOffices(providers) {
  state.cards = new Map(providers.map((office) => [String(office.id), new OfficeCard(office, actions)]));
  replaceChildren(ui.offices, ...[...state.cards.values()].map((card) => card.element));
  await Promise.all([...state.cards.values()].map(loadOffice));
}
