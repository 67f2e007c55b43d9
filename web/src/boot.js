// Starts the banner on a page: window.Consent, the stylesheet, the outbox, the
// first-visit question and the wasm core. Both entries call it: main.js (the
// script tag's consent.js) and index.js (start() for a site's own bundle).
// It never blocks the first paint. The order of things is the state machine in
// startup.js; what happens on entering each state is here. Until a core has
// said otherwise — the wasm core here, or on a first visit consentd's core
// through the outcome of a first-layer click — nothing gated runs (fail
// closed): Consent.allowed() answers false for every purpose.
import { ASSETS } from './assets.js';
import { Store } from './storage.js';
import { Outbox } from './outbox.js';
import { Events } from './events.js';
import { AllowedCallbacks, drainQueue } from './allowed_callbacks.js';
import { loadCore } from './core_loader.js';
import { loadNotice, checkNotice } from './notice_loader.js';
import { Banner } from './banner.js';
import { FirstVisit, isFirstVisit, fetchFirstVisit, inlineFirstVisit } from './first_visit.js';
import { Startup } from './startup.js';
import { Identity } from './identity.js';
import { keepReceipt } from './receipts.js';
import { revertRefused } from './refusal.js';

function storageOf(win) {
  try { return win.localStorage; } catch (e) { return null; }
}

// A <link> to a same-origin (or listed) file is all style-src 'self' allows:
// the banner writes no <style> element and no style attribute.
// A site may link it in its own <head> (as the bench's page does), so that it arrives with the page: then once only.
function loadStylesheet(doc, href, integrity) {
  const url = new URL(href, doc.baseURI).href;
  if (Array.from(doc.querySelectorAll('link[rel="stylesheet"]')).some((l) => l.href === url)) return;
  const link = doc.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  if (integrity) {
    link.integrity = integrity;
    link.crossOrigin = 'anonymous';
  }
  doc.head.appendChild(link);
}

// Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now; 0 when absent or unreadable.
// (consentd must list it in Access-Control-Expose-Headers for a cross-origin page to read it.)
function retryAfterMs(value) {
  if (!value) return 0;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now());
}

// The JSON goes as text/plain, a CORS-safelisted type (Fetch §2.2.2): without a
// subject token the POST is a simple request, with no preflight round trip
// before it. A consentd older than that answers 415: the page then sends JSON.
let decisionType = 'text/plain;charset=UTF-8';

async function postDecision(config, request, token) {
  const headers = { 'Content-Type': decisionType };
  if (token) headers['Consent-Subject-Token'] = token;
  const res = await fetch(config.server + '/v1/sites/' + encodeURIComponent(config.site) + '/decisions', {
    method: 'POST', credentials: 'omit', mode: 'cors', headers,
    body: JSON.stringify(request),
  });
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON: keep the status */ }
  if (res.status === 415 && decisionType !== 'application/json') {
    decisionType = 'application/json';
    return postDecision(config, request, token);
  }
  return { status: res.status, body, retryAfterMs: retryAfterMs(res.headers.get('Retry-After')) };
}

// Resolves after the next frame has been painted (or after 100 ms in a hidden
// tab, where frames do not come).
function afterPaint(win) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    win.requestAnimationFrame(() => setTimeout(() => { clearTimeout(timer); resolve(); }, 0));
  });
}

