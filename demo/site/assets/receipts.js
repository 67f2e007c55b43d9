// "Your receipts": the receipts this browser holds (Consent.receipts()), each
// shown as what was chosen, when, on which notice version, checked in the
// browser (verify.js) and downloadable as a self-contained JSON file; and a
// file picker that checks a downloaded receipt the same way.
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

  function row(held, result, jwks) {
    const p = result.payload || {};
    const notice = p.notice ? 'version ' + p.notice.version : '?';
    return el('tr', { 'data-receipt': held.receipt_id, 'data-verified': String(result.checks.every((c) => c.ok)) }, [
      el('td', {}, [el('time', { text: when(p.iat || held.server_time) }), el('div', { class: 'note', text: METHODS[p.method || held.method] || held.method })]),
      el('td', {}, purposesList(p)),
      el('td', {}, [notice, el('div', { class: 'note mono', title: p.notice && p.notice.hash, text: p.notice ? 'sha256 ' + p.notice.hash.slice(0, 12) + '…' : '' }),
        el('div', { class: 'note', text: p.language ? 'shown in ' + p.language : '' })]),
      el('td', {}, checksList(result.checks)),
      el('td', {}, downloadLink(held, jwks)),
    ]);
  }

  async function showHeld(ctx) {
    const subject = window.Consent.subject();
    $('subject').textContent = subject;
    $('log-now').textContent = ctx.current.empty ? 'empty, no receipts yet' : ctx.current.valid ? ctx.current.tree_size + ' receipts, checkpoint signed ✓'
      : 'the checkpoint does not verify ✗ (' + ctx.current.reason + ')';
    const held = window.Consent.receipts().slice().reverse();
    const body = $('receipts').tBodies[0];
    if (!held.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'note', text: 'No receipts yet: make a choice in the banner ("Privacy choices").' })));
      return;
    }
    const rows = [];
    for (const r of held) rows.push(row(r, await window.VeloVerify.checkReceipt(ctx, r, subject), ctx.jwks));
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
  }

  function whenReady(fn) {
    if (window.Consent && window.Consent.ready && window.ConsentCore && window.VeloVerify) fn();
    else setTimeout(() => whenReady(fn), 20);
  }
  whenReady(main);
})();
