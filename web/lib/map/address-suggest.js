// The search box as an ARIA combobox: while a family types, addresses from /api/geocode are
// suggested (debounced) in a listbox, with 「名称で検索」 as the last option so a provider's name
// still finds the provider. Arrow keys move through the options (aria-activedescendant),
// Enter chooses the highlighted one (with none highlighted, Enter is the name search as
// before), Escape closes the list, a tap chooses too. Every text is set as text.

import { isAbort } from '../shared/api.js';
import { h } from '../shared/dom.js';
import { getJson } from './api.js';
import { setStatus } from './messages.js';
import { urlWith } from './query.js';

/** Quiet time after the last keystroke before suggestions are asked for. */
export const SUGGEST_DELAY_MS = 250;
/** Most address suggestions shown. */
const SUGGEST_LIMIT = 6;
/** Suggestions coarser than a 町字 (the prefecture, the city) do not place anyone. */
const MIN_LEVEL = 3;

/**
 * Wires `input` (role=combobox) and `listbox` together.
 * @param {{input: HTMLInputElement, listbox: HTMLElement,
 *   onAddress: (feature: object) => void, onName: (text: string) => void}} parts
 */
export function wireAddressSuggest({ input, listbox, onAddress, onName }) {
  let timer = 0;
  let controller = null;
  /** The options shown: {kind: 'address', feature} | {kind: 'name', text}. */
  let options = [];
  let active = -1;

  const close = () => {
    clearTimeout(timer);
    controller?.abort();
    options = [];
    active = -1;
    listbox.replaceChildren();
    listbox.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };

  const highlight = (index) => {
    active = index;
    [...listbox.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    const li = listbox.children[index];
    if (li) {
      input.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };

  const choose = (index) => {
    const option = options[index];
    close();
    if (!option) return;
    if (option.kind === 'address') onAddress(option.feature);
    else onName(option.text);
  };

  const show = (text, features) => {
    options = [
      ...features.map((feature) => ({ kind: 'address', feature })),
      { kind: 'name', text },
    ];
    active = -1;
    listbox.replaceChildren(
      ...options.map((o, i) =>
        h(
          'li',
          { id: `${listbox.id}-${i}`, role: 'option', class: `suggestion suggestion--${o.kind}`, 'aria-selected': 'false' },
          o.kind === 'address'
            ? [h('span', { class: 'suggestion__icon icon-pin', 'aria-hidden': 'true' }), o.feature.properties.address]
            : `「${text}」を名称で検索`,
        ),
      ),
    );
    listbox.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    input.removeAttribute('aria-activedescendant');
    setStatus(
      features.length ? `住所の候補が${features.length}件あります。上下の矢印キーで選べます。` : '住所の候補はありません。',
      { visible: false },
    );
  };

  const suggest = async (text) => {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    let features = [];
    try {
      const answer = await getJson(urlWith('/api/geocode', { q: text, limit: SUGGEST_LIMIT }), { signal: mine.signal });
      features = (answer.features ?? []).filter((f) => f.properties?.level >= MIN_LEVEL && f.geometry?.coordinates);
    } catch (error) {
      // Nothing matchable (a 400) or a failed request: the name search is still offered.
      if (isAbort(error)) return;
    }
    if (controller !== mine || input.value.trim() !== text) return;
    controller = null;
    show(text, features);
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) {
      close();
      return;
    }
    timer = setTimeout(() => suggest(text), SUGGEST_DELAY_MS);
  });

  input.addEventListener('keydown', (event) => {
    const open = !listbox.hidden && options.length > 0;
    switch (event.key) {
      case 'ArrowDown':
        if (!open) return;
        event.preventDefault();
        highlight((active + 1) % options.length);
        break;
      case 'ArrowUp':
        if (!open) return;
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
        break;
      case 'Enter':
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        } else {
          close();
        }
        break;
      case 'Escape':
        if (open) {
          event.preventDefault();
          event.stopPropagation();
          close();
        }
        break;
      default:
        break;
    }
  });

  // A tap keeps the focus in the box until the option is chosen.
  listbox.addEventListener('mousedown', (event) => event.preventDefault());
  listbox.addEventListener('click', (event) => {
    const li = event.target.closest('[role="option"]');
    if (li) choose([...listbox.children].indexOf(li));
  });
  input.addEventListener('blur', close);

  return { close };
}