/** options.stylesheet false: the site brings consent.css itself (bundled). Returns window.Consent. */
export function boot(win, config, options = {}) {
  const doc = win.document;
  const store = new Store(config.site, storageOf(win));
  const events = new Events(doc);
  const identity = new Identity(config.site, store);
  const callbacks = new AllowedCallbacks();
  let banner = null;

  // A refusal that comes before the core's banner runs is shown once it does.
  let refusedEarly = null;
  const outbox = new Outbox(store, (request, token) => postDecision(config, request, token), (request, answer) => {
    store.set('receipts', keepReceipt(store.get('receipts', []),
      Object.assign({ decision_id: request.decision_id, method: request.method }, answer)));
    events.emit('receipt', { receipt_id: answer.receipt_id, decision_id: request.decision_id });
  }, (request, error, entry, later) => {
    console.error('consent.js: the server refused decision ' + request.decision_id + ': ' + error.code);
    revertRefused(store, entry, later);
    const detail = { decision_id: request.decision_id, code: error.code, method: request.method };
    if (banner) banner.refused(detail);
    else if (first && first.shown) first.refused(detail);
    else refusedEarly = detail;
    events.emit('rejected', detail);
  });
  outbox.tokenFor = (subject) => identity.tokenFor(subject);
  outbox.onTokenRefused = (token) => identity.forget(token);

  const api = {
    allowed: (purpose) => (banner ? banner.allowed(purpose) : first ? first.allowed(purpose) : false),
    whenAllowed: (purposes, fn) => callbacks.add(purposes, fn, api.allowed),
    on: (name, fn) => events.on(name, fn),
    show: () => { if (banner) banner.show(); else if (first && first.shown) first.showChoices(); },
    receipt: () => { const r = store.get('receipts', []); return r.length ? r[r.length - 1] : null; },
    receipts: () => store.get('receipts', []),
    subject: () => identity.subject(),
    identify: (token) => identity.identify(token),
    pending: () => outbox.pending(),
    ready: null,
  };
  win.Consent = api;

  if (options.stylesheet !== false) loadStylesheet(doc, config.base + ASSETS['consent.css'].file, ASSETS['consent.css'].integrity);
  // Sends whatever earlier visits left behind, and again whenever the network returns.
  outbox.flush(true);
  win.addEventListener('online', () => outbox.flush(true));

  const domReady = new Promise((resolve) => {
    if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', resolve, { once: true });
    else resolve();
  });
  // Consent.ready: the question is on screen (first visit) or the core's banner runs; rejected when the core cannot start.
  let settle = null;
  api.ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  const announce = () => {
    if (!settle) return;
    const { resolve } = settle;
    settle = null;
    events.emit('ready', { allowed: banner ? Object.assign({}, banner.verdicts) : {} });
    resolve(api);
  };
  // The first-visit answer's notice, else consentd's notice, else what the last visit kept (notice_loader.js).
  let firstAnswer = null;
  const notice = () => {
    const answer = firstAnswer;
    if (!answer || !answer.notice) return loadNotice(config, store);   // (a consentd older than the notice in this answer)
    return Promise.resolve({ doc: { hash: answer.hash, last_material_version: answer.last_material_version, notice: answer.notice }, source: 'server' });
  };

  const startup = new Startup({
    // A first visit asks for the notice together with the server core's view of it and shows the question
    // as soon as the page is there; the wasm core waits until something needs it (first_visit.js).
    fetchingView: () => {
      const inline = inlineFirstVisit(win);
      const answered = inline ? Promise.resolve(inline) : fetchFirstVisit(win, config).catch(() => null);
      Promise.all([answered, domReady]).then(([answer]) => {
        if (!answer) return startup.send('viewFailed');   // the core must draw the question
        firstAnswer = answer;
        if (answer.notice) store.set('notice', { hash: answer.hash, last_material_version: answer.last_material_version, notice: answer.notice });
        first.show(answer);
        startup.send('viewShown');
      });
    },
    asking: () => afterPaint(win).then(announce),
    // A returning visitor's page needs the core at once: its gated scripts wait.
    loadingCore: () => {
      Promise.all([loadCore(win, config.base), notice(), domReady])
        .then(([core, loaded]) => new Banner({ win, config, store, core, notice: checkNotice(core, loaded.doc), events, outbox,
          identity, callbacks, dialog: first && first.shown ? first.dialog : undefined }))
        .then((made) => startup.send('coreReady', made), (error) => startup.send('coreFailed', error));
    },
    running: (made) => {
      banner = made;
      const shown = Boolean(first && first.shown);
      if (first) first.handOver(banner);
      banner.start({ ask: !shown, sync: Boolean(first && first.synced),
        before: first && first.choseHere ? first.verdicts : null });
      if (refusedEarly) banner.refused(refusedEarly);
      if (first && first.showWhenReady) banner.show();
      announce();
    },
    failed: (error) => {
      console.error('consent.js: nothing gated will run: ' + error.message);
      if (settle) { settle.reject(error); settle = null; }
    },
  });
  const first = isFirstVisit(store)
    ? new FirstVisit({ win, store, outbox, identity, events, callbacks,
      needCore: () => startup.send('coreNeeded'), answered: () => startup.send('answered') })
    : null;
  startup.send(first ? 'firstVisit' : 'returning');
  // After `first` exists: a callback queued for a purpose allowed from the start asks it.
  drainQueue(win, api);
  return api;
}
