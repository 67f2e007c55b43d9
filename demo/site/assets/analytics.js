// The shop's self-hosted audience measurement (a stand-in for Matomo). The
// page marks it <script type="text/plain" data-consent="analytics">, so the
// banner lets it run only while "Audience measurement" is allowed. Running, it
// sets its cookies and counts seconds on the page; when the visitor withdraws,
// the banner deletes the cookies and this script stops itself at once.
'use strict';
(function () {
  const badge = document.getElementById('badge-analytics');
  const id = Math.random().toString(36).slice(2, 12);
  document.cookie = '_pk_id.velo=' + id + '; path=/; max-age=' + 395 * 86400 + '; SameSite=Lax';
  document.cookie = '_pk_ses.velo=1; path=/; max-age=1800; SameSite=Lax';
  const state = { running: true, seconds: 0 };
  window.veloAnalytics = state;
  const show = () => {
    if (!badge) return;
    badge.dataset.state = state.running ? 'on' : 'stopped';
    badge.textContent = state.running ? 'Analytics: running (measuring, ' + state.seconds + ' s on this page)'
      : 'Analytics: stopped (consent withdrawn)';
  };
  const timer = setInterval(() => { state.seconds += 1; show(); }, 1000);
  document.addEventListener('consent:change', (e) => {
    if (!e.detail.revoked.includes('analytics')) return;
    clearInterval(timer);
    state.running = false;
    show();
  });
  show();
})();
