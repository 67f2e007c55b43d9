// The newsletter page: sign-up tied to this browser's consent subject id, what
// this browser allows for Marketing right now, and the sender's log (its general
// lines and the ones about this visitor), polled once a second.
'use strict';
(function () {
  const POLL_MS = 1000;
  const KEEP_LINES = 300;
  const $ = (id) => document.getElementById(id);
  let subject = '';
  let after = 0;

  function showSubscription(s) {
    $('signup').hidden = s.subscribed;
    $('subscribed').hidden = !s.subscribed;
    $('subscribed-email').textContent = s.subscribed ? s.email : '';
  }

  function showConsent() {
    const allowed = window.Consent.allowed('marketing');
    const line = $('marketing-consent');
    line.dataset.allowed = String(allowed);
    line.textContent = allowed ? 'Marketing is allowed in this browser: the sender may email you.'
      : 'Marketing is not allowed in this browser: the sender will not email you.';
  }

  async function api(method, body) {
    const res = await fetch('/api/newsletter/subscription' + (method === 'GET' ? '?subject=' + encodeURIComponent(subject) : ''), {
      method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await res.json();
    if (!res.ok) throw new Error(answer.error ? answer.error.message : 'HTTP ' + res.status);
    return answer;
  }

  function addLines(entries) {
    const log = $('sender-log');
    const empty = log.querySelector('.empty');
    if (entries.length && empty) empty.remove();
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    for (const e of entries) {
      const li = document.createElement('li');
      li.dataset.kind = e.kind;
      li.dataset.seq = String(e.seq);
      if (e.issue) li.dataset.issue = String(e.issue);
      if (e.via) li.dataset.via = e.via;
      if (e.method) li.dataset.method = e.method;
      const time = document.createElement('time');
      time.dateTime = new Date(e.time).toISOString();
      time.textContent = new Date(e.time).toLocaleTimeString();
      li.append(time, e.text);
      log.appendChild(li);
      after = Math.max(after, e.seq);
    }
    while (log.children.length > KEEP_LINES) log.firstElementChild.remove();
    if (stick) log.scrollTop = log.scrollHeight;
  }

  async function poll() {
    try {
      const res = await fetch('/api/newsletter/log?subject=' + encodeURIComponent(subject) + '&after=' + after);
      if (res.ok) addLines((await res.json()).entries);
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, POLL_MS);
  }

  async function main() {
    try {
      await window.Consent.ready;
    } catch (e) {
      $('marketing-consent').textContent = 'The consent banner could not start, so nothing is sent: ' + e.message;
      return;
    }
    subject = window.Consent.subject();
    showConsent();
    window.Consent.on('change', showConsent);
    showSubscription(await api('GET').catch(() => ({ subscribed: false })));
    $('signup').addEventListener('submit', async (e) => {
      e.preventDefault();
      $('signup-error').textContent = '';
      try {
        showSubscription(await api('POST', { subject, email: $('email').value }));
      } catch (err) {
        $('signup-error').textContent = err.message;
      }
    });
    $('unsubscribe').addEventListener('click', async () => showSubscription(await api('DELETE', { subject })));
    poll();
  }

  // consent.js is async: wait until it has installed window.Consent.
  function whenConsent(fn) {
    if (window.Consent && window.Consent.ready) fn();
    else setTimeout(() => whenConsent(fn), 20);
  }
  whenConsent(main);
})();
