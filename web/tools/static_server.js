// A small static file server for the banner's files and the pages that use
// them (tests, benchmarks, the demo). It gzips what the client accepts, as any
// production server would, so the bytes a browser transfers are the real ones,
// and serves .wasm as application/wasm so browsers compile it while streaming.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');

const CONTENT_HASHED = /\.[0-9a-f]{8}\.[a-z]+$/;

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8', '.ts': 'text/plain; charset=utf-8',
};

/**
 * mounts: [{prefix: '/dist/', dir: '/abs/dir'}, …], longest prefix wins.
 * options.routes: {'/path': (req, res) => void} for dynamic pages.
 * options.log(req, status, bytes) sees every answer.
 * options.immutable: files named by their content (NAME.<8 hex digits>.EXT, as
 * web/build.mjs writes them) are cached for a year, "immutable"; all else is no-cache.
 */
function createStaticServer(mounts, options = {}) {
  const sorted = mounts.slice().sort((a, b) => b.prefix.length - a.prefix.length);
  const gzipCache = new Map();

  function resolveFile(urlPath) {
    for (const m of sorted) {
      if (!urlPath.startsWith(m.prefix)) continue;
      const rel = decodeURIComponent(urlPath.slice(m.prefix.length)) || 'index.html';
      const file = path.resolve(m.dir, rel.endsWith('/') ? rel + 'index.html' : rel);
      // Never outside the mounted folder.
      if (file !== m.dir && !file.startsWith(m.dir + path.sep)) return null;
      return file;
    }
    return null;
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const route = options.routes && options.routes[url.pathname];
    if (route) return route(req, res, url);
    const finish = (status, body, headers) => {
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      if (options.log) options.log(req, status, body ? body.length : 0);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return finish(405, 'method not allowed\n', { 'Content-Type': 'text/plain' });
    const file = resolveFile(url.pathname);
    let stat = null;
    try { stat = file && fs.statSync(file); } catch (e) { stat = null; }
    if (!stat || !stat.isFile()) return finish(404, 'not found\n', { 'Content-Type': 'text/plain' });
    const type = TYPES[path.extname(file)] || 'application/octet-stream';
    const cache = options.immutable && CONTENT_HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
    const headers = { 'Content-Type': type, 'Cache-Control': cache, 'Vary': 'Accept-Encoding' };
    let body = fs.readFileSync(file);
    if (/\bgzip\b/.test(req.headers['accept-encoding'] || '') && !/^image\/png/.test(type)) {
      const key = file + ':' + stat.mtimeMs + ':' + stat.size;
      if (!gzipCache.has(key)) gzipCache.set(key, zlib.gzipSync(body, { level: 9 }));
      body = gzipCache.get(key);
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = body.length;
    finish(200, body, headers);
  });
  return server;
}

/** Starts listening on 127.0.0.1 (port 0: any free port); resolves to {server, url}. */
function listen(server, port = 0, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, url: `http://${host}:${server.address().port}` }));
  });
}

module.exports = { createStaticServer, listen };
