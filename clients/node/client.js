// consentd's backend API over HTTP (node's own http module, no dependency).
// Every call has a timeout; 429 and 503 (consentd's retryable answers) and
// connection failures are retried with exponential backoff honouring
// Retry-After. A withdrawal always carries a decision id, so a retry replays.
'use strict';
const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');

const RETRYABLE_STATUSES = [429, 503];

/** consentd's {"error":{code,message}}, or a failure on this side (client.timeout, client.unreachable). */
class ConsentError extends Error {
  constructor(code, message, { status = 0, retryable = false, retryAfter = null, path = '' } = {}) {
    super(`${code}: ${message}`);
    this.name = 'ConsentError';
    this.code = code;
    this.status = status;
    this.retryable = retryable;
    this.retryAfter = retryAfter;
    this.path = path;
  }
}

function errorOf(status, text, retryAfter) {
  let code = 'client.bad_answer';
  let message = `HTTP ${status}`;
  let path = '';
  try {
    const e = JSON.parse(text).error;
    code = String(e.code);
    message = String(e.message || '');
    path = String(e.path || '');
  } catch { /* not consentd's error shape: keep the status */ }
  const after = retryAfter !== undefined && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) : null;
  return new ConsentError(code, message, { status, retryable: RETRYABLE_STATUSES.includes(status), retryAfter: after, path });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class ConsentClient {
  /**
   * @param {string} baseUrl consentd's URL
   * @param {string} site the site id
   * @param {string} apiKey the backend's API key (ck_…)
   */
  constructor(baseUrl, site, apiKey, { timeoutMs = 5000, retries = 3, backoffMs = 50, maxBackoffMs = 2000 } = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${baseUrl}`);
    this._url = url;
    this._transport = url.protocol === 'https:' ? https : http;
    this._agent = new this._transport.Agent({ keepAlive: true, maxSockets: 16 });
    this.site = site;
    this._auth = `Bearer ${apiKey}`;
    Object.assign(this, { timeoutMs, retries, backoffMs, maxBackoffMs });
  }

  async check(subject, purpose) {
    return this._request('GET', `/subjects/${enc(subject)}/purposes/${enc(purpose)}`);
  }

  /** [[subject, purpose], …] -> verdicts, 1000 per request (consentd's batch limit). */
  async checkMany(pairs) {
    const out = [];
    for (let i = 0; i < pairs.length; i += 1000) {
      const checks = pairs.slice(i, i + 1000).map(([subject, purpose]) => ({ subject, purpose }));
      out.push(...(await this._request('POST', '/checks', { checks })).results);
    }
    return out;
  }

  async withdraw(subject, { purposes, decisionId } = {}) {
    const body = { decision_id: decisionId || `srv_${crypto.randomBytes(12).toString('base64url')}` };
    if (purposes) body.purposes = purposes;
    return this._request('POST', `/subjects/${enc(subject)}/withdrawals`, body);
  }

  /** Erases the subject's receipts (docs/erasure.md); mirrors drop the subject on its erasure event. */
  async erase(subject, reason = 'subject_request') {
    return this._request('POST', `/subjects/${enc(subject)}/erasure`, { reason });
  }
  async export(subject) { return this._request('GET', `/subjects/${enc(subject)}/export`); }
  async publishNotice(notice) { return this._request('POST', '/notices', notice); }
  async acknowledge(backend, receipts) { return this._request('POST', '/acknowledgements', { backend, receipts }); }
  async backends() { return this._request('GET', '/backends'); }

  /** Every page of the site's snapshot, all at the first page's event id. */
  async * snapshot(limit = 500) {
    let query = `?limit=${limit}`;
    for (;;) {
      const page = await this._request('GET', `/snapshot${query}`);
      yield page;
      if (!page.next) return;
      query = `?limit=${limit}&at=${page.next.at}&after=${enc(page.next.after)}`;
    }
  }

  /**
   * One connection of the event stream after lastEventId. onEvent({type, id, data}) gets each
   * event ('receipt', 'notice') and each heartbeat ({type:'heartbeat'}). Resolves when the stream
   * is cut; rejects with client.timeout when nothing came for idleMs. close() ends it.
   */
  events(lastEventId, onEvent, { notices = false, idleMs = 30000 } = {}) {
    const headers = { Authorization: this._auth, Accept: 'text/event-stream' };
    if (lastEventId !== null && lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    let req;
    const done = new Promise((resolve, reject) => {
      req = this._transport.get(this._path(`/events${notices ? '?notices=1' : ''}`), { headers, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.on('data', (d) => { text += d; });
          res.on('end', () => reject(errorOf(res.statusCode, text, res.headers['retry-after'])));
          return;
        }
        res.setEncoding('utf8');
        const parse = eventParser(onEvent);
        res.on('data', parse);
        res.on('end', resolve);
        res.on('error', resolve);
        res.on('close', resolve);
      });
      req.setTimeout(idleMs, () => req.destroy(new ConsentError('client.timeout', `event stream: nothing for ${idleMs} ms`, { retryable: true })));
      req.on('error', (e) => reject(e instanceof ConsentError ? e
        : new ConsentError('client.unreachable', `event stream: ${e.message}`, { retryable: true })));
    });
    return { done, close: () => req.destroy() };
  }

  close() { this._agent.destroy(); }

  _path(rest) { return new URL(`${this._url.pathname.replace(/\/$/, '')}/v1/sites/${enc(this.site)}${rest}`, this._url); }

  async _request(method, rest, body) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this._once(method, this._path(rest), body);
      } catch (e) {
        if (!(e instanceof ConsentError) || !e.retryable || attempt >= this.retries) throw e;
        const backoff = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2);
        await sleep(Math.max(backoff, Math.min((e.retryAfter || 0) * 1000, this.maxBackoffMs)));
      }
    }
  }

  _once(method, url, body) {
    return new Promise((resolve, reject) => {
      const headers = { Authorization: this._auth };
      const data = body === undefined ? undefined : JSON.stringify(body);
      if (data !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
      const req = this._transport.request(url, { method, headers, agent: this._agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => {
          if (res.statusCode >= 400) return reject(errorOf(res.statusCode, text, res.headers['retry-after']));
          try {
            resolve(text ? JSON.parse(text) : {});
          } catch {
            reject(new ConsentError('client.bad_answer', `${method} ${url.pathname}: the answer is not JSON`, { status: res.statusCode }));
          }
        });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new ConsentError('client.timeout',
        `${method} ${url.pathname}: no answer in ${this.timeoutMs} ms`, { retryable: true })));
      req.on('error', (e) => reject(e instanceof ConsentError ? e
        : new ConsentError('client.unreachable', `${method} ${url.pathname}: ${e.message}`, { retryable: true })));
      req.end(data);
    });
  }
}

function enc(part) { return encodeURIComponent(part); }

// WHATWG HTML §9.2 event stream parsing, as much as consentd sends: id, event, data, comments.
function eventParser(onEvent) {
  let buffer = '';
  let fields = {};
  return (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (fields.event !== undefined || fields.data !== undefined) {
          onEvent({
            type: fields.event || 'message',
            id: fields.id !== undefined ? Number(fields.id) : null,
            data: fields.data !== undefined ? JSON.parse(fields.data) : null,
          });
        }
        fields = {};
      } else if (line.startsWith(':')) {
        onEvent({ type: 'heartbeat', id: null, data: null });
      } else {
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        fields[name] = value;
      }
    }
  };
}

module.exports = { ConsentClient, ConsentError };
