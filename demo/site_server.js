// The bike shop's own web server: its pages (with the one script tag of the
// banner), the banner's built files under /dist/, the newsletter sign-up, and a
// few read-only windows the pages need:
//   /api/newsletter/log  the sender's recent log, only what concerns the asking visitor
//   /api/log/*           consentd's open log routes (keys, checkpoint, proofs), passed
//                        through unchanged because consentd sends no CORS header for them
//   /api/operator/stats  consentd's opt-in counts, fetched with the shop's API key:
//                        the key stays on this server, the browser never sees it
//   /api/receipts/export consentd's export of the asking browser's own id (its receipts,
//                        or "erased" with the erasure receipts), with the same key
// The pages are templates: {{CONSENTD}} and {{SITE}} are filled in when served,
// {{HEADER}} and {{FOOTER}} from partials/, {{DIST:consent.js}} and
// {{SRI:consent.js}} from the banner's manifest (its content-hashed file names
// and integrity hashes, which the shop serves as immutable).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { createStaticServer } = require('../web/tools/static_server.js');
const { Subscribers, isEmail, isSubject } = require('./subscribers.js');

const MAX_BODY_BYTES = 4096;
const UPSTREAM_TIMEOUT_MS = 10000;

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function fail(res, status, code, message) {
  sendJson(res, status, { error: { code, message } });
}

function readJsonBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('the request body is too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) {
        reject(Object.assign(new Error('the request body is not JSON'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

/** GETs url and hands status, type and body on unchanged (or a 502 when upstream cannot be reached). */
function forward(res, url, headers = {}) {
  const upstream = http.get(url, { headers, timeout: UPSTREAM_TIMEOUT_MS }, (answer) => {
    const out = { 'Content-Type': answer.headers['content-type'] || 'application/octet-stream', 'Cache-Control': 'no-store' };
    res.writeHead(answer.statusCode, out);
    answer.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
  upstream.on('error', (e) => {
    if (!res.headersSent) fail(res, 502, 'demo.upstream_unavailable', `${new URL(url).origin} cannot be reached: ${e.message}`);
    else res.destroy();
  });
}

function escapeAttribute(text) {
  return String(text).replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' }[c]));
}

/**
 * options: {siteDir, distDir, site, subscribersFile, apiKeyFile, logOrigin}
 * Set server.demo.consentd and server.demo.sender (base URLs) once they run;
 * until then the routes that need them answer 503.
 */
function createSiteServer(options) {
  const demo = { consentd: '', sender: '', site: options.site, logOrigin: options.logOrigin || 'consentd/receipts' };
  const subscribers = new Subscribers(options.subscribersFile);
  const routes = {};

  const needs = (what, res) => {
    if (demo[what]) return true;
    fail(res, 503, 'demo.starting', `the demo's ${what} is not running yet`);
    return false;
  };

  // Every page of the shop, rendered from its template on each request; the
  // header (with the badges) and the footer are shared by all pages.
  const partial = (name) => fs.readFileSync(path.join(options.siteDir, 'partials', name), 'utf8').trimEnd();
  // Read on each render: a rebuilt banner is served under its new names at once.
  const manifest = () => JSON.parse(fs.readFileSync(path.join(options.distDir, 'manifest.json'), 'utf8'));
  const asset = (files, name, field) => {
    if (!files[name]) throw new Error(`the banner's manifest has no ${name}`);
    return field === 'file' ? '/dist/' + files[name].file : files[name].integrity;
  };
  for (const name of fs.readdirSync(options.siteDir).filter((f) => f.endsWith('.html'))) {
    const file = path.join(options.siteDir, name);
    const render = (req, res) => {
      const files = manifest();
      const html = fs.readFileSync(file, 'utf8')
        .replace('{{HEADER}}', partial('header.html'))
        .replace('{{FOOTER}}', partial('footer.html'))
        .replaceAll('{{CONSENTD}}', escapeAttribute(demo.consentd))
        .replaceAll('{{SITE}}', escapeAttribute(demo.site))
        .replace(/\{\{DIST:([\w.-]+)\}\}/g, (m, name) => asset(files, name, 'file'))
        .replace(/\{\{SRI:([\w.-]+)\}\}/g, (m, name) => asset(files, name, 'integrity'));
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : html);
    };
    routes['/' + name] = render;
    if (name === 'index.html') routes['/'] = render;
  }

  routes['/api/config'] = (req, res) => sendJson(res, 200, { site: demo.site, consentd: demo.consentd, log_origin: demo.logOrigin });

  routes['/api/newsletter/subscription'] = async (req, res, url) => {
    try {
      if (req.method === 'GET') {
        const subject = url.searchParams.get('subject') || '';
        if (!isSubject(subject)) return fail(res, 400, 'demo.bad_subject', 'subject must be the banner\'s subject id');
        const found = subscribers.find(subject);
        return sendJson(res, 200, found ? { subscribed: true, email: found.email, since: found.since } : { subscribed: false });
      }
      if (req.method !== 'POST' && req.method !== 'DELETE') return fail(res, 405, 'demo.method', 'GET, POST or DELETE');
      const body = await readJsonBody(req);
      if (!body || !isSubject(body.subject)) return fail(res, 400, 'demo.bad_subject', 'subject must be the banner\'s subject id');
      if (req.method === 'DELETE') {
        subscribers.remove(body.subject);
        return sendJson(res, 200, { subscribed: false });
      }
      if (!isEmail(body.email)) return fail(res, 400, 'demo.bad_email', 'that does not look like an email address');
      const entry = subscribers.add(body.subject, body.email.trim());
      return sendJson(res, 200, { subscribed: true, email: entry.email, since: entry.since });
    } catch (e) {
      return fail(res, e.status || 500, 'demo.bad_request', e.message);
    }
  };

  // The sender's log, filtered by the sender to its general lines and this subject's.
  routes['/api/newsletter/log'] = (req, res, url) => {
    if (!needs('sender', res)) return;
    const subject = url.searchParams.get('subject') || '';
    const after = Number.parseInt(url.searchParams.get('after') || '0', 10) || 0;
    if (!isSubject(subject)) return fail(res, 400, 'demo.bad_subject', 'subject must be the banner\'s subject id');
    forward(res, `${demo.sender}/log?subject=${encodeURIComponent(subject)}&after=${after}`);
  };

  // consentd's open routes, byte for byte.
  const open = {
    '/api/log/jwks': () => '/.well-known/jwks.json',
    '/api/log/checkpoint': () => '/v1/log/checkpoint',
    '/api/log/inclusion': (q) => `/v1/log/proofs/inclusion?leaf=${int(q, 'leaf')}&size=${int(q, 'size')}`,
    '/api/log/consistency': (q) => `/v1/log/proofs/consistency?from=${int(q, 'from')}&to=${int(q, 'to')}`,
  };
  const int = (q, name) => String(Number.parseInt(q.get(name) || '', 10));
  for (const [route, target] of Object.entries(open)) {
    routes[route] = (req, res, url) => {
      if (needs('consentd', res)) forward(res, demo.consentd + target(url.searchParams));
    };
  }

  // "Your receipts": consentd's export of the asking browser's own id (backend-only, so fetched here with the
  // shop's key). The id is the browser's random one, a capability: whoever names it is that visitor. It says
  // "erased": true, with the erasure receipts, once the visitor had their records deleted.
  routes['/api/receipts/export'] = (req, res, url) => {
    if (!needs('consentd', res)) return;
    const subject = url.searchParams.get('subject') || '';
    if (!isSubject(subject)) return fail(res, 400, 'demo.bad_subject', 'subject must be the banner\'s subject id');
    let apiKey;
    try { apiKey = fs.readFileSync(options.apiKeyFile, 'utf8').trim(); } catch (e) {
      return fail(res, 503, 'demo.no_api_key', 'the shop has no API key yet');
    }
    forward(res, `${demo.consentd}/v1/sites/${encodeURIComponent(demo.site)}/subjects/${subject}/export`,
      { Authorization: `Bearer ${apiKey}` });
  };

  // Counts per purpose and bucket, and the notice versions: no personal data.
  routes['/api/operator/stats'] = (req, res, url) => {
    if (!needs('consentd', res)) return;
    const q = url.searchParams;
    const query = ['bucket', 'since', 'until'].filter((k) => q.has(k)).map((k) => `${k}=${int(q, k)}`).join('&');
    let apiKey;
    try { apiKey = fs.readFileSync(options.apiKeyFile, 'utf8').trim(); } catch (e) {
      return fail(res, 503, 'demo.no_api_key', 'the shop has no API key yet');
    }
    forward(res, `${demo.consentd}/v1/sites/${encodeURIComponent(demo.site)}/stats/opt-in?${query}`,
      { Authorization: `Bearer ${apiKey}` });
  };

  const server = createStaticServer([
    { prefix: '/dist/', dir: path.resolve(options.distDir) },
    { prefix: '/', dir: path.resolve(options.siteDir) },
  ], { routes, immutable: true });
  server.demo = demo;
  return server;
}

module.exports = { createSiteServer };
