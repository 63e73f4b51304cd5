// The provider page's elements (by id) and state: the token, the signed-in account, and the
// office cards shown, by provider id.

const $ = (id) => document.getElementById(id);

export const ui = {
  signin: $('signin'),
  signinForm: $('signin-form'),
  tokenInput: $('token-input'),
  signinError: $('signin-error'),
  who: $('who'),
  whoName: $('who-name'),
  signout: $('signout-button'),
  app: $('app'),
  staleRule: $('stale-rule'),
  status: $('status'),
  offices: $('offices'),
};

export const state = {
  token: null,
  /** `GET /api/admin/me`: name, role, providers [{id, name}]. */
  me: null,
  /** Days after which a confirmation counts as old (`/api/about`), or null when unknown. */
  staleAfterDays: null,
  /** @type {Map<string, import('./office-card.js').OfficeCard>} */
  cards: new Map(),
};

/** Shows a page-wide message (tone: info or error), or hides it when empty. */
export function showStatus(text, tone = 'info') {
  ui.status.textContent = text;
  ui.status.hidden = !text;
  ui.status.className = `message message--${tone}`;
}
