// Osano cookieconsent 3.1.1 configured for the bike shop: opt-in (nothing runs before "Accept all"),
// the same first-layer text as the other pages. It has one allow/deny choice and no purposes: the
// gated script is the site's own code on an "allow" status, as its documentation shows.
function runAnalytics() {
  window.analyticsRan = (window.analyticsRan || 0) + 1;
  document.cookie = '_pk_id.1.abcd=visitor; path=/; max-age=86400';
}
window.addEventListener('load', function () {
  window.cookieconsent.initialise({
    type: 'opt-in',
    position: 'bottom',
    revokable: true,
    content: {
      header: 'Your privacy choices',
      message: 'We ask before we use your data for anything beyond running the shop. Nothing is on until you turn it on.',
      allow: 'Accept all',
      deny: 'Reject all',
      link: 'Privacy policy',
      href: 'https://velo.example/privacy',
    },
    onInitialise: function () { if (this.hasConsented()) runAnalytics(); },
    onStatusChange: function () { if (this.hasConsented()) runAnalytics(); },
  });
});
