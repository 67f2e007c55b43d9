// When the wasm core cannot load, the visitor can still decide. The view then
// comes from consentd (the same core, natively: GET …/banner-view) and the
// choice goes into the outbox as a request for the server's core to record.
// Nothing gated runs on this page (the browser has no core to ask), and the
// choice is kept as "unapplied" so the core applies it on the next visit that
// loads it.
import { Dialog } from './ui/dialog.js';
import { buildRequest } from './request.js';

export async function startWithoutCore({ win, config, store, outbox, identity }) {
  // A visitor who already chose keeps their choice; there is nothing to ask.
  if (Object.keys(store.get('state', {})).length || store.get('unapplied', []).length) return false;
  const gpc = win.navigator.globalPrivacyControl === true;
  const languages = config.lang ? [config.lang] : Array.from(win.navigator.languages || []);
  const url = config.server + '/v1/sites/' + encodeURIComponent(config.site) + '/banner-view?languages=' +
    encodeURIComponent(languages.join(',')) + '&gpc=' + (gpc ? '1' : '0');
  const res = await fetch(url, { credentials: 'omit', mode: 'cors' });
  if (!res.ok) throw new Error('banner-view answered ' + res.status);
  const answer = await res.json();
  const view = answer.view;
  const decide = (action, choices) => {
    const request = buildRequest({ win, view, meta: answer, subject: identity.subject(), gpc, allowed: () => false,
      action, choices: choices || {} });
    store.set('unapplied', store.get('unapplied', []).concat([request]));
    outbox.add(request, identity.tokenFor(request.subject_id));
    dialog.hide();
    outbox.flush(true);
  };
  const dialog = new Dialog(win.document, {
    accept: () => decide('accept'), reject: () => decide('reject'), save: (c) => decide('save', c),
    download: () => {}, close: () => {},
  });
  dialog.showReopen(view, () => dialog.showChoices(view, false, 0));
  dialog.showFirst(view);
  return true;
}
