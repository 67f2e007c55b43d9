// "Your receipts": the receipts this browser holds (Consent.receipts()), each
// shown as what was chosen, when, on which notice version, checked in the
// browser (verify.js) and downloadable as a self-contained JSON file; and a
// file picker that checks a downloaded receipt the same way.
// consentd's export of this browser's id (/api/receipts/export) says which of
// them were erased ("Delete my records", or the shop's erasure): those rows say
// "erased", their proofs still verify (the log keeps each leaf's hash), and the
// erasure receipts are listed, each checked to be in today's log.
'use strict';
(function () {
  const METHODS = { accept_all: 'Accept all', reject_all: 'Reject all', custom: 'Own choice', withdraw: 'Withdrawal',
    gpc: 'Global Privacy Control', server_withdraw: 'Withdrawal (unsubscribe link)' };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of [].concat(children || [])) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  const when = (seconds) => new Date(seconds * 1000).toLocaleString();

  function checksList(checks) {
    return el('ul', { class: 'checks' }, checks.map((c) => el('li', {
      class: 'check', 'data-check': c.id, 'data-ok': String(c.ok), title: c.detail || '',
    }, [c.label, el('span', { class: 'visually-hidden', text: c.ok ? ' (passed)' : ' (failed: ' + c.detail + ')' })])));
  }

  function purposesList(payload) {
    const purposes = (payload && payload.purposes) || [];
    return el('ul', { class: 'purposes-list' }, purposes.filter((p) => p.legal_basis !== 'necessary').map((p) =>
      el('li', {}, [p.id + ': ', el('span', { class: 'state-' + p.state, text: p.state })])));
  }

  /** The file a visitor keeps: the receipt with its place in the log and the keys to check it offline. */
  function receiptFile(held, jwks) {
    return {
      format: 'velo-demo-receipt/1',
      site: document.querySelector('script[data-site]').getAttribute('data-site'),
      receipt_id: held.receipt_id, receipt: held.receipt, decision_id: held.decision_id, method: held.method,
      log_index: held.log_index, server_time: held.server_time,
      checkpoint: held.checkpoint, tree_size: held.tree_size, inclusion_proof: held.inclusion_proof,
      jwks,
    };
  }

  function downloadLink(held, jwks) {
    const blob = new Blob([JSON.stringify(receiptFile(held, jwks), null, 2)], { type: 'application/json' });
    return el('a', { class: 'button secondary', 'data-download': held.receipt_id, download: 'receipt-' + held.receipt_id + '.json',
      href: URL.createObjectURL(blob), text: 'Download' });
  }

  function row(held, result, jwks, erasure) {
    const p = result.payload || {};
    const notice = p.notice ? 'version ' + p.notice.version : '?';
    return el('tr', { 'data-receipt': held.receipt_id, 'data-verified': String(result.checks.every((c) => c.ok)),
      'data-erased': erasure ? 'true' : null, class: erasure ? 'erased' : null }, [
      el('td', {}, [el('time', { text: when(p.iat || held.server_time) }), el('div', { class: 'note', text: METHODS[p.method || held.method] || held.method }),
        erasure ? el('div', { class: 'erased-note', text: 'Erased ' + when(erasure.iat) + ' (' + erasure.reason + ')' }) : null]),
      el('td', {}, purposesList(p)),
      el('td', {}, [notice, el('div', { class: 'note mono', title: p.notice && p.notice.hash, text: p.notice ? 'sha256 ' + p.notice.hash.slice(0, 12) + '…' : '' }),
        el('div', { class: 'note', text: p.language ? 'shown in ' + p.language : '' })]),
      el('td', {}, checksList(result.checks)),
      el('td', {}, downloadLink(held, jwks)),
    ]);
  }

  // consentd's export of this browser's id, through the shop's server (the export is backend-only); null when
  // it cannot be read (the page still checks what it holds).
  async function exportOf(subject) {
    try {
      const res = await fetch('/api/receipts/export?subject=' + encodeURIComponent(subject), { cache: 'no-store' });
      return res.ok ? await res.json() : null;
    } catch (e) {
      return null;
    }
  }

  /** log index -> the payload of the erasure receipt that erased it. */
  function erasedBy(bundle) {
    const out = new Map();
    for (const e of (bundle && bundle.erasures) || []) {
      const p = window.VeloVerify.decodePayload(e.jws);
      for (const x of (p && p.erased) || []) out.set(x.log_index, p);
    }
    return out;
  }

  // An erasure receipt names no person: when, why, on whose request, which log entries. It is checked to be in
  // today's log (its leaf under today's signed checkpoint).
  async function erasureRow(ctx, entry) {
    const p = window.VeloVerify.decodePayload(entry.jws) || {};
    const check = { id: 'logged', label: 'In today\'s log', ok: false, detail: '' };
    try {
      if (!ctx.current.valid) throw new Error('today\'s checkpoint does not verify');
      const fresh = await (await fetch('/api/log/inclusion?leaf=' + entry.log_index + '&size=' + ctx.current.tree_size, { cache: 'no-store' })).json();
      const inc = ctx.core.verifyInclusion({ leaf_index: entry.log_index, tree_size: ctx.current.tree_size,
        leaf_hash: ctx.core.merkleLeafHash(entry.jws), proof: fresh.proof, root: ctx.current.root });
      check.ok = inc.valid === true;
      check.detail = inc.valid ? 'leaf ' + entry.log_index + ' of ' + ctx.current.tree_size : inc.reason;
    } catch (e) {
      check.detail = e.message;
    }
    return el('li', { 'data-erasure': entry.erasure_id, 'data-verified': String(check.ok) }, [
      el('strong', { text: 'Erased ' + when(p.iat) }),
      ' · ' + (p.erased || []).length + ' receipt(s) · reason ' + p.reason + ' · asked by ' + p.requested_by,
      el('div', { class: 'note mono', text: entry.erasure_id }),
      checksList([check]),
    ]);
  }

  async function showErasures(ctx, bundle) {
    const list = $('erasures');
    const entries = (bundle && bundle.erasures) || [];
    $('erasures-section').hidden = !entries.length;
    const items = [];
    for (const e of entries) items.push(await erasureRow(ctx, e));
    list.replaceChildren(...items);
  }

  // consentd's export checked whole, as `consentctl verify` checks it (the core's bundle.verify): signatures,
  // notice hashes, the chain, erasure receipts, the receipts this browser kept (each in the export, or named
  // erased with its leaf hash), the checkpoint and inclusion. The export's keys must be consentd's own.
  function checkBundle(ctx, bundle, held) {
    const out = $('bundle-check');
    if (!bundle) {
      out.textContent = '';
      return;
    }
    const published = new Set(((ctx.jwks && ctx.jwks.keys) || []).map((k) => k.kid + ' ' + k.x));
    const foreign = ((bundle.keys && bundle.keys.keys) || []).filter((k) => !published.has(k.kid + ' ' + k.x));
    let v;
    try {
      v = foreign.length ? { valid: false, message: 'the export carries a key consentd does not publish' }
        : ctx.core.verifyBundle(bundle, { held: held.map((r) => r.receipt) });
    } catch (e) {
      v = { valid: false, message: e.message };
    }
    out.dataset.verified = String(v.valid === true);
    out.textContent = v.valid
      ? 'consentd\'s export of this id verifies as a proof bundle: ' + v.receipts + ' receipt(s)' +
        (v.erasures ? ', ' + v.erased + ' erased, named by ' + v.erasures + ' signed erasure receipt(s)' : '') +
        (v.held ? '; all ' + v.held + ' receipt(s) this browser kept are in it' + (v.held_erased ? ' or erased' : '') : '') + ' ✓'
      : 'consentd\'s export of this id does not verify ✗ (' + (v.message || v.reason) + ')';
  }

  async function showHeld(ctx, subject = window.Consent.subject(), held = window.Consent.receipts().slice().reverse(),
    erasedNow = false) {
    const bundle = await exportOf(subject);
    const erased = erasedBy(bundle);
    $('subject').textContent = subject + (bundle && bundle.erased ? ' (erased)' : '') +
      (erasedNow ? ' — this browser forgot it: your next choice is made under a new id' : '');
    $('receipts').dataset.erased = String(Boolean(bundle && bundle.erased));
    checkBundle(ctx, bundle, held);
    await showErasures(ctx, bundle);
    $('log-now').textContent = ctx.current.empty ? 'empty, no receipts yet' : ctx.current.valid ? ctx.current.tree_size + ' receipts, checkpoint signed ✓'
      : 'the checkpoint does not verify ✗ (' + ctx.current.reason + ')';
    const body = $('receipts').tBodies[0];
    if (!held.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'note', text: 'No receipts yet: make a choice in the banner ("Privacy choices").' })));
      return;
    }
    const rows = [];
    for (const r of held) rows.push(row(r, await window.VeloVerify.checkReceipt(ctx, r, subject), ctx.jwks, erased.get(r.log_index)));
    body.replaceChildren(...rows);
    $('receipts').dataset.ready = 'true';
  }

  async function checkFile(ctx, file) {
    const out = $('file-result');
    out.replaceChildren(el('p', { class: 'note', text: 'Checking ' + file.name + '…' }));
    let held;
    try {
      const parsed = JSON.parse(await file.text());
      held = parsed.format === 'consent-receipts/1' ? parsed.receipts[parsed.receipts.length - 1] : parsed;
      if (!held || typeof held.receipt !== 'string') throw new Error('no receipt in this file');
    } catch (e) {
      out.replaceChildren(el('p', { class: 'check', 'data-ok': 'false', text: 'Not a receipt file: ' + e.message }));
      return;
    }
    const result = await window.VeloVerify.checkReceipt(ctx, held, null);
    const ok = result.checks.every((c) => c.ok);
    out.replaceChildren(
      el('p', { class: 'check', 'data-ok': String(ok), 'data-file-verdict': String(ok),
        text: ok ? 'This receipt is genuine and in the log.' : 'This receipt does not hold up.' }),
      checksList(result.checks));
  }

  async function main() {
    try {
      await window.Consent.ready;
    } catch (e) { /* the receipts held are still there to check */ }
    let ctx;
    try {
      ctx = await window.VeloVerify.context();
    } catch (e) {
      $('receipts').tBodies[0].replaceChildren(el('tr', {}, el('td', { colspan: '5', text: 'Cannot reach the log to check receipts: ' + e.message })));
      return;
    }
    $('receipt-file').addEventListener('change', (e) => { if (e.target.files[0]) checkFile(ctx, e.target.files[0]); });
    await showHeld(ctx);
    // A new choice made from this page's banner shows up once consentd has signed it.
    window.Consent.on('receipt', async () => {
      try { ctx = await window.VeloVerify.context(); } catch (e) { return; }
      showHeld(ctx);
    });
    // "Delete my records": the banner has forgotten the id and its receipts; this page still shows what it
    // held, now erased, against consentd's export of that id and today's log.
    let shown = { subject: window.Consent.subject(), held: window.Consent.receipts().slice().reverse() };
    window.Consent.on('receipt', () => { shown = { subject: window.Consent.subject(), held: window.Consent.receipts().slice().reverse() }; });
    window.Consent.on('erased', async () => {
      try { ctx = await window.VeloVerify.context(); } catch (e) { return; }
      showHeld(ctx, shown.subject, shown.held, true);
    });
  }

  function whenReady(fn) {
    if (window.Consent && window.Consent.ready && window.ConsentCore && window.VeloVerify) fn();
    else setTimeout(() => whenReady(fn), 20);
  }
  whenReady(main);
})();
