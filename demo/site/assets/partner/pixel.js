// The ad partner's tracking pixel (a stand-in: it sends nothing anywhere). The
// page marks it <script type="text/plain" data-consent="marketing">, so it
// runs only while "Marketing" is allowed. Running, it sets its cookie and
// "tracks" page views; on withdrawal the banner deletes the cookie and the
// pixel stops itself at once.
'use strict';
(function () {
  const badge = document.getElementById('badge-marketing');
  document.cookie = '_ad_uid=' + Math.random().toString(36).slice(2, 12) + '; path=/; max-age=' + 390 * 86400 + '; SameSite=Lax';
  const state = { running: true, views: 1 };
  window.veloPixel = state;
  const show = () => {
    if (!badge) return;
    badge.dataset.state = state.running ? 'on' : 'stopped';
    badge.textContent = state.running ? 'Marketing pixel: running (tracking this visit)' : 'Marketing pixel: stopped (consent withdrawn)';
  };
  document.addEventListener('consent:change', (e) => {
    if (!e.detail.revoked.includes('marketing')) return;
    state.running = false;
    show();
  });
  show();
})();
