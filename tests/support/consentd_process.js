// consentd as a child process, and plain HTTP requests to it: shared by the
// node tests (tests/server, tests/web, tests/demo) and the banner benchmark.
'use strict';
const { spawn } = require('node:child_process');
const http = require('node:http');

const START_TIMEOUT_MS = 30000;

/**
 * Starts `binary args…` (in env, default this process's) and resolves once it prints "listening on http://…" to
 * {url, port, child, stop()}. stop() sends SIGTERM (SIGKILL if it hangs) and
 * waits for the exit; it may be called more than once.
 */
async function spawnConsentd(binary, args, env = process.env) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let timer;
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`consentd exited with ${code}: ${stderr}`)));
    child.on('error', reject);
    timer = setTimeout(() => reject(new Error(`consentd did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
  }).catch((e) => { child.kill('SIGKILL'); throw e; }).finally(() => clearTimeout(timer));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    await exited;
    clearTimeout(killer);
  };
  return { url, port: Number(new URL(url).port), child, stop };
}

/**
 * One request on its own connection (Connection: close), so that stopping
 * consentd never waits for an idle keep-alive connection to time out.
 * Resolves to {status, headers, text, json()}.
 */
function request(method, url, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, Connection: 'close' }, agent: false, timeout: 10000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }));
      });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

module.exports = { spawnConsentd, request };
