// Raw HTTP/1.1 over TCP for the attack tests: connections that send exactly the
// bytes a test chooses (half-open heads, trickles, pipelined requests, NUL
// bytes), a parser for the answers, and a liveness probe that keeps asking
// /healthz and an ordinary endpoint from another client address.
'use strict';
const net = require('node:net');
const http = require('node:http');
const fs = require('node:fs');

// Attackers connect from 127.0.0.2, the probe from 127.0.0.1: Linux routes all
// of 127/8 to loopback, so consentd sees two client addresses.
const ATTACKER = '127.0.0.2';

/** A TCP connection that collects what the server sends and notes when it closes. */
function connect(port, localAddress = ATTACKER) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const conn = { socket, received: Buffer.alloc(0), closedAt: null, error: null };
    conn.closed = new Promise((done) => socket.on('close', () => { conn.closedAt = Date.now(); done(); }));
    socket.on('data', (d) => { conn.received = Buffer.concat([conn.received, d]); });
    socket.on('error', (e) => { conn.error = e; });
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

/** Splits complete responses (Content-Length or chunked bodies) off the front of a buffer. */
function parseResponses(buffer) {
  const out = [];
  let at = 0;
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = buffer.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(head[0].split(' ')[1]);
    const headers = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (buffer.length < end + 4 + length) break;
    const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    out.push({ status, headers, body, json: () => JSON.parse(body) });
    at = end + 4 + length;
  }
  return out;
}

/** Sends raw bytes on a fresh connection and resolves to the parsed answers once the server closes. */
async function exchange(port, bytes, localAddress = ATTACKER) {
  const conn = await connect(port, localAddress);
  conn.socket.write(bytes);
  await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 5000))]);
  conn.socket.destroy();
  return parseResponses(conn.received);
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

/** One GET on its own connection from 127.0.0.1; resolves to {status, ms} or {error, ms}. */
function timedGet(url, headers = {}, timeoutMs = 2000) {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { ...headers, Connection: 'close' }, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Date.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ error: e.message, ms: Date.now() - started }));
  });
}

/**
 * Asks /healthz and `ordinary` (an ordinary endpoint) one after the other every
 * `everyMs` until stop() is called. The answers' report says how many were
 * answered, which failed or took longer than `boundMs`, and the latencies.
 */
function probe(base, ordinary, { everyMs = 50, boundMs = 2000 } = {}) {
  let running = true;
  const samples = [];
  const loop = (async () => {
    while (running) {
      for (const [url, headers] of [[`${base}/healthz`, {}], ordinary]) {
        const r = await timedGet(url, headers, boundMs);
        samples.push({ url, ...r });
      }
      await sleep(everyMs);
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
    const bad = samples.filter((s) => s.error || s.status !== 200 || s.ms > boundMs);
    const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
    return { answered: samples.length, bad, p50: ms[Math.floor(ms.length / 2)], p99: ms[Math.floor(ms.length * 0.99)] };
  };
  return { stop };
}

/** The process's CPU time (user + system) in seconds, from /proc (Linux clock ticks are 1/100 s). */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The process's resident memory in MiB, from /proc. */
function residentMiB(pid) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

module.exports = { ATTACKER, connect, parseResponses, exchange, sleep, timedGet, probe, cpuSeconds, residentMiB };
