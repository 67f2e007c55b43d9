// Receipts from a real consentd verify with `jose`, a JOSE implementation we
// did not write, against the served JWKS (DESIGN.md: any JOSE library must be
// able to verify a receipt). Uses the real consentctl and consentd binaries.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const jose = require('jose');
const { spawnConsentd } = require('../support/consentd_process.js');

const consentd = process.env.CONSENTD;
const consentctl = process.env.CONSENTCTL;
const noticeFile = path.join(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const ORIGIN = 'https://velo.example';

async function startServer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-jose-'));
  const common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
  execFileSync(consentctl, ['init', ...common, '--site=bike-shop', `--origin=${ORIGIN}`]);
  execFileSync(consentctl, ['notice', 'publish', noticeFile, '--site=bike-shop', ...common]);
  const server = await spawnConsentd(consentd, [...common, '--port=0']);
  return { base: server.url, dir, stop: server.stop };
}

async function postDecision(base, body) {
  const r = await fetch(`${base}/v1/sites/bike-shop/decisions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ORIGIN }, body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

test('a served receipt verifies with jose against the served JWKS, and a tampered one does not', async () => {
  const server = await startServer();
  try {
    const notice = await (await fetch(`${server.base}/v1/sites/bike-shop/notice`)).json();
    const { status, body } = await postDecision(server.base, {
      decision_id: 'dec-jose-000001', subject_id: 'b_am9zZS1pbnRlcm9wLTAxMg', notice_id: 'bike-shop',
      notice_version: 3, notice_hash: notice.hash, language: 'en', method: 'custom', choices: { analytics: true },
    });
    assert.equal(status, 201);
    const jwks = jose.createLocalJWKSet(await (await fetch(`${server.base}/.well-known/jwks.json`)).json());
    const { payload, protectedHeader } = await jose.compactVerify(body.receipt, jwks);
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(protectedHeader.typ, 'consent-receipt+jws');
    const claims = JSON.parse(new TextDecoder().decode(payload));
    assert.equal(claims.receipt_id, body.receipt_id);
    assert.equal(claims.notice.hash, notice.hash);
    assert.deepEqual(claims.purposes.map((p) => [p.id, p.state]),
      [['necessary', 'granted'], ['analytics', 'granted'], ['marketing', 'denied']]);

    const [h, p, s] = body.receipt.split('.');
    const forged = Buffer.from(p, 'base64url').toString().replace('"denied"', '"granted"');
    const tampered = [h, Buffer.from(forged).toString('base64url'), s].join('.');
    await assert.rejects(jose.compactVerify(tampered, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  } finally {
    await server.stop();
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
});
