// "Delete my records" (consent-erase.js, fetched only after a click: see
// web/src/erasure_loader.js). Three steps in the privacy-choices dialog, each
// a panel with the dialog's focus handling (heading focused, Tab kept inside,
// Escape closes):
//   1. what is deleted and what remains, and a confirmation: the click that
//      opened this deletes nothing;
//   2. the request: consentd's public erasure (POST …/erasures), with the
//      outbox held so that no decision under this id lands after it;
//   3. erased: the page forgets (banner.js forget) and says so; or not erased
//      (offline, refused): a clear message, nothing forgotten, try again.
// Every text enters the page as text (ui/dom.js).
import { h } from '../ui/dom.js';
import { textsFor } from './texts.js';

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));

/** POST /v1/sites/{site}/erasures as JSON (a CORS preflight first: nothing that cannot be undone goes without). */
async function postErasure(ctx) {
  const headers = { 'Content-Type': 'application/json' };
  if (ctx.token) headers['Consent-Subject-Token'] = ctx.token;
  let res;
  try {
    res = await fetch(ctx.server + '/v1/sites/' + encodeURIComponent(ctx.site) + '/erasures', {
      method: 'POST', credentials: 'omit', mode: 'cors', cache: 'no-store', headers,
      body: JSON.stringify({ subject_id: ctx.subject }),
    });
  } catch (e) {
    return { status: 0, body: null };
  }
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON: the status says enough */ }
  return { status: res.status, body };
}

/**
 * What an answer means: 'erased' (a signed erasure receipt, new or a replay of the first), 'nothing' (consentd
 * never had a receipt of this id, say every choice still waited in the outbox: nothing to erase there, and the
 * browser forgets all the same), 'offline' (not reached, busy, or an answer that is not consentd's), 'refused'.
 */
export function outcome({ status, body }) {
  const code = body && body.error && typeof body.error.code === 'string' ? body.error.code : '';
  if (status === 200 || status === 201)
    return body && typeof body.erasure === 'string' && typeof body.erasure_id === 'string' ? 'erased' : 'offline';
  if (status === 404 && code === 'subject.unknown') return 'nothing';
  if (!code || status === 0 || status === 408 || status === 429 || status >= 500) return 'offline';
  return 'refused';
}

function download(doc, site, answer) {
  const body = JSON.stringify(Object.assign({ format: 'consent-erasure-receipt/1', site }, answer), null, 2);
  const url = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
  const a = h(doc, 'a', { href: url, download: 'consent-erasure-' + site + '.json' });
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * ctx: {doc, dialog, view, server, site, subject, token?, hold() -> Promise, resume(), forget(answer), back()}
 * from banner.js erase().
 */
function open(ctx) {
  const { doc, dialog, view } = ctx;
  const T = textsFor(view.language);
  const button = (action, label, onclick) => h(doc, 'button', { type: 'button', class: 'cs-btn', 'data-action': action, onclick }, label);
  const list = (items) => h(doc, 'ul', { class: 'cs-erase-list' }, items.map((text) => h(doc, 'li', {}, text)));
  const heading = (text) => h(doc, 'h2', { id: 'cs-title', class: 'cs-title', tabindex: '-1' }, text);
  let busy = false;

  const confirm = button('erase-confirm', T.confirm, () => run());
  const cancel = button('erase-cancel', T.cancel, () => { if (!busy) ctx.back(); });
  const panel = dialog.showPanel(view, [
    heading(view.labels.delete_records || T.title),
    h(doc, 'p', { id: 'cs-body', class: 'cs-body' }, fill(T.intro, { site: view.controller.name })),
    h(doc, 'h3', { class: 'cs-subtitle' }, T.deleted_heading), list(T.deleted),
    h(doc, 'h3', { class: 'cs-subtitle' }, T.kept_heading), list(T.kept),
    h(doc, 'p', { class: 'cs-desc' }, T.after),
    h(doc, 'div', { class: 'cs-actions' }, [confirm, cancel]),
  ], 'erase-confirm');

  // A live region put in fresh each time, so screen readers read it out (role=alert for a failure).
  const say = (role, text) => {
    const old = panel.querySelector('.cs-status');
    if (old) old.remove();
    panel.insertBefore(h(doc, 'p', { class: 'cs-status', role, 'data-erasure': role === 'alert' ? 'failed' : 'working' }, text),
      panel.querySelector('.cs-actions'));
  };
  const setBusy = (on) => {
    busy = on;
    // aria-disabled, not disabled: the focused button keeps focus while the request runs.
    for (const b of [confirm, cancel]) if (on) b.setAttribute('aria-disabled', 'true'); else b.removeAttribute('aria-disabled');
  };

  const done = (answer) => {
    const actions = [button('erase-close', T.close, () => dialog.close())];
    if (answer) actions.unshift(button('erase-download', T.download, () => download(doc, ctx.site, answer)));
    dialog.showPanel(view, [
      heading(T.done_title),
      h(doc, 'p', { id: 'cs-body', class: 'cs-body', role: 'status' }, T.done),
      h(doc, 'div', { class: 'cs-actions' }, actions),
    ], 'erase-done');
  };

  async function run() {
    if (busy) return;
    setBusy(true);
    say('status', T.working);
    await ctx.hold();
    const answer = await postErasure(ctx);
    const result = outcome(answer);
    if (result === 'erased' || result === 'nothing') {
      ctx.forget(answer.body);
      done(result === 'erased' ? answer.body : null);
      return;
    }
    ctx.resume();
    setBusy(false);
    confirm.textContent = T.retry;
    const code = (answer.body && answer.body.error && answer.body.error.code) || 'HTTP ' + answer.status;
    say('alert', result === 'offline' ? T.offline : fill(T.refused, { code }));
  }
}

export { open };
