// Signing in on the provider page with the token from the letter (checked by
// `/api/admin/me`, then kept in sessionStorage only, as the staff page does; see
// shared/admin-api.js) and signing out. A staff account is pointed to the staff page.

import { tokenStore } from '../shared/admin-api.js';
import { ApiError } from '../shared/api.js';
import { h, replaceChildren } from '../shared/dom.js';
import { providerRequest } from './api.js';
import { onUnauthorized, showOffices } from './offices.js';
import { showStatus, state, ui } from './page-state.js';

/** Forgets the token and shows the sign-in form, with `message` if given. */
export function signOut(message = '') {
  tokenStore.clear();
  state.token = null;
  state.me = null;
  state.cards = new Map();
  replaceChildren(ui.offices);
  showStatus('');
  ui.app.hidden = true;
  ui.who.hidden = true;
  ui.signin.hidden = false;
  ui.signinError.textContent = message;
  ui.signinError.hidden = !message;
  ui.tokenInput.focus();
}

onUnauthorized(signOut);

function showSignedIn(me) {
  ui.signin.hidden = true;
  ui.app.hidden = false;
  ui.who.hidden = false;
  ui.whoName.textContent = me.name;
  const providers = me.providers ?? [];
  if (me.role !== 'provider') {
    replaceChildren(
      ui.offices,
      h(
        'p',
        { class: 'message message--info' },
        'このアカウントは市の職員用です。事業所情報の管理は',
        h('a', { href: '/staff.html' }, '職員用のページ'),
        'で行ってください。',
      ),
    );
    return Promise.resolve();
  }
  if (providers.length === 0) {
    showStatus('このアカウントに事業所が登録されていません。市の担当者にお問い合わせください。', 'error');
    return Promise.resolve();
  }
  return showOffices(providers);
}

/** Checks the token with `/api/admin/me`; keeps it for this tab if it works, else says why. */
export async function signIn(token) {
  try {
    const { data } = await providerRequest('GET', '/api/admin/me', { token });
    state.token = token;
    state.me = data;
    tokenStore.set(token);
    ui.signinError.hidden = true;
    await showSignedIn(data);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    signOut(error.userMessage);
  }
}
