// Signing in with a token (checked by /api/admin/me, then kept in sessionStorage only) and
// signing out (the token forgotten, the sign-in form shown with any message). A provider's
// token (事業所アカウント) belongs on the provider page: the tab goes there, token kept.

import { ApiError } from '../shared/api.js';
import { staffRequest, tokenStore } from './api.js';
import { state, ui } from './page-state.js';
import { setUpMap } from './provider-map.js';

const ROLE_LABELS = { editor: '編集者', admin: '管理者', provider: '事業所' };

/** Set by staff.js: what the page loads once someone is signed in (accounts, reminders, centres). */
let onSignedIn = () => {};

export function whenSignedIn(handler) {
  onSignedIn = handler;
}

function showSignedIn(user) {
  if (user.role === 'provider') {
    location.replace('/provider.html');
    return;
  }
  ui.signin.hidden = true;
  ui.app.hidden = false;
  ui.who.hidden = false;
  ui.whoName.textContent = user.name;
  ui.whoRole.textContent = ROLE_LABELS[user.role] ?? user.role;
  setUpMap();
  onSignedIn(user);
}

/** Forgets the token and shows the sign-in form, with `message` if given. */
export function signOut(message = '') {
  tokenStore.clear();
  state.token = null;
  state.selected = null;
  ui.app.hidden = true;
  ui.who.hidden = true;
  ui.editor.hidden = true;
  ui.editorEmpty.hidden = false;
  ui.signin.hidden = false;
  ui.signinError.textContent = message;
  ui.signinError.hidden = !message;
  ui.tokenInput.focus();
}

/** Checks the token with /api/admin/me; keeps it for this tab if it works, else says why. */
export async function signIn(token) {
  try {
    const { data } = await staffRequest('GET', '/api/admin/me', { token });
    state.token = token;
    tokenStore.set(token);
    ui.signinError.hidden = true;
    showSignedIn(data);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    tokenStore.clear();
    ui.signin.hidden = false;
    ui.signinError.textContent = error.userMessage;
    ui.signinError.hidden = false;
  }
}
