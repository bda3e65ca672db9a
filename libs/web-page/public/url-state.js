// What the page shows lives in its URL (deep links, reload, back button).

const KEYS = ['scope', 'q', 'sort', 'page', 'luid', 'asOf', 'find'];

export function readState(search = location.search) {
  const params = new URLSearchParams(search);
  const state = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value !== null && value !== '') state[key] = value;
  }
  return state;
}

export function stateHref(state) {
  const params = new URLSearchParams();
  for (const key of KEYS) if (state[key] !== undefined && state[key] !== '') params.set(key, state[key]);
  const text = params.toString();
  return text ? `/?${text}` : '/';
}

/** A new history entry (navigation) or the same one changed (typing in a filter). */
export function writeState(state, { replace = false } = {}) {
  const href = stateHref(state);
  if (href === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
}
