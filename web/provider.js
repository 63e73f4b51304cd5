// The provider page (事業所用): an office manager signs in with the token from the city's
// letter and keeps the 空き状況 of their own offices current — 受入可 / 要相談 / 受入不可 in one
// tap, 空き人数 and a short note, or 「変わりなし（確認）」 — on a phone, in one screen.
// The parts live in lib/provider/: page-state (elements, state), session (sign in and out),
// offices (loading and writing each office), office-card (one office's controls), api (the
// requests and their Japanese messages). Every value from the data is shown as text.

import { tokenStore } from './lib/shared/admin-api.js';
import { request } from './lib/shared/api.js';
import { providerMessage } from './lib/provider/api.js';
import { state, ui } from './lib/provider/page-state.js';
import { signIn, signOut } from './lib/provider/session.js';

/** The stale rule of `/api/about`, said once under the introduction. */
async function loadStaleRule() {
  try {
    const about = await (await request('/api/about', {}, providerMessage)).json();
    if (Number.isInteger(about.stale_after_days)) {
      state.staleAfterDays = about.stale_after_days;
      ui.staleRule.textContent = `最後の確認から${about.stale_after_days}日を過ぎると、地図では「古い情報」として薄く表示され、「受入可のみ」の検索に出なくなります。`;
      ui.staleRule.hidden = false;
    }
  } catch {
    // The rule is a hint; the page works without it.
  }
}

function wire() {
  ui.signinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.tokenInput.value.trim();
    ui.tokenInput.value = '';
    if (token) signIn(token);
  });
  ui.signout.addEventListener('click', () => signOut());
}

async function start() {
  wire();
  loadStaleRule();
  const token = tokenStore.get();
  if (token) await signIn(token);
  else signOut();
}

start();
